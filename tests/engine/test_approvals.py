"""Approvals before side-effecting tool calls, through the real engine on the simulator.

The simulator makes the calls scripted in a task's description (``sim-call: <tool> {json}``)
and then answers ``Result: <last tool output>``, so a refusal that went back to the model
shows in the crew's answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task, TaskExecutionError
from desktop_app.engine import events as ev
from desktop_app.engine._approving import ApproverError
from desktop_app.engine.approval import (
    ApprovalRequest,
    Approvals,
    Decision,
    default_approvals,
    set_default_approvals,
)
from desktop_app.engine.code_execution import CodeInterpreterTool
from desktop_app.engine.toolkit import FileWriterTool
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm


class Recorder:
    """A sync approver that answers from a list and keeps every request."""

    def __init__(self, *answers: Decision) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest) -> Decision:
        self.requests.append(request)
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def _default_restored() -> Iterator[None]:
    saved = default_approvals()
    yield
    set_default_approvals(saved)


def _write(name: str, content: str = "tide tables") -> str:
    writer = FileWriterTool()
    return f"sim-call: {writer.function_name()} " + json.dumps(
        {"filename": name, "content": content}
    )


def _crew(llm: LLM, script: str, tools: list[Any] | None = None) -> Crew:
    agent = Agent(role="Clerk", goal="File", backstory="Careful.", llm=llm,
                  tools=tools if tools is not None else [FileWriterTool()])
    task = Task(description=script, expected_output="done", agent=agent, name="filing")
    return Crew(agents=[agent], tasks=[task])


async def _run(crew: Crew) -> tuple[str, list[ev.RunEvent]]:
    stream = crew.stream_events()
    events = [event async for event in stream]
    return stream.value().raw, events


def _of(events: list[ev.RunEvent], kind: type[Any]) -> list[Any]:
    return [event for event in events if isinstance(event, kind)]


@pytest.mark.asyncio
async def test_always_runs_without_asking_and_says_so_in_events(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    recorder = Recorder()
    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="always", approver=recorder, workspace=tmp_path))
    answer, events = await _run(crew)
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == "tide tables"
    assert recorder.requests == []
    [asked] = _of(events, ev.ApprovalRequested)
    [decided] = _of(events, ev.ApprovalDecided)
    assert (asked.approval_kind, asked.summary) == ("file_write", "Write report.md")
    assert asked.target == str(tmp_path / "report.md")
    assert (decided.call_id, decided.decision, decided.by) == (asked.call_id, "run", "policy")
    kinds = [e.kind for e in events]
    assert kinds.index("tool_call") < kinds.index("approval_requested") < kinds.index(
        "approval_decided") < kinds.index("tool_result")
    assert "Content successfully written to report.md" in answer


@pytest.mark.asyncio
async def test_never_refuses_the_call_and_the_run_goes_on(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    recorder = Recorder()
    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="never", approver=recorder, workspace=tmp_path))
    answer, events = await _run(crew)
    assert not (tmp_path / "report.md").exists()
    assert recorder.requests == []
    [finished] = _of(events, ev.ToolCallFinished)
    assert finished.is_error
    assert 'approval policy is "never" (Write report.md)' in finished.output
    assert answer.startswith("Result: Error: this call was refused")
    assert events[-1].kind == "run_finished"


@pytest.mark.asyncio
async def test_a_denied_call_goes_back_to_the_model_as_an_error(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    recorder = Recorder("deny")
    crew = _crew(llm_on(), _write("report.md", "secret plans"))
    crew.set_approvals(Approvals(policy="ask", approver=recorder, workspace=tmp_path))
    answer, events = await _run(crew)
    assert not (tmp_path / "report.md").exists()
    [request] = recorder.requests
    assert (request.kind, request.tool_name, request.summary) == (
        "file_write", "File Writer Tool", "Write report.md")
    assert request.detail == f"{tmp_path / 'report.md'}\n\nsecret plans"
    assert (request.agent_role, request.task_name) == ("Clerk", "filing")
    [asked] = _of(events, ev.ApprovalRequested)
    assert (request.run_id, request.call_id) == (asked.run_id, asked.call_id)
    [decided] = _of(events, ev.ApprovalDecided)
    assert (decided.decision, decided.by) == ("deny", "user")
    assert answer.startswith("Result: Error: the user did not allow this call (Write report.md).")
    assert events[-1].kind == "run_finished"


@pytest.mark.asyncio
async def test_always_from_the_approver_stops_further_questions_in_this_run_only(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    recorder = Recorder("always")
    approvals = Approvals(policy="ask", approver=recorder, workspace=tmp_path)
    crew = _crew(llm_on(), _write("one.md") + "\n" + _write("two.md"))
    crew.set_approvals(approvals)
    _answer, events = await _run(crew)
    assert (tmp_path / "one.md").exists() and (tmp_path / "two.md").exists()
    assert len(recorder.requests) == 1
    assert [(d.decision, d.by) for d in _of(events, ev.ApprovalDecided)] == [
        ("run", "user"), ("run", "policy")]
    assert approvals.policy == "ask"  # the crew's own setting is the app's to change
    recorder.answers.append("deny")
    crew.tasks[0].description = _write("three.md")
    await _run(crew)
    assert len(recorder.requests) == 2 and not (tmp_path / "three.md").exists()


@pytest.mark.asyncio
async def test_ask_with_nobody_to_ask_refuses_and_says_why(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="ask", workspace=tmp_path))
    answer, events = await _run(crew)
    assert not (tmp_path / "report.md").exists()
    assert answer.startswith(
        "Result: Error: this call needed the user's approval and nobody could give it "
        "(Write report.md)."
    )
    assert [(d.decision, d.by) for d in _of(events, ev.ApprovalDecided)] == [("deny", "policy")]


@pytest.mark.asyncio
async def test_an_async_approver_is_awaited_and_the_code_is_shown_whole(
    llm_on: Callable[..., LLM]
) -> None:
    seen: list[ApprovalRequest] = []

    async def approver(request: ApprovalRequest) -> Decision:
        seen.append(request)
        await asyncio.sleep(0)
        return "deny"

    code = "import os\nprint(os.listdir('/'))"
    tool = CodeInterpreterTool()
    script = f"sim-call: {tool.function_name()} " + json.dumps({"code": code})
    crew = _crew(llm_on(), script, [tool])
    crew.set_approvals(Approvals(policy="ask", approver=approver))
    answer, _ = await _run(crew)
    [request] = seen
    assert (request.kind, request.summary, request.detail) == (
        "code", "Run 2 lines of Python", code)
    assert answer.startswith(
        "Result: Error: the user did not allow this call (Run 2 lines of Python).")


@pytest.mark.asyncio
async def test_the_process_default_applies_to_crews_without_their_own(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    recorder = Recorder("run")
    set_default_approvals(Approvals(policy="ask", approver=recorder, workspace=tmp_path))
    crew = _crew(llm_on(), _write("report.md"))
    assert crew.approvals() is default_approvals()
    await _run(crew)
    assert len(recorder.requests) == 1 and (tmp_path / "report.md").exists()


@pytest.mark.asyncio
async def test_an_approver_that_answers_nonsense_fails_the_run_clearly(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="ask", approver=lambda _r: "yes",  # type: ignore[arg-type,return-value]
                                 workspace=tmp_path))
    with pytest.raises(TaskExecutionError, match="must answer \"run\", \"deny\" or \"always\", not 'yes'") as caught:
        await crew.akickoff()
    assert isinstance(caught.value.__cause__, ApproverError)
    assert not (tmp_path / "report.md").exists()


@pytest.mark.asyncio
async def test_cancelling_while_the_approver_waits_cancels_cleanly(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    waiting = asyncio.Event()

    async def approver(_request: ApprovalRequest) -> Decision:
        waiting.set()
        await asyncio.Event().wait()  # nobody answers
        return "run"

    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="ask", approver=approver, workspace=tmp_path))
    events: list[ev.RunEvent] = []

    async def consume() -> None:
        async for event in crew.stream_events():
            events.append(event)

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(waiting.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not (tmp_path / "report.md").exists()
    assert [e.kind for e in events][-1] == "approval_requested"


@pytest.mark.asyncio
async def test_a_cancelled_run_does_not_wait_for_a_blocked_sync_approver(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    import threading

    asked, release = threading.Event(), threading.Event()

    def approver(_request: ApprovalRequest) -> Decision:
        asked.set()
        release.wait(10)  # a terminal nobody types in
        return "run"

    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="ask", approver=approver, workspace=tmp_path))
    task = asyncio.ensure_future(crew.akickoff())
    await asyncio.to_thread(asked.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    release.set()
    await asyncio.sleep(0.05)
    assert not (tmp_path / "report.md").exists()


@pytest.mark.asyncio
async def test_cancelling_kickoff_async_stops_an_async_approver_waiting_in_its_thread(
    tmp_path: Path, llm_on: Callable[..., LLM]
) -> None:
    import threading

    asked, stopped = threading.Event(), threading.Event()

    async def approver(_request: ApprovalRequest) -> Decision:
        asked.set()
        try:
            await asyncio.sleep(3600)  # nobody answers
        finally:
            stopped.set()
        return "run"

    crew = _crew(llm_on(), _write("report.md"))
    crew.set_approvals(Approvals(policy="ask", approver=approver, workspace=tmp_path))
    task = asyncio.ensure_future(crew.kickoff_async())
    assert await asyncio.to_thread(asked.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(stopped.wait, 5)  # the worker thread's run stopped waiting
    assert not (tmp_path / "report.md").exists()


def test_the_blocking_path_asks_a_sync_approver_directly(
    tmp_path: Path, sim_thread: SimulatorThread
) -> None:
    import threading

    threads: list[str] = []

    def approver(_request: ApprovalRequest) -> Decision:
        threads.append(threading.current_thread().name)
        return "run"

    crew = _crew(make_llm(sim_thread.base_url), _write("report.md"))
    crew.set_approvals(Approvals(policy="ask", approver=approver, workspace=tmp_path))
    output = crew.kickoff()
    assert "Content successfully written to report.md" in output.raw
    assert threads == [threading.current_thread().name]  # called directly, not in a thread
    assert (tmp_path / "report.md").exists()


def test_approval_events_round_trip_through_the_run_history_adapter() -> None:
    asked = ev.ApprovalRequested(
        run_id="r", task_index=0, task_name=None, agent_role="Clerk", call_id="c1",
        approval_kind="network", tool_name="fetch_url", summary="GET https://x.test",
        detail="GET https://x.test", target="https://x.test",
    )
    decided = ev.ApprovalDecided(
        run_id="r", task_index=0, task_name=None, agent_role="Clerk", call_id="c1",
        decision="deny", by="user",
    )
    for event in (asked, decided):
        text = ev.RunEventAdapter.dump_json(event)
        assert ev.RunEventAdapter.validate_json(text) == event
