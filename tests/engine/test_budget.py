"""Budgets (`engine.budget`): a warning at 80%, a clean stop within one chunk of the limit that
keeps the partial output, per run and per batch, on the simulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from desktop_app.engine import (
    LLM,
    Agent,
    Budget,
    BudgetExceededError,
    BudgetMeter,
    Crew,
    Task,
)
from desktop_app.engine import events as ev
from desktop_app.engine._budget_run import CHARS_PER_TOKEN
from desktop_app.simulator import Simulator, SimulatorThread


def _crew(llm: LLM, *, tasks: int = 1, stream: bool = False) -> Crew:
    agent = Agent(role="Analyst", goal="Analyse", backstory="An analyst.", llm=llm)
    return Crew(
        tasks=[Task(description=f"Report {n} on {{topic}}", expected_output="a report",
                    agent=agent) for n in range(tasks)],
        stream=stream,
    )


async def _events(crew: Crew, inputs: dict[str, object]) -> tuple[list[ev.RunEvent], object]:
    stream = crew.stream_events(inputs)
    seen: list[ev.RunEvent] = []
    try:
        async for event in stream:
            seen.append(event)
        return seen, stream.value()
    except BudgetExceededError as exc:
        return seen, exc


def test_a_budget_refuses_limits_that_are_not_above_zero() -> None:
    with pytest.raises(ValueError, match="budget tokens must be above 0"):
        Budget(tokens=0)
    with pytest.raises(ValueError, match="budget dollars"):
        Budget(dollars=-1.0)
    assert Budget().is_empty()


@pytest.mark.asyncio
async def test_a_token_budget_stops_within_one_chunk_and_keeps_the_partial_output(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on("tokens=400"), tasks=2)
    crew.set_budget(Budget(tokens=150))
    seen, outcome = await _events(crew, {"topic": "tides"})

    assert isinstance(outcome, BudgetExceededError)
    assert (outcome.scope, outcome.measure, outcome.task_index) == ("run", "tokens", 0)
    chunks = [e.content for e in seen if isinstance(e, ev.TextDelta)]
    assert 0 < len(chunks) < 400  # stopped mid-stream, not after the answer
    last = max(1.0, len(chunks[-1]) / CHARS_PER_TOKEN)
    assert 150 <= outcome.spent < 150 + last  # the chunk that crossed the limit was the last
    assert outcome.output.tasks_output[-1].raw == "".join(chunks)  # the partial output kept
    closing = seen[-1]
    assert isinstance(closing, ev.RunCancelled)
    assert closing.reason == "budget" and "stopped by budget" in closing.message
    assert not any(isinstance(e, ev.TaskStarted) and e.task_index == 1 for e in seen)
    assert sim.stats.streams_aborted_by_client >= 1  # the call was closed, not read to its end


@pytest.mark.asyncio
async def test_the_warning_comes_once_at_80_percent_and_the_run_finishes(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on("tokens=40"), tasks=2)
    seen, output = await _events(crew, {"topic": "tides"})
    total = output.token_usage.total_tokens  # type: ignore[attr-defined]

    crew.set_budget(Budget(tokens=int(total / 0.9)))
    seen, output = await _events(crew, {"topic": "tides"})
    warnings = [e for e in seen if isinstance(e, ev.BudgetWarning)]
    assert len(warnings) == 1
    assert warnings[0].measure == "tokens" and warnings[0].spent >= 0.8 * warnings[0].limit
    assert "of the run's budget" in warnings[0].message
    assert isinstance(seen[-1], ev.RunFinished)

    crew.set_budget(Budget(tokens=total * 2))
    seen, _ = await _events(crew, {"topic": "tides"})
    assert not any(isinstance(e, ev.BudgetWarning) for e in seen)


@pytest.mark.asyncio
async def test_a_dollar_budget_prices_the_calls_at_the_models_price(sim: Simulator) -> None:
    priced = LLM(model="openai/gpt-4o-mini", base_url=sim.base_url, api_key="sk-test")
    crew = _crew(priced, tasks=3)
    seen, _ = await _events(crew, {"topic": "tides"})
    cost = next(e for e in seen if isinstance(e, ev.RunFinished)).cost_usd
    assert cost  # the simulator's answers, priced as gpt-4o-mini

    crew.set_budget(Budget(dollars=cost / 2))
    seen, outcome = await _events(crew, {"topic": "tides"})
    assert isinstance(outcome, BudgetExceededError) and outcome.measure == "dollars"
    assert cost / 2 <= outcome.spent < cost
    assert any(isinstance(e, ev.BudgetWarning) for e in seen)


@pytest.mark.asyncio
async def test_a_batch_budget_is_shared_by_the_runs_of_a_for_each(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on("tokens=60"))
    one = (await crew.akickoff({"topic": "x"})).token_usage.total_tokens
    crew.set_budget(Budget(tokens=one * 2), per_batch=Budget(tokens=int(one * 2.5)))
    with pytest.raises(BudgetExceededError) as caught:
        await crew.akickoff_for_each([{"topic": f"t{n}"} for n in range(4)])
    assert caught.value.scope == "batch"  # no run reached its own budget; the four together did

    crew.set_budget(None, per_batch=Budget(tokens=one * 10))
    outputs = await crew.akickoff_for_each([{"topic": f"t{n}"} for n in range(4)])
    assert len(outputs) == 4  # a fresh meter per batch: the last batch's spending is not kept


@pytest.mark.asyncio
async def test_a_shared_meter_counts_the_runs_of_several_crews(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    meter = BudgetMeter(Budget(tokens=10_000))
    for _ in range(2):
        crew = _crew(llm_on("tokens=30"))
        crew.set_budget(None, per_batch=meter)
        output = await crew.akickoff({"topic": "x"})
    assert meter.spent().tokens >= 2 * output.token_usage.total_tokens


@pytest.mark.asyncio
async def test_a_minutes_budget_stops_a_run_that_waits(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on("hang=1"))
    crew.set_budget(Budget(minutes=0.004))
    seen, outcome = await _events(crew, {"topic": "x"})
    assert isinstance(outcome, BudgetExceededError) and outcome.measure == "minutes"
    assert isinstance(seen[-1], ev.RunCancelled) and seen[-1].reason == "budget"


def test_the_blocking_kickoff_stops_at_its_budget_too(sim_thread: SimulatorThread) -> None:
    llm = LLM(model="openai/sim:tokens=400", base_url=sim_thread.base_url, api_key="sk-test")
    crew = _crew(llm)
    crew.set_budget(Budget(tokens=120))
    with pytest.raises(BudgetExceededError) as caught:
        crew.kickoff({"topic": "x"})
    assert 120 <= caught.value.spent < 125
    assert caught.value.output.raw.startswith("Answer to:")


@pytest.mark.asyncio
async def test_a_kickoff_async_run_stops_at_its_budget_in_its_thread(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    crew = _crew(llm_on("tokens=400"))
    crew.set_budget(Budget(tokens=150))
    stream = crew.stream_events({"topic": "x"}, mode="kickoff_async")
    seen = []
    with pytest.raises(BudgetExceededError) as caught:
        async for event in stream:
            seen.append(event)
    assert 150 <= caught.value.spent < 155
    assert isinstance(seen[-1], ev.RunCancelled) and seen[-1].reason == "budget"
