"""Flows whose steps kick crews off, on the simulator over HTTP.

A crew in a sync step (`crew.kickoff()`, in a worker thread) and in an async step (`await
crew.akickoff()`, on the loop); the crews are announced to the flow (their events can be tagged
with the step) and their usage summed; cancelling a flow closes its crews' streams; a failing
step fails its flow while another flow goes on; many flows run at once on one loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from desktop_app.engine import LLM, bus
from desktop_app.engine.flow import Flow, listen, start
from desktop_app.simulator import Simulator
from tests.engine.conftest import crew_on, make_llm, wait_for


class TwoStyles(Flow[dict[str, Any]]):
    """One crew from a sync step, one from an async step."""

    llm: LLM | None = None

    @start()
    def draft(self) -> str:
        assert self.llm is not None
        return str(crew_on(self.llm, "Drafter").kickoff({"topic": self.state["topic"]}).raw)

    @listen(draft)
    async def polish(self, text: str) -> str:
        assert self.llm is not None
        out = await crew_on(self.llm, "Editor").akickoff({"topic": text[:40]})
        return str(out.raw)


@pytest.mark.asyncio
@pytest.mark.parametrize("call", ["akickoff", "kickoff_async"])
async def test_crews_in_sync_and_async_steps_report_to_their_flow(
    sim: Simulator, call: str
) -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        flow = TwoStyles(llm=make_llm(sim.base_url))
        result = await getattr(flow, call)(inputs={"topic": "tides"})
    finally:
        unsubscribe()
    assert result.startswith("Answer to:") and "Write about Answer to:" in result
    started = [e for e in seen if e.kind == "flow_crew_started"]
    assert [(e.method, e.crew_name) for e in started] == [
        ("draft", "Drafter crew"), ("polish", "Editor crew")]
    crew_runs = {e.run_id for e in seen if e.kind == "run_started"}
    assert crew_runs == {e.crew_run_id for e in started}
    finished = [e for e in seen if e.kind == "flow_finished"]
    assert finished[0].usage.total_tokens == flow.usage_metrics.total_tokens > 0
    assert flow.usage_metrics.successful_requests == 2


def test_a_sync_kickoff_of_a_flow_runs_its_crews(sim_thread: Any) -> None:
    flow = TwoStyles(llm=make_llm(sim_thread.base_url))
    assert flow.kickoff(inputs={"topic": "tides"}).startswith("Answer to:")
    assert flow.usage_metrics.successful_requests == 2


class Slow(Flow[dict[str, Any]]):
    llm: LLM | None = None
    sync_step: bool = False

    @start()
    async def write(self) -> str:
        assert self.llm is not None
        if self.sync_step:
            return await asyncio.to_thread(lambda: "")  # the sync path is the next step
        return str((await crew_on(self.llm).akickoff({"topic": "long"})).raw)

    @listen(write)
    def more(self) -> str:
        assert self.llm is not None
        return str(crew_on(self.llm).kickoff({"topic": "longer"}).raw)


@pytest.mark.asyncio
@pytest.mark.parametrize("sync_step", [False, True], ids=["async-step", "sync-step"])
async def test_cancelling_a_flow_cancels_its_running_crew(
    sim: Simulator, sync_step: bool
) -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        flow = Slow(llm=make_llm(sim.base_url, "tps=20,tokens=400"), sync_step=sync_step)
        task = asyncio.ensure_future(flow.akickoff())
        await wait_for(lambda: sim.stats.in_flight == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_for(lambda: sim.stats.streams_aborted_by_client == 1)
        await wait_for(lambda: any(e.kind == "run_cancelled" for e in seen))
    finally:
        unsubscribe()
    assert seen[-1].kind in ("flow_cancelled", "run_cancelled")
    assert any(e.kind == "flow_cancelled" for e in seen)


class Failing(Flow[dict[str, Any]]):
    llm: LLM | None = None

    @start()
    async def write(self) -> str:
        assert self.llm is not None
        return str((await crew_on(self.llm).akickoff({"topic": "x"})).raw)

    @listen(write)
    def check(self, text: str) -> None:
        raise ValueError(f"the text is too short ({len(text)} characters)")


@pytest.mark.asyncio
async def test_a_failing_step_fails_its_flow_and_another_flow_goes_on(sim: Simulator) -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        bad = Failing(llm=make_llm(sim.base_url))
        good = TwoStyles(llm=make_llm(sim.base_url, "tps=400,tokens=80"))
        results = await asyncio.gather(bad.akickoff(), good.akickoff(inputs={"topic": "x"}),
                                       return_exceptions=True)
    finally:
        unsubscribe()
    assert isinstance(results[0], ValueError)
    assert "'check' of flow Failing" in "".join(results[0].__notes__)
    assert isinstance(results[1], str) and results[1].startswith("Answer to:")
    failed = [e for e in seen if e.kind == "flow_failed"]
    assert [(e.flow_name, e.method) for e in failed] == [("Failing", "check")]
    assert "too short" in failed[0].error


class Chain(Flow[dict[str, Any]]):
    llm: LLM | None = None

    @start()
    async def one(self) -> str:
        assert self.llm is not None
        return str((await crew_on(self.llm).akickoff({"topic": self.state["n"]})).raw)

    @listen(one)
    async def two(self, text: str) -> int:
        return len(text)


@pytest.mark.asyncio
async def test_many_flows_run_at_once_on_one_loop(sim: Simulator) -> None:
    llm = make_llm(sim.base_url, "ttft=0.2")
    flows = [Chain(llm=llm) for _ in range(20)]
    started = asyncio.get_running_loop().time()
    lengths = await asyncio.gather(*(f.akickoff(inputs={"n": i}) for i, f in enumerate(flows)))
    elapsed = asyncio.get_running_loop().time() - started
    assert all(length > 0 for length in lengths)
    assert sim.stats.max_in_flight == 20
    assert elapsed < 2.0  # 20 flows of a 0.2 s crew each, at once
    assert len({f.flow_id for f in flows}) == 20


class BlockingInAsync(Flow[dict[str, Any]]):
    """A blocking `crew.kickoff()` inside an async step: CrewAI 1.15 refuses it ("invoked
    synchronously from within a running event loop"); here it runs (on a helper thread) and
    still reports to its step."""

    llm: LLM | None = None

    @start()
    async def write(self) -> str:
        assert self.llm is not None
        return str(crew_on(self.llm).kickoff({"topic": "tides"}).raw)


def test_a_blocking_kickoff_inside_an_async_step_works(sim_thread: Any) -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        flow = BlockingInAsync(llm=make_llm(sim_thread.base_url))
        result = asyncio.run(asyncio.wait_for(flow.akickoff(), 30))
    finally:
        unsubscribe()
    assert result.startswith("Answer to:")
    assert [e.method for e in seen if e.kind == "flow_crew_started"] == ["write"]
    assert flow.usage_metrics.successful_requests == 1


@pytest.mark.asyncio
async def test_a_flow_stream_holds_its_own_events_and_its_crews(sim: Simulator) -> None:
    one = TwoStyles(llm=make_llm(sim.base_url))
    other = TwoStyles(llm=make_llm(sim.base_url))
    stream = one.stream_events({"topic": "tides"})
    beside = asyncio.ensure_future(other.akickoff({"topic": "wind"}))
    events = [event async for event in stream]
    await beside
    flow_ids = {e.run_id for e in events if e.kind.startswith("flow_")}
    assert len(flow_ids) == 1
    crews = {e.crew_run_id: e.method for e in events if e.kind == "flow_crew_started"}
    assert sorted(crews.values()) == ["draft", "polish"]
    assert {e.run_id for e in events} == flow_ids | set(crews)
    assert any(e.kind == "text" for e in events)  # the crews' streamed text, tagged by run
    assert events[-1].kind == "flow_finished" and stream.value().startswith("Answer to:")


@pytest.mark.asyncio
async def test_closing_a_flow_stream_cancels_the_flow(sim: Simulator) -> None:
    flow = Slow(llm=make_llm(sim.base_url, "tps=20,tokens=400"))
    stream = flow.stream_events()
    async for event in stream:
        if event.kind == "text":
            break
    await stream.aclose()
    await wait_for(lambda: sim.stats.streams_aborted_by_client == 1)
