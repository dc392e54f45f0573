"""The process-wide event bus (C2) and the forced LLM target (C3), on the simulator."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from desktop_app.engine import LLM, Agent, Crew, Embedder, RunEvent, Task, bus, force_llm_target
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm


def _crew(llm: LLM) -> Crew:
    agent = Agent(role="Writer", goal="Write", backstory="Clear.", llm=llm)
    task = Task(description="Write a line about tides.", expected_output="A line.", agent=agent)
    return Crew(agents=[agent], tasks=[task])


def test_a_subscriber_gets_every_event_with_text_from_the_run_thread(
    sim_thread: SimulatorThread,
) -> None:
    seen: list[tuple[str, int]] = []
    unsubscribe = bus.subscribe(lambda event: seen.append((event.kind, threading.get_ident())))
    try:
        output = _crew(make_llm(sim_thread.base_url)).kickoff()
    finally:
        unsubscribe()
    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert "text" in kinds and "task_finished" in kinds
    assert {ident for _, ident in seen} == {threading.get_ident()}
    assert output.raw


def test_kickoff_async_events_reach_the_bus_from_its_worker_thread(
    sim_thread: SimulatorThread,
) -> None:
    threads: set[int] = set()
    unsubscribe = bus.subscribe(lambda _event: threads.add(threading.get_ident()))
    try:
        asyncio.run(_crew(make_llm(sim_thread.base_url)).kickoff_async())
    finally:
        unsubscribe()
    assert threads and threading.get_ident() not in threads


def test_a_failing_subscriber_is_logged_and_the_run_goes_on(
    sim_thread: SimulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_event: RunEvent) -> None:
        raise RuntimeError("subscriber bug")

    events: list[RunEvent] = []
    unsubscribe_broken = bus.subscribe(broken)
    unsubscribe = bus.subscribe(events.append)
    try:
        with caplog.at_level(logging.ERROR, logger="desktop_app.engine.bus"):
            output = _crew(make_llm(sim_thread.base_url)).kickoff()
    finally:
        unsubscribe_broken()
        unsubscribe()
    assert output.raw
    assert events[-1].kind == "run_finished"
    assert "subscriber failed" in caplog.text
    unsubscribe()  # a second call does nothing
    assert not bus.active()


def test_forced_target_reaches_agents_that_name_their_own_model(
    sim_thread: SimulatorThread,
) -> None:
    crew = _crew(LLM("gpt-4o"))  # a project's own model, no base URL, no key
    with force_llm_target("openai/sim", sim_thread.base_url, "sk-test"):
        output = crew.kickoff()
        threaded = asyncio.run(crew.kickoff_async())
    assert output.raw and threaded.raw
    assert LLM("gpt-4o").target().base_url is None  # ended with the block


def test_forced_target_reaches_the_embedder(sim_thread: SimulatorThread) -> None:
    embedder = Embedder("openai/text-embedding-3-small")
    with force_llm_target("openai/sim", sim_thread.base_url, "sk-test"):
        vectors = embedder.embed(["tides", "moon"])
    assert len(vectors) == 2 and vectors[0]
