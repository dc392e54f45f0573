"""`allow_delegation=True` in a sequential crew, through the public API and the simulator.

The simulator follows `sim-call: <tool> {json}` lines in the task (see `_script`), so a test
scripts whom the delegating agent puts to work.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from desktop_app.engine import LLM, Agent, Crew, CrewOutput, RunEvent, Task
from desktop_app.simulator import Simulator

DELEGATE = "Delegate_work_to_coworker"
ASK = "Ask_question_to_coworker"


def _call(name: str, **arguments: str) -> str:
    return f"sim-call: {name} {json.dumps(arguments)}"


def _agents(llm: Callable[..., LLM], *, delegate: bool) -> tuple[Agent, Agent, Agent]:
    lead = Agent(role="Lead", goal="Ship", backstory="Decisive.", llm=llm(),
                 allow_delegation=delegate)
    writer = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm())
    editor = Agent(role="Editor", goal="Edit", backstory="Careful.", llm=llm())
    return lead, writer, editor


async def _run(crew: Crew) -> tuple[list[RunEvent], CrewOutput]:
    stream = crew.stream_events()
    events = [event async for event in stream]
    return events, stream.value()


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools") or []]


@pytest.mark.asyncio
async def test_a_delegating_agent_is_offered_coworker_tools_over_the_other_agents(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    lead, writer, editor = _agents(llm_on, delegate=True)
    script = "\n".join([
        "Plan the launch.",
        _call(DELEGATE, coworker="Writer", task="Draft the launch note", context="a new app"),
        _call(ASK, coworker="editor", question="Is the tone right?", context="for kids"),
    ])
    task = Task(description=script, expected_output="a plan", agent=lead)
    events, output = await _run(Crew(agents=[lead, writer, editor], tasks=[task]))

    first = sim.stats.requests[0].body
    assert _tool_names(first) == [DELEGATE, ASK]
    delegate_tool = next(t for t in first["tools"] if t["function"]["name"] == DELEGATE)
    assert "coworkers: Writer, Editor\n" in delegate_tool["function"]["description"]
    calls = [(e.agent_role, e.tool_name) for e in events if e.kind == "tool_call"]
    assert calls == [("Lead", DELEGATE), ("Lead", ASK)]
    results = [e for e in events if e.kind == "tool_result"]
    assert not any(r.is_error for r in results)
    systems = [r.body["messages"][0]["content"].split(".")[0] for r in sim.stats.requests]
    assert systems == ["You are Lead", "You are Writer", "You are Lead", "You are Editor",
                       "You are Lead"]
    writer_request = sim.stats.requests[1].body
    assert "Draft the launch note" in writer_request["messages"][1]["content"]
    assert "tools" not in writer_request  # a coworker does not delegate in turn
    assert output.tasks_output[0].agent == "Lead"


@pytest.mark.asyncio
async def test_no_coworker_tools_without_allow_delegation_or_without_other_agents(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    lead, writer, editor = _agents(llm_on, delegate=False)
    alone = Agent(role="Solo", goal="Work", backstory="Alone.", llm=llm_on(),
                  allow_delegation=True)
    tasks = [
        Task(description="Plan the launch.", expected_output="a plan", agent=lead),
        Task(description="Plan alone.", expected_output="a plan", agent=alone),
    ]
    await _run(Crew(agents=[lead, writer, editor], tasks=tasks[:1]))
    await _run(Crew(agents=[alone], tasks=tasks[1:]))

    assert [_tool_names(r.body) for r in sim.stats.requests] == [[], []]


@pytest.mark.asyncio
async def test_a_delegating_agent_keeps_its_own_tools_and_the_simulator_delegates_by_itself(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    lead, writer, _ = _agents(llm_on, delegate=True)
    task = Task(description="Plan the launch.", expected_output="a plan", agent=lead)
    events, output = await _run(Crew(agents=[lead, writer], tasks=[task]))

    calls = [(e.agent_role, e.tool_name) for e in events if e.kind == "tool_call"]
    assert calls == [("Lead", DELEGATE)]
    result = next(e for e in events if e.kind == "tool_result")
    assert not result.is_error and result.output.startswith("Answer to: Current Task:")
    assert output.raw.startswith("Result: Answer to: Current Task:")
