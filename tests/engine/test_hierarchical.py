"""`Process.hierarchical` through the public API, against the simulator over HTTP.

The simulator follows `sim-call: <tool> {json}` lines in the manager's task (one scripted
tool call per reply, then the answer), so each test scripts whom the manager delegates to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from desktop_app.engine import (
    LLM,
    Agent,
    AgentStep,
    Crew,
    CrewOutput,
    Process,
    RunEvent,
    StreamChunkType,
    Task,
    tool,
)
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm

DELEGATE = "Delegate_work_to_coworker"
ASK = "Ask_question_to_coworker"


@tool
def lookup(topic: str) -> str:
    """Looks a topic up in the archive."""
    return f"archive facts on {topic}"


def _call(name: str, **arguments: str) -> str:
    return f"sim-call: {name} {json.dumps(arguments)}"


def _script(*calls: str) -> str:
    return "Write a brief about tides.\n" + "\n".join(calls)


def _team(llm: Callable[[], LLM]) -> tuple[Agent, Agent]:
    researcher = Agent(
        role="Senior Researcher",
        goal="Find facts",
        backstory="Thorough.",
        llm=llm(),
        tools=[lookup],
    )
    writer = Agent(role="Writer", goal="Write well", backstory="Clear.", llm=llm())
    return researcher, writer


def _crew(llm: Callable[[], LLM], description: str, **options: Any) -> Crew:
    researcher, writer = _team(llm)
    task = Task(description=description, expected_output="a brief", name="brief")
    options.setdefault("manager_llm", llm())
    return Crew(agents=[researcher, writer], tasks=[task], process=Process.hierarchical, **options)


async def _events(
    crew: Crew, inputs: dict[str, Any] | None = None
) -> tuple[list[RunEvent], CrewOutput]:
    stream = crew.stream_events(inputs)
    events = [event async for event in stream]
    return events, stream.value()


def _system_prompts(sim: Simulator | SimulatorThread) -> list[str]:
    return [r.body["messages"][0]["content"] for r in sim.stats.requests]


@pytest.mark.asyncio
async def test_the_manager_llm_delegates_to_each_coworker_and_answers(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(
        llm_on,
        _script(
            _call(
                DELEGATE, coworker="senior researcher", task="Find tide facts", context="a brief"
            ),
            _call(ASK, coworker=' "Writer" ', question="Which tone fits?", context="for kids"),
        ),
    )
    events, output = await _events(crew)

    calls = [e for e in events if e.kind == "tool_call"]
    assert [(c.agent_role, c.tool_name) for c in calls] == [
        ("Crew Manager", DELEGATE),
        ("Senior Researcher", "lookup"),
        ("Crew Manager", ASK),
    ]
    results = {e.tool_name: e for e in events if e.kind == "tool_result"}
    assert not any(r.is_error for r in results.values())
    assert results[DELEGATE].output.startswith("Result: archive facts on")
    assert results[ASK].output.startswith("Answer to: Current Task: Which tone fits?.")
    assert output.raw.startswith("Result: Answer to: Current Task: Which tone fits?.")
    assert output.tasks_output[0].agent == "Crew Manager"
    prompts = _system_prompts(sim)
    assert [p.split(".")[0] for p in prompts] == [
        "You are Crew Manager",
        "You are Senior Researcher",
        "You are Senior Researcher",
        "You are Crew Manager",
        "You are Writer",
        "You are Crew Manager",
    ]
    writer_request = sim.stats.requests[4].body["messages"][1]["content"]
    assert "Which tone fits?" in writer_request and "for kids" in writer_request
    manager_tools = {
        t["function"]["name"]: t["function"] for t in sim.stats.requests[0].body["tools"]
    }
    assert set(manager_tools) == {DELEGATE, ASK}
    assert "Senior Researcher, Writer" in manager_tools[DELEGATE]["description"]
    assert manager_tools[DELEGATE]["parameters"]["required"] == ["task", "coworker"]


@pytest.mark.asyncio
async def test_streaming_chunks_name_the_manager_and_each_coworker(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(
        llm_on,
        _script(
            _call(DELEGATE, coworker="Senior Researcher", task="Find facts"),
            _call(DELEGATE, coworker="Writer", task="Draft it"),
        ),
        stream=True,
    )
    streaming = await crew.akickoff()
    chunks = [chunk async for chunk in streaming]

    text_roles = [c.agent_role for c in chunks if c.chunk_type is StreamChunkType.TEXT]
    order = list(dict.fromkeys(text_roles))
    assert order == ["Senior Researcher", "Writer", "Crew Manager"]
    tool_roles = [(c.agent_role, c.tool_call.tool_name) for c in chunks if c.tool_call]
    assert tool_roles == [
        ("Crew Manager", DELEGATE),
        ("Senior Researcher", "lookup"),
        ("Crew Manager", DELEGATE),
    ]
    writer_text = "".join(c.content for c in chunks if c.agent_role == "Writer")
    assert writer_text.startswith("Answer to: Current Task: Draft it.")
    assert all(c.task_name == "brief" and c.task_index == 0 for c in chunks)
    assert streaming.result.raw.startswith("Result: Answer to: Current Task: Draft it.")


@pytest.mark.asyncio
async def test_usage_counts_every_call_of_the_manager_and_the_coworkers(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(
        llm_on,
        _script(
            _call(DELEGATE, coworker="Senior Researcher", task="Find facts"),
            _call(ASK, coworker="Writer", question="Tone?"),
        ),
    )
    events, output = await _events(crew)

    usage_events = [e for e in events if e.kind == "usage"]
    assert output.token_usage.successful_requests == len(sim.stats.requests) == 6
    assert usage_events[-1].usage == output.token_usage
    assert {e.agent_role for e in usage_events} == {"Crew Manager", "Senior Researcher", "Writer"}
    totals = [e.usage.total_tokens for e in usage_events]
    assert totals == sorted(totals) and len(set(totals)) == len(totals)
    assert output.token_usage.total_tokens == (
        output.token_usage.prompt_tokens + output.token_usage.completion_tokens
    )


@pytest.mark.asyncio
async def test_a_bad_coworker_name_goes_back_to_the_manager_with_the_valid_names(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on, _script(_call(DELEGATE, coworker="Designer", task="Draw it")))
    events, output = await _events(crew)

    result = next(e for e in events if e.kind == "tool_result")
    assert result.is_error and result.agent_role == "Crew Manager"
    assert "coworker 'Designer' not found" in result.output
    assert "- senior researcher\n- writer" in result.output
    assert output.raw.startswith("Result: Error: the tool 'Delegate_work_to_coworker' failed")
    assert len(sim.stats.requests) == 2  # no coworker ran


@pytest.mark.asyncio
async def test_a_manager_agent_manages_and_a_task_agent_is_its_only_coworker(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    researcher, writer = _team(llm_on)
    chief = Agent(
        role="Editor in Chief", goal="Ship the {topic} issue", backstory="Strict.", llm=llm_on()
    )
    task = Task(
        description=_script(
            _call(DELEGATE, coworker="Senior Researcher", task="Find facts"),
            _call(DELEGATE, coworker="writer", task="Write about {topic}"),
        ),
        expected_output="a brief",
        agent=writer,
    )
    crew = Crew(
        agents=[researcher, writer], tasks=[task], process=Process.hierarchical, manager_agent=chief
    )
    events, output = await _events(crew, {"topic": "tides"})

    first, second = [e for e in events if e.kind == "tool_result"]
    assert first.is_error and "options:\n- writer" in first.output
    assert not second.is_error
    assert second.output.startswith("Answer to: Current Task: Write about tides.")
    assert output.tasks_output[0].agent == "Editor in Chief"
    assert (
        sim.stats.requests[0]
        .body["messages"][0]["content"]
        .startswith("You are Editor in Chief. Strict.\nYour personal goal is: Ship the tides issue")
    )
    assert chief.tools == []  # the delegation tools never leak into the agent


@pytest.mark.asyncio
async def test_kickoff_async_runs_the_coworkers_in_the_worker_thread(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    seen: list[tuple[str, str]] = []

    def on_step(step: AgentStep) -> None:
        seen.append((step.agent_role, threading.current_thread().name))

    crew = _crew(
        llm_on,
        _script(
            _call(DELEGATE, coworker="Senior Researcher", task="Find facts"),
            _call(ASK, coworker="Writer", question="Tone?"),
        ),
        step_callback=on_step,
    )
    result = await crew.kickoff_async()

    assert result.raw.startswith("Result: Answer to: Current Task: Tone?.")
    assert [role for role, _ in seen] == [
        "Senior Researcher",
        "Senior Researcher",
        "Crew Manager",
        "Writer",
        "Crew Manager",
        "Crew Manager",
    ]
    assert all(name != threading.main_thread().name for _, name in seen)
    assert result.token_usage.successful_requests == 6


def test_the_blocking_kickoff_delegates_too(sim_thread: SimulatorThread) -> None:
    crew = _crew(
        lambda: make_llm(sim_thread.base_url),
        _script(
            _call(DELEGATE, coworker="Writer", task="Draft it"),
        ),
    )
    result = crew.kickoff()
    assert result.raw.startswith("Result: Answer to: Current Task: Draft it.")
    assert len(sim_thread.stats.requests) == 3


def _agent(role: str = "Writer", **options: Any) -> Agent:
    return Agent(role=role, goal="g", backstory="b", llm=LLM("openai/sim"), **options)


def test_a_hierarchical_crew_needs_a_manager() -> None:
    task = Task(description="d", expected_output="e")
    with pytest.raises(
        ValidationError, match="needs a manager: set `manager_llm`.*`manager_agent`"
    ):
        Crew(agents=[_agent()], tasks=[task], process=Process.hierarchical)


def test_a_manager_agent_with_tools_is_refused() -> None:
    task = Task(description="d", expected_output="e")
    for boss in (_agent("Boss", tools=[lookup]), _agent("Boss", allow_code_execution=True)):
        with pytest.raises(ValidationError, match="manager agent 'Boss' must have no tools"):
            Crew(agents=[_agent()], tasks=[task], process=Process.hierarchical, manager_agent=boss)


def test_the_manager_must_not_be_one_of_the_agents_and_needs_coworkers() -> None:
    task = Task(description="d", expected_output="e")
    boss = _agent("Boss")
    with pytest.raises(ValidationError, match="must not be in the crew's agents"):
        Crew(
            agents=[_agent(), boss], tasks=[task], process=Process.hierarchical, manager_agent=boss
        )
    with pytest.raises(ValidationError, match="needs agents"):
        Crew(agents=[], tasks=[task], process=Process.hierarchical, manager_llm=LLM("openai/sim"))


def test_tasks_of_a_hierarchical_crew_need_no_agent_and_the_llm_may_be_a_string() -> None:
    crew = Crew(
        agents=[_agent()],
        tasks=[Task(description="d", expected_output="e")],
        process="hierarchical",  # type: ignore[arg-type]  # CrewAI's strings are accepted
        manager_llm="openai/sim",  # type: ignore[arg-type]
    )
    assert isinstance(crew.manager_llm, LLM) and crew.manager_llm.model == "openai/sim"
    manager = crew.manager()
    assert manager.role == "Crew Manager" and manager.tools == []
    assert crew.manager() is manager
