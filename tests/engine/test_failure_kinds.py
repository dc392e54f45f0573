"""A failed run's `RunFailed` says which kind of model call failed (`error_kind`), so the
history can keep a run the network cut off as one to offer again; events stored before the
field existed still parse."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, RunEventAdapter, Task
from desktop_app.engine.errors import NETWORK_KINDS, TaskExecutionError, llm_error_kind
from desktop_app.engine.events import RunEvent, RunFailed
from tests.engine.conftest import make_llm


def _crew(first: LLM, second: LLM) -> Crew:
    scout = Agent(role="Scout", goal="Find", backstory="Quick.", llm=first)
    writer = Agent(role="Writer", goal="Write", backstory="Calm.", llm=second)
    return Crew(agents=[scout, writer], tasks=[
        Task(description="Find facts on {topic}", expected_output="facts", agent=scout),
        Task(description="Draft a note on {topic}", expected_output="a note", agent=writer),
    ])


async def _failure(crew: Crew) -> tuple[list[RunEvent], RunFailed]:
    stream = crew.stream_events({"topic": "tides"})
    events: list[RunEvent] = []
    with pytest.raises(TaskExecutionError):
        async for event in stream:
            events.append(event)
    last = events[-1]
    assert isinstance(last, RunFailed)
    return events, last


def _closed_port() -> int:
    with socket.socket() as probe:  # bound, then closed: nobody listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.asyncio
async def test_a_stream_dropped_after_task_1_says_stream_dropped(
    llm_on: Callable[..., LLM]
) -> None:
    events, failed = await _failure(_crew(llm_on(), llm_on("drop_after=3", max_retries=0)))
    assert [e.task_index for e in events if e.kind == "task_finished"] == [0]
    assert failed.error_kind == "stream_dropped" and failed.task_index == 1
    assert failed.error_kind in NETWORK_KINDS


@pytest.mark.asyncio
async def test_a_refused_connection_says_connection(llm_on: Callable[..., LLM]) -> None:
    offline = make_llm(f"http://127.0.0.1:{_closed_port()}/v1", max_retries=0)
    _, failed = await _failure(_crew(llm_on(), offline))
    assert failed.error_kind == "connection" and failed.error_kind in NETWORK_KINDS


@pytest.mark.asyncio
async def test_a_refused_key_says_auth_which_is_not_the_network(
    llm_on: Callable[..., LLM]
) -> None:
    _, failed = await _failure(_crew(llm_on("status=401"), llm_on()))
    assert failed.error_kind == "auth" and failed.error_kind not in NETWORK_KINDS


def test_an_error_that_is_no_model_call_has_no_kind() -> None:
    wrapped = TaskExecutionError(0, None, "Scout", ValueError("bad tool input"))
    assert llm_error_kind(wrapped) is None
    assert llm_error_kind(RuntimeError("boom")) is None


def test_a_run_failed_stored_before_error_kind_existed_still_parses() -> None:
    stored = {"kind": "run_failed", "run_id": "r1", "error": "boom", "error_type": "LLMError",
              "task_index": 1, "agent_role": "Writer"}
    event = RunEventAdapter.validate_python(stored)
    assert isinstance(event, RunFailed) and event.error_kind is None
