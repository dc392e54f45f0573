"""Many crews on one loop: they begin a few per loop iteration (the start gate), and a raised
per-provider limit keeps every call of a large batch in flight at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine._litellm_pacing import CREW_STARTS_PER_ITERATION, DEFAULT_MAX_CONCURRENCY
from desktop_app.simulator import Simulator


class _Iterations:
    """Counts the loop's iterations: a callback that schedules itself for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


def _crew(llm: LLM, started: Callable[[dict[str, Any]], dict[str, Any]]) -> Crew:
    agent = Agent(role="Writer", goal="Write", backstory="Writes.", llm=llm)
    task = Task(description="Write about {topic}", expected_output="A line", agent=agent)
    return Crew(tasks=[task], before_kickoff_callbacks=[started])


@pytest.mark.asyncio
async def test_crews_gathered_at_once_begin_a_few_per_loop_iteration(
    llm_on: Callable[..., LLM],
) -> None:
    iterations = _Iterations()
    began: list[int] = []

    def started(inputs: dict[str, Any]) -> dict[str, Any]:
        began.append(iterations.count)
        return inputs

    crew = _crew(llm_on("tokens=2"), started)
    outputs = await asyncio.gather(*(crew.akickoff({"topic": str(i)}) for i in range(40)))
    iterations.stop()
    assert len(outputs) == 40 and all(output.raw for output in outputs)
    per_iteration = Counter(began)
    assert max(per_iteration.values()) <= CREW_STARTS_PER_ITERATION
    assert len(per_iteration) >= 40 // CREW_STARTS_PER_ITERATION


@pytest.mark.asyncio
async def test_a_raised_provider_limit_keeps_a_large_batch_in_flight(sim: Simulator) -> None:
    # Each answer waits 2 s before its first token, so that opening 300 connections on a loaded
    # 2-core machine still overlaps them all.
    llm = LLM("openai/sim:ttft=2,tokens=2", base_url=sim.base_url, api_key="k",
              max_concurrency=400)
    results = await asyncio.gather(
        *(llm.acall([{"role": "user", "content": f"n{i}"}]) for i in range(300)))
    assert all(result.text for result in results)
    assert sim.stats.max_in_flight > DEFAULT_MAX_CONCURRENCY  # the default would hold it at 256
    assert sim.stats.max_in_flight == 300
