"""Runs of the same objects at once: each keeps its own state, chunks and usage."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable

import pytest

from desktop_app.engine import LLM, Agent, Crew, StreamChunk, Task
from desktop_app.simulator import Simulator


def _writer(llm: LLM) -> Agent:
    return Agent(role="Writer", goal="Write about {topic}", backstory="A writer.", llm=llm)


@pytest.mark.asyncio
async def test_one_agent_in_two_crews_at_once(llm_on: Callable[..., LLM]) -> None:
    agent = _writer(llm_on("tokens=30"))
    crew_a = Crew(agents=[agent], tasks=[Task(description="Alpha on {topic}", expected_output="x", agent=agent)])
    crew_b = Crew(agents=[agent], tasks=[Task(description="Beta on {topic}", expected_output="x", agent=agent)])

    out_a, out_b = await asyncio.gather(
        crew_a.akickoff({"topic": "owls"}), crew_b.akickoff({"topic": "bees"})
    )

    assert out_a.raw.startswith("Answer to: Current Task: Alpha on owls")
    assert out_b.raw.startswith("Answer to: Current Task: Beta on bees")


@pytest.mark.asyncio
async def test_usage_is_per_run_and_matches_the_provider(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    short, long = _writer(llm_on("tokens=12")), _writer(llm_on("tokens=40"))
    crew_short = Crew(tasks=[Task(description="Do {topic}", expected_output="x", agent=short)])
    crew_long = Crew(tasks=[Task(description="Do {topic}", expected_output="x", agent=long)])

    first, second, third = await asyncio.gather(
        crew_short.akickoff({"topic": "a"}),
        crew_long.akickoff({"topic": "b"}),
        crew_short.akickoff({"topic": "c"}),
    )

    assert first.token_usage.successful_requests == 1
    assert first.token_usage.completion_tokens == 12
    assert second.token_usage.completion_tokens == 40
    assert third.token_usage.completion_tokens == 12
    reported_prompt = sum(r.body and 1 for r in sim.stats.requests)
    assert reported_prompt == 3
    assert first.token_usage.total_tokens == (
        first.token_usage.prompt_tokens + first.token_usage.completion_tokens
    )


@pytest.mark.asyncio
async def test_streams_of_concurrent_runs_never_mix(llm_on: Callable[..., LLM]) -> None:
    agent = _writer(llm_on("tokens=25"))
    crew = Crew(
        agents=[agent],
        tasks=[Task(description="Topic {topic}", expected_output="x", agent=agent, name="only")],
        stream=True,
    )
    outputs = [await crew.akickoff({"topic": t}) for t in ("red", "green", "blue")]

    async def read(out: object) -> list[StreamChunk]:
        return [chunk async for chunk in out]  # type: ignore[attr-defined]

    chunk_lists = await asyncio.gather(*(read(o) for o in outputs))

    for topic, out, chunks in zip(("red", "green", "blue"), outputs, chunk_lists, strict=True):
        text = "".join(c.content for c in chunks)
        assert text == out.result.raw
        assert f"Topic {topic}" in text
        assert len({c.run_id for c in chunks}) == 1
        assert all(c.task_name == "only" and c.agent_role == "Writer" for c in chunks)


@pytest.mark.asyncio
async def test_for_each_after_kickoff_uses_the_new_inputs(llm_on: Callable[..., LLM]) -> None:
    agent = _writer(llm_on())
    crew = Crew(tasks=[Task(description="About {topic}", expected_output="x", agent=agent)])

    await crew.akickoff({"topic": "first"})
    results = await crew.akickoff_for_each([{"topic": "second"}, {"topic": "third"}])

    assert [r.raw.split(".")[0] for r in results] == [
        "Answer to: Current Task: About second",
        "Answer to: Current Task: About third",
    ]
    assert crew.tasks[0].description == "About {topic}"


@pytest.mark.asyncio
async def test_akickoff_keeps_every_call_in_flight_with_bounded_threads(
    sim: Simulator, llm_on: Callable[..., LLM]
) -> None:
    """No thread per LLM call and no pool cap on calls in flight (CrewAI 1.15 keeps 6).

    litellm's `acompletion` does its synchronous request setup through the loop's default
    executor (a pooled thread hop of a few ms); the request and the stream are awaited on
    the loop. So threads stay bounded by that pool however many runs go, and every request
    is in flight at once.
    """
    # 3 s to first token: long enough that every call has started, even on a loaded
    # machine where litellm's paced request setups take tens of ms each.
    agent = _writer(llm_on("tokens=20,ttft=3"))
    crew = Crew(tasks=[Task(description="T {topic}", expected_output="x", agent=agent)])
    await Crew(tasks=[Task(description="warm", expected_output="x", agent=_writer(llm_on()))]).akickoff({"topic": "warm-up"})
    pool_size = min(32, (os.cpu_count() or 1) + 4)
    before = threading.active_count()
    sim.stats.reset()

    running = asyncio.gather(*(crew.akickoff({"topic": str(i)}) for i in range(60)))
    peak_threads = before
    while not running.done():
        peak_threads = max(peak_threads, threading.active_count())
        await asyncio.sleep(0.02)
    results = await running

    assert len(results) == 60
    assert peak_threads - before <= pool_size
    assert sim.stats.max_in_flight == 60
