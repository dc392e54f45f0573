"""`max_rpm`, `respect_context_window` and `function_calling_llm`, through the public API and
the simulator (`context=N` makes it refuse requests longer than N words, as OpenAI does)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, CrewOutput, RunEvent, Task, _rate_limit, tool
from desktop_app.engine._context_window import ContextWindowExceededError
from desktop_app.engine._rate_limit import RateLimiter
from desktop_app.engine.errors import TaskExecutionError
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import make_llm

WINDOW = 1.0


@tool
def measure(place: str, depth: int) -> str:
    """Measures the water depth at a place."""
    return f"{place}: {depth} m"


async def _run(crew: Crew) -> tuple[list[RunEvent], CrewOutput]:
    stream = crew.stream_events()
    events = [event async for event in stream]
    return events, stream.value()


def _tasks(agent: Agent, count: int) -> list[Task]:
    return [
        Task(description=f"Step {n}", expected_output="done", agent=agent) for n in range(count)
    ]


def test_the_limiter_lets_max_rpm_requests_through_per_window() -> None:
    now = [100.0]
    limiter = RateLimiter(2, window=60.0, clock=lambda: now[0])
    assert [limiter.reserve(), limiter.reserve()] == [0.0, 0.0]
    assert limiter.reserve() == 60.0
    now[0] += 30.0
    assert limiter.reserve() == 30.0  # two at 160 s now: the window's budget
    now[0] += 60.0
    assert limiter.reserve() == 30.0  # at 190 s: the next free slot is 160 + 60
    now[0] += 40.0
    assert limiter.reserve() == 0.0


@pytest.mark.asyncio
async def test_crew_max_rpm_makes_the_third_request_wait_for_the_window(
    sim: Simulator, llm_on: Callable[..., LLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rate_limit, "WINDOW_SECONDS", WINDOW)
    agent = Agent(role="Worker", goal="Work", backstory="Busy.", llm=llm_on())
    started = time.monotonic()
    await _run(Crew(agents=[agent], tasks=_tasks(agent, 3), max_rpm=2))

    times = [r.received_at for r in sim.stats.requests]
    assert len(times) == 3
    assert times[2] - started >= WINDOW  # the window counts from the first request's start


@pytest.mark.asyncio
async def test_an_agents_own_max_rpm_wins_over_the_crews(
    sim: Simulator, llm_on: Callable[..., LLM], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rate_limit, "WINDOW_SECONDS", WINDOW)
    agent = Agent(role="Worker", goal="Work", backstory="Busy.", llm=llm_on(), max_rpm=1)
    started = time.monotonic()
    await _run(Crew(agents=[agent], tasks=_tasks(agent, 2), max_rpm=100))

    _, second = (r.received_at for r in sim.stats.requests)
    assert second - started >= WINDOW


def test_max_rpm_waits_on_the_blocking_kickoff_path(
    sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_rate_limit, "WINDOW_SECONDS", WINDOW)
    agent = Agent(role="Worker", goal="Work", backstory="Busy.", llm=make_llm(sim_thread.base_url),
                  max_rpm=1)
    started = time.monotonic()
    Crew(agents=[agent], tasks=_tasks(agent, 2)).kickoff()

    assert time.monotonic() - started >= WINDOW
    assert len(sim_thread.stats.requests) == 2


LONG_TASK = " ".join(f"fact{n}" for n in range(400))


@pytest.mark.asyncio
async def test_a_conversation_too_long_for_the_model_is_summarized_and_the_call_made_again(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Reader", goal="Read", backstory="Patient.", llm=llm_on("context=400"))
    task = Task(description=f"Read this: {LONG_TASK}", expected_output="a digest", agent=agent)
    events, output = await _run(Crew(agents=[agent], tasks=[task]))

    prompts = [r.body["messages"][-1]["content"] for r in sim.stats.requests]
    summaries = [p for p in prompts if p.startswith("Analyze the following conversation")]
    assert len(summaries) == 3  # the whole text did not fit, each of its halves did
    retried = sim.stats.requests[-1].body["messages"]
    assert [m["role"] for m in retried] == ["system", "user"]
    assert retried[1]["content"].startswith("<summary>\nAnswer to: Analyze the following")
    assert "Continue the task from where the conversation left off." in retried[1]["content"]
    assert output.raw.startswith("Answer to: <summary>")
    assert events[-1].kind == "run_finished"


@pytest.mark.asyncio
async def test_respect_context_window_false_fails_naming_the_agent(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Reader", goal="Read", backstory="Patient.", llm=llm_on("context=400"),
                  respect_context_window=False)
    task = Task(description=f"Read this: {LONG_TASK}", expected_output="a digest", agent=agent)
    with pytest.raises(TaskExecutionError) as caught:
        await Crew(agents=[agent], tasks=[task]).akickoff()

    cause = caught.value.cause
    assert isinstance(cause, ContextWindowExceededError)
    assert "Agent 'Reader'" in str(cause) and "respect_context_window=False" in str(cause)
    assert "maximum context length is 400 tokens" in str(cause)
    assert len(sim.stats.requests) == 1


@pytest.mark.asyncio
async def test_function_calling_llm_repairs_a_tool_call_that_does_not_parse(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Surveyor", goal="Measure", backstory="Exact.", llm=llm_on(),
                  tools=[measure], function_calling_llm=llm_on("tokens=3"))
    task = Task(description="Measure the bay\nsim-call: measure place=bay depth=deep",
                expected_output="a depth", agent=agent)
    events, _ = await _run(Crew(agents=[agent], tasks=[task]))

    repair = next(r for r in sim.stats.requests if r.body["model"] == "sim:tokens=3")
    assert repair.body["response_format"]["json_schema"]["name"] == "ToolCalling"
    assert "### TEXT \nAction: measure\nAction Input: place=bay depth=deep" in (
        repair.body["messages"][1]["content"]
    )
    result = next(e for e in events if e.kind == "tool_result")
    assert not result.is_error and result.output.endswith(" m")


@pytest.mark.asyncio
async def test_crew_function_calling_llm_is_not_called_for_calls_that_parse(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Surveyor", goal="Measure", backstory="Exact.", llm=llm_on(),
                  tools=[measure])
    arguments = json.dumps({"place": "bay", "depth": 4})
    task = Task(description=f"Measure\nsim-call: measure {arguments}", expected_output="a depth",
                agent=agent)
    crew = Crew(agents=[agent], tasks=[task], function_calling_llm=llm_on("tokens=3"))
    events, _ = await _run(crew)

    assert {r.body["model"] for r in sim.stats.requests} == {"sim"}
    result = next(e for e in events if e.kind == "tool_result")
    assert result.output == "bay: 4 m"


@pytest.mark.asyncio
async def test_without_function_calling_llm_a_bad_call_goes_back_to_the_model(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Surveyor", goal="Measure", backstory="Exact.", llm=llm_on(),
                  tools=[measure])
    task = Task(description="Measure\nsim-call: measure place=bay", expected_output="a depth",
                agent=agent)
    events, _ = await _run(Crew(agents=[agent], tasks=[task]))

    result = next(e for e in events if e.kind == "tool_result")
    assert result.is_error and "not valid JSON" in result.output


@pytest.mark.asyncio
async def test_a_window_too_small_even_for_the_summary_fails_naming_the_agent(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    agent = Agent(role="Reader", goal="Read", backstory="Patient.", llm=llm_on("context=100"))
    task = Task(description=f"Read this: {LONG_TASK}", expected_output="a digest", agent=agent)
    with pytest.raises(TaskExecutionError) as caught:
        await Crew(agents=[agent], tasks=[task]).akickoff()

    cause = caught.value.cause
    assert isinstance(cause, ContextWindowExceededError)
    assert "Agent 'Reader'" in str(cause) and "even after it was summarized" in str(cause)
    assert len(sim.stats.requests) <= 5
