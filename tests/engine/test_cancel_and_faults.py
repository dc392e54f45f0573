"""Cancellation, provider errors, retries and broken streams."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, LLMError, Task, TaskExecutionError
from desktop_app.simulator import Simulator
from tests.engine.conftest import wait_for


def _crew(llm: LLM, *, stream: bool = False, name: str = "Report") -> Crew:
    agent = Agent(role="Analyst", goal="Analyse", backstory="An analyst.", llm=llm)
    return Crew(
        tasks=[Task(description="Report on {topic}", expected_output="a report", agent=agent, name=name)],
        stream=stream,
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["akickoff", "kickoff_async"])
async def test_cancelling_a_run_closes_its_stream_and_others_go_on(
    sim: Simulator, llm_on: Callable[..., LLM], method: str
) -> None:
    slow = _crew(llm_on("tps=20,tokens=200"), stream=True)
    quick = _crew(llm_on("tps=400,tokens=60"))
    out = await getattr(slow, method)({"topic": "slow"})
    other = asyncio.ensure_future(getattr(quick, method)({"topic": "quick"}))

    first = await out.__aiter__().__anext__()
    assert first.content
    await out.aclose()

    await wait_for(lambda: sim.stats.streams_aborted_by_client == 1)
    result = await other
    assert result.raw.startswith("Answer to: Current Task: Report on quick")


@pytest.mark.asyncio
async def test_cancelling_the_awaiting_task_stops_a_plain_akickoff(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    task = asyncio.ensure_future(_crew(llm_on("tps=20,tokens=200")).akickoff({"topic": "x"}))
    await wait_for(lambda: sim.stats.in_flight == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_for(lambda: sim.stats.streams_aborted_by_client == 1)


@pytest.mark.asyncio
async def test_a_refused_key_names_the_provider_task_and_agent(llm_on: Callable[..., LLM]) -> None:
    with pytest.raises(TaskExecutionError) as caught:
        await _crew(llm_on("status=401")).akickoff({"topic": "x"})
    message = str(caught.value)
    assert "Task 'Report' (agent 'Analyst') failed" in message
    assert "the key for openai was refused" in message
    assert isinstance(caught.value.cause, LLMError)
    assert caught.value.cause.kind == "auth"
    assert caught.value.cause.status_code == 401


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limits_and_server_errors_are_retried(
    sim: Simulator, llm_on: Callable[..., LLM], status: int
) -> None:
    result = await _crew(llm_on(f"status={status},fail_times=2", max_retries=3)).akickoff(
        {"topic": "x"}
    )
    assert result.raw.startswith("Answer to:")
    assert len(sim.stats.requests) == 3
    assert result.token_usage.successful_requests == 1


@pytest.mark.asyncio
async def test_retry_after_is_honoured(sim: Simulator, llm_on: Callable[..., LLM]) -> None:
    llm = llm_on("status=429,retry_after=0.4,fail_times=1", max_retries=2, retry_base_delay=0.0)
    await _crew(llm).akickoff({"topic": "x"})
    first, second = sim.stats.requests
    assert second.received_at - first.received_at >= 0.35


@pytest.mark.asyncio
async def test_retries_give_up_with_the_providers_message(llm_on: Callable[..., LLM]) -> None:
    with pytest.raises(TaskExecutionError) as caught:
        await _crew(llm_on("status=500", max_retries=1)).akickoff({"topic": "x"})
    assert isinstance(caught.value.cause, LLMError)
    assert caught.value.cause.kind == "server"
    assert "had a server error [HTTP 500]" in str(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("settings", "kind"),
    [("drop_after=5", "stream_dropped"), ("malformed=1", "malformed")],
)
async def test_a_broken_stream_is_an_error_never_a_partial_success(
    llm_on: Callable[..., LLM], settings: str, kind: str
) -> None:
    with pytest.raises(TaskExecutionError) as caught:
        await _crew(llm_on(settings, max_retries=0)).akickoff({"topic": "x"})
    assert isinstance(caught.value.cause, LLMError)
    assert caught.value.cause.kind == kind


@pytest.mark.asyncio
async def test_a_provider_that_never_answers_times_out(llm_on: Callable[..., LLM]) -> None:
    with pytest.raises(TaskExecutionError) as caught:
        await _crew(llm_on("hang=1", timeout=0.5, max_retries=0)).akickoff({"topic": "x"})
    assert isinstance(caught.value.cause, LLMError)
    assert caught.value.cause.kind == "timeout"


@pytest.mark.asyncio
async def test_a_failing_crew_does_not_stop_the_others(llm_on: Callable[..., LLM]) -> None:
    good = _crew(llm_on())
    bad = _crew(llm_on("status=401"))
    results = await asyncio.gather(
        good.akickoff({"topic": "a"}), bad.akickoff({"topic": "b"}), good.akickoff({"topic": "c"}),
        return_exceptions=True,
    )
    assert isinstance(results[1], TaskExecutionError)
    assert not isinstance(results[0], BaseException) and results[0].raw.startswith("Answer")
    assert not isinstance(results[2], BaseException) and results[2].raw.startswith("Answer")
