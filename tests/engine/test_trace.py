"""A run's trace (issue 16, part 1): `TraceSpan` events against the simulator over HTTP.

Order (a span ends after the spans inside it), parents (run > task > call), tokens, and the
exact messages of each LLM call with keys masked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    Crew,
    Process,
    RunEvent,
    Task,
    TaskExecutionError,
    TaskOutput,
    register_secrets,
    tool,
)
from desktop_app.engine.approval import ApprovalRequest, Approvals
from desktop_app.engine.events import TraceSpan
from desktop_app.engine.toolkit import FileWriterTool

KEY = "sk-proj-trace0test1key2wxyz"
"""A key that reaches a prompt (an input names it) and must be masked in the trace."""


@tool
def forecast(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def _approve(output: TaskOutput) -> tuple[bool, Any]:
    return True, output.raw


async def _run(crew: Crew, inputs: dict[str, Any] | None = None) -> list[RunEvent]:
    stream = crew.stream_events(inputs)
    events = [event async for event in stream]
    stream.value()
    return events


def _spans(events: list[RunEvent]) -> list[TraceSpan]:
    return [event for event in events if isinstance(event, TraceSpan)]


def _two_tasks(llm_on: Callable[..., LLM]) -> Crew:
    agent = Agent(role="Forecaster", goal="Forecast", backstory="Calm.", llm=llm_on(),
                  tools=[forecast])
    first = Task(description="Weather in {city}", expected_output="a forecast", agent=agent,
                 name="weather")
    second = Task(description="Summarise it", expected_output="a line", agent=agent,
                  guardrail=_approve)
    return Crew(agents=[agent], tasks=[first, second])


@pytest.mark.asyncio
async def test_spans_nest_run_task_call_and_end_in_order(llm_on: Callable[..., LLM]) -> None:
    events = await _run(_two_tasks(llm_on), {"city": "Oslo"})
    spans = _spans(events)
    by_id = {span.span_id: span for span in spans}
    run = spans[-1]
    assert run.span_kind == "run" and run.parent_id is None
    assert events[-1].kind == "run_finished" and events[-2] is run
    tasks = [span for span in spans if span.span_kind == "task"]
    assert [(t.task_index, t.parent_id) for t in tasks] == [(0, run.span_id), (1, run.span_id)]
    for span in spans:
        position = spans.index(span)
        if span.parent_id is not None:  # sent when it ended: before the span it ran in
            parent = by_id[span.parent_id]
            assert spans.index(parent) > position
            assert parent.started_at <= span.started_at
            assert span.duration_s <= parent.duration_s
    inner = [(s.span_kind, s.task_index) for s in spans if s.span_kind not in ("run", "task")]
    assert inner == [("llm", 0), ("tool", 0), ("llm", 0), ("llm", 1), ("tool", 1), ("llm", 1),
                     ("guardrail", 1)]
    for span in spans:
        if span.task_index is not None and span.span_kind != "task":
            assert span.parent_id == tasks[span.task_index].span_id
    finished = [e for e in events if e.kind == "task_finished"]
    assert events.index(tasks[0]) < events.index(finished[0])


@pytest.mark.asyncio
async def test_an_llm_span_keeps_the_exact_messages_and_answer(
    llm_on: Callable[..., LLM],
) -> None:
    events = await _run(_two_tasks(llm_on), {"city": "Oslo"})
    llm_spans = [span for span in _spans(events) if span.span_kind == "llm"]
    first, second = llm_spans[0], llm_spans[1]
    assert first.name == "openai/sim" and first.agent_role == "Forecaster"
    assert [m["role"] for m in first.detail["messages"]] == ["system", "user"]
    assert "Weather in Oslo" in first.detail["messages"][1]["content"]
    assert first.detail["tool_calls"][0]["name"] == "forecast"
    assert first.detail["tools"] == ["forecast"]
    assert first.input_tokens and first.output_tokens
    # the second call saw the first call's tool call and its result; the first stays as sent
    assert [m["role"] for m in second.detail["messages"]] == ["system", "user", "assistant", "tool"]
    assert second.detail["messages"][3]["content"].startswith("sunny in ")
    task_text = "".join(e.content for e in events if e.kind == "text" and e.task_index == 0)
    assert second.detail["answer"] == task_text


@pytest.mark.asyncio
async def test_a_key_in_a_prompt_is_masked_in_the_trace(llm_on: Callable[..., LLM]) -> None:
    register_secrets([KEY])
    events = await _run(_two_tasks(llm_on), {"city": f"Oslo {KEY}"})
    spans = _spans(events)
    text = json.dumps([span.model_dump() for span in spans])
    assert KEY not in text
    first_prompt = next(s for s in spans if s.span_kind == "llm").detail["messages"][1]["content"]
    assert "Weather in Oslo sk-…wxyz" in first_prompt


@pytest.mark.asyncio
async def test_a_delegation_span_holds_the_coworkers_calls(llm_on: Callable[..., LLM]) -> None:
    call = 'sim-call: Delegate_work_to_coworker {"coworker": "Writer", "task": "Draft", ' \
           '"context": "tides"}'
    writer = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm_on())
    task = Task(description=f"Write about tides.\n{call}", expected_output="a brief")
    crew = Crew(agents=[writer], tasks=[task], process=Process.hierarchical, manager_llm=llm_on())
    spans = _spans(await _run(crew))
    delegation = next(s for s in spans if s.span_kind == "delegation")
    tool_span = next(s for s in spans if s.span_kind == "tool")
    assert delegation.parent_id == tool_span.span_id and delegation.name == "Writer"
    coworker_calls = [s for s in spans if s.span_kind == "llm" and s.agent_role == "Writer"]
    assert coworker_calls and all(s.parent_id == delegation.span_id for s in coworker_calls)


@pytest.mark.asyncio
async def test_a_failed_call_ends_its_spans_with_the_error(llm_on: Callable[..., LLM]) -> None:
    agent = Agent(role="A", goal="g", backstory="b", llm=llm_on("status=400", max_retries=0))
    crew = Crew(agents=[agent], tasks=[Task(description="x", expected_output="y", agent=agent)])
    events: list[RunEvent] = []
    with pytest.raises(TaskExecutionError):
        async for event in crew.stream_events():
            events.append(event)
    spans = _spans(events)
    assert [(s.span_kind, s.status) for s in spans] == [
        ("llm", "error"), ("task", "error"), ("run", "error")
    ]
    assert spans[0].detail["error"]
    assert events[-1].kind == "run_failed"


@pytest.mark.asyncio
async def test_an_approval_asked_is_a_span_inside_its_tool_call(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    writer = FileWriterTool()
    call = f"sim-call: {writer.function_name()} " + json.dumps(
        {"filename": "a.md", "content": "tides"}
    )
    agent = Agent(role="Clerk", goal="File", backstory="Careful.", llm=llm_on(), tools=[writer])
    crew = Crew(agents=[agent], tasks=[Task(description=call, expected_output="done",
                                            agent=agent)])
    asked: list[ApprovalRequest] = []

    def deny(request: ApprovalRequest) -> str:
        asked.append(request)
        return "deny"

    crew.set_approvals(Approvals(policy="ask", approver=deny, workspace=tmp_path))  # type: ignore[arg-type]
    spans = _spans(await _run(crew))
    approval = next(s for s in spans if s.span_kind == "approval")
    tool_span = next(s for s in spans if s.span_kind == "tool")
    assert approval.parent_id == tool_span.span_id and len(asked) == 1
    assert (approval.status, approval.detail["decision"], approval.detail["by"]) == (
        "refused", "deny", "user"
    )
    assert approval.detail["summary"] == "Write a.md"
    assert tool_span.status == "error" and "did not allow" in tool_span.detail["output"]


@pytest.mark.asyncio
async def test_a_persons_feedback_is_a_human_input_span(llm_on: Callable[..., LLM]) -> None:
    answers = iter(["Shorter, please", ""])
    agent = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm_on())
    task = Task(description="Summarise the tides", expected_output="a summary", agent=agent,
                human_input=True)
    crew = Crew(agents=[agent], tasks=[task],
                human_input_handler=lambda _request: next(answers))
    spans = _spans(await _run(crew))
    human = [s for s in spans if s.span_kind == "human_input"]
    assert [(s.name, s.detail["feedback"]) for s in human] == [
        ("Feedback round 1", "Shorter, please"), ("Feedback round 2", "")
    ]
    task_span = next(s for s in spans if s.span_kind == "task")
    assert all(s.parent_id == task_span.span_id for s in human)
    assert [s.span_kind for s in spans if s.span_kind == "llm"] == ["llm", "llm"]
