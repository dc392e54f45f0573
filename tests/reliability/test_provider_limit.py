"""The per-provider concurrency limit: a rate-limited batch queues instead of storming."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine import _litellm_pacing as pacing
from desktop_app.simulator import Simulator


def _crew(llm: LLM) -> Crew:
    agent = Agent(role="Analyst", goal="Analyse", backstory="An analyst.", llm=llm)
    return Crew(tasks=[Task(description="Report on {topic}", expected_output="x", agent=agent)])


@pytest.mark.asyncio
async def test_200_crews_on_a_rate_limited_provider_stay_at_the_limit(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    limit = 16
    llm = llm_on(
        "status=429,retry_after=0.2,fail_times=60,tokens=5",
        max_concurrency=limit, max_retries=8,
    )
    results = await asyncio.gather(*(_crew(llm).akickoff({"topic": str(i)}) for i in range(200)))

    assert all(result.raw.startswith("Answer to:") for result in results)
    gate = pacing.provider_limit("openai", sim.base_url)
    assert sim.stats.max_in_flight <= limit
    assert gate.max_active == limit
    assert gate.active == 0
    assert sim.stats.requests_total == 260
    print(f"\n200 crews, limit {limit}: max in flight {sim.stats.max_in_flight}, "
          f"requests {sim.stats.requests_total}, all succeeded")


@pytest.mark.asyncio
async def test_the_limit_counts_threads_too(sim: Simulator, llm_on: Callable[..., LLM]) -> None:
    llm = llm_on("tokens=20,tps=400", max_concurrency=3)
    results = await asyncio.gather(
        *(_crew(llm).kickoff_async({"topic": str(i)}) for i in range(6)),
        *(_crew(llm).akickoff({"topic": str(i)}) for i in range(6)),
    )
    assert len(results) == 12
    assert sim.stats.max_in_flight <= 3
    assert pacing.provider_limit("openai", sim.base_url).max_active == 3


@pytest.mark.asyncio
async def test_a_cancelled_waiter_gives_its_turn_back(sim: Simulator) -> None:
    limit = pacing.ProviderLimit()
    await limit.acquire(1)
    waiter = asyncio.ensure_future(limit.acquire(1))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    limit.release()
    assert limit.active == 0
    await asyncio.wait_for(limit.acquire(1), 1.0)
    limit.release()
    assert limit.max_active == 1


def test_max_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LLM(model="openai/sim", max_concurrency=0)
