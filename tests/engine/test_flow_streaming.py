"""Flow streaming (`Flow(stream=True)`, `astream`, `stream_frames`) on the simulator over HTTP.

A streamed flow hands out frames: its own events and the streamed text of the crews its
steps kick off, each tagged with its step, agent and task, then `.result`. Sync (`for`) and
async (`async for`); closing the session cancels the flow and closes its crews' streams; a
failing step raises after the frames before it; the typed stream (`run_events`) is untouched.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from desktop_app.engine import LLM, bus
from desktop_app.engine.errors import StreamNotFinishedError
from desktop_app.engine.flow import (
    AsyncStreamSession,
    Flow,
    StreamFrame,
    StreamSession,
    listen,
    start,
)
from desktop_app.simulator import Simulator, SimulatorThread
from tests.engine.conftest import crew_on, make_llm, wait_for


class Streamed(Flow[dict[str, Any]]):
    """A crew from a sync step, then one from an async step; streamed."""

    stream = True
    llm: LLM | None = None

    @start()
    def draft(self) -> str:
        assert self.llm is not None
        crew = crew_on(self.llm, "Drafter", task_name="drafter task")
        return str(crew.kickoff({"topic": self.state["topic"]}).raw)

    @listen(draft)
    async def polish(self, text: str) -> str:
        assert self.llm is not None
        crew = crew_on(self.llm, "Editor", task_name="editor task")
        return str((await crew.akickoff({"topic": text[:30]})).raw)


def _check_tagged(frames: list[StreamFrame], result: str) -> None:
    """The frames of `Streamed`: its steps in order, each crew's text tagged with its step."""
    steps = [(f.type, f.data.get("method_name")) for f in frames if f.channel == "flow"]
    assert steps == [("flow_started", None),
                     ("method_execution_started", "draft"), ("method_execution_finished", "draft"),
                     ("method_execution_started", "polish"),
                     ("method_execution_finished", "polish"), ("flow_finished", None)]
    text = [f for f in frames if f.type == "llm_stream_chunk"]
    tags = [(f.data["method_name"], f.data["agent_role"], f.data["task_name"]) for f in text]
    assert tags == sorted(tags, key=lambda tag: tag[0] != "draft")  # draft's, then polish's
    assert {tags[0], tags[-1]} == {("draft", "Drafter", "drafter task"),
                                   ("polish", "Editor", "editor task")}
    assert text[0].namespace == ["llm", "Streamed", "draft", "Drafter", "drafter task"]
    assert "".join(f.content for f in text if f.data["method_name"] == "polish") == result
    assert [f.seq for f in frames] == list(range(len(frames)))
    started = {f.data["method_name"]: f.id for f in frames
               if f.type == "method_execution_started"}
    assert all(f.parent_id == started[f.data["method_name"]] for f in text)


@pytest.mark.asyncio
@pytest.mark.parametrize("call", ["akickoff", "kickoff_async", "astream"])
async def test_an_async_stream_tags_each_chunk_with_its_step(sim: Simulator, call: str) -> None:
    flow = Streamed(llm=make_llm(sim.base_url))
    opened = getattr(flow, call)({"topic": "tides"})
    session = opened if call == "astream" else await opened
    assert isinstance(session, AsyncStreamSession)
    with pytest.raises(StreamNotFinishedError, match="read to its end"):
        _ = session.result
    frames = [frame async for frame in session]
    assert session.is_completed and session.is_exhausted and not session.is_cancelled
    assert session.result.startswith("Answer to:")
    _check_tagged(frames, session.result)
    assert [f.id for f in session.frames] == [f.id for f in frames]
    assert [f.id async for f in session.flow] == [f.id for f in frames if f.channel == "flow"]


@pytest.mark.asyncio
async def test_streamed_flows_at_once_each_get_their_own_frames_only(sim: Simulator) -> None:
    async def read(topic: str) -> tuple[list[StreamFrame], str]:
        session = await Streamed(llm=make_llm(sim.base_url)).akickoff({"topic": topic})
        return [frame async for frame in session], session.result

    topics = ["tides", "geysers", "glaciers"]
    results = await asyncio.gather(*(read(topic) for topic in topics))
    for topic, (frames, result) in zip(topics, results, strict=True):
        _check_tagged(frames, result)
        drafted = "".join(f.content for f in frames if f.data.get("method_name") == "draft")
        assert topic in drafted and not any(other in drafted for other in topics
                                            if other != topic)
    from desktop_app.engine.flow import _routes

    assert not _routes._routes  # every route is gone with its flow: no bus subscriber left


def test_astream_outside_a_loop_says_what_to_use() -> None:
    with pytest.raises(RuntimeError, match=r"Streamed.astream\(\) needs a running event loop"):
        Streamed().astream()


def test_a_sync_kickoff_streams_with_a_plain_for(sim_thread: SimulatorThread) -> None:
    flow = Streamed(llm=make_llm(sim_thread.base_url))
    with flow.kickoff(inputs={"topic": "tides"}) as session:
        assert isinstance(session, StreamSession)
        text = list(session.llm)  # only the crews' streamed text
        assert {f.channel for f in text} == {"llm"}
    frames = session.frames
    _check_tagged(frames, session.result)
    assert session.get_full_text() == "".join(f.content for f in text)
    assert flow.usage_metrics.successful_requests == 2


@pytest.mark.asyncio
async def test_stream_set_on_the_instance_and_the_typed_stream_untouched(sim: Simulator) -> None:
    class Plain(Streamed):
        stream = False

    flow = Plain(llm=make_llm(sim.base_url), stream=True)
    session = await flow.akickoff({"topic": "tides"})
    assert isinstance(session, AsyncStreamSession)
    await session.aclose()
    typed = [event async for event in flow.run_events({"topic": "tides"})]
    assert typed[-1].kind == "flow_finished" and any(e.kind == "text" for e in typed)
    assert [e.kind async for e in flow.stream_events({"topic": "x"})][-1] == "flow_finished"


class Slow(Flow[dict[str, Any]]):
    stream = True
    llm: LLM | None = None
    sync_step: bool = False

    @start()
    async def write(self) -> str:
        assert self.llm is not None
        if self.sync_step:
            return ""  # the sync path is the next step
        crew = crew_on(self.llm, "Writer", task_name="writer task")
        return str((await crew.akickoff({"topic": "long"})).raw)

    @listen(write)
    def more(self) -> str:
        assert self.llm is not None
        crew = crew_on(self.llm, "Writer", task_name="writer task")
        return str(crew.kickoff({"topic": "longer"}).raw)


@pytest.mark.asyncio
@pytest.mark.parametrize("sync_step", [False, True], ids=["async-step", "sync-step"])
async def test_closing_an_async_session_mid_stream_cancels_the_flow_and_its_crew(
    sim: Simulator, sync_step: bool
) -> None:
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        flow = Slow(llm=make_llm(sim.base_url, "tps=20,tokens=400"), sync_step=sync_step)
        async with await flow.akickoff() as session:
            async for frame in session:
                if frame.type == "llm_stream_chunk":
                    break
        await wait_for(lambda: sim.stats.streams_aborted_by_client == 1, within=10.0)
    finally:
        unsubscribe()
    assert session.is_cancelled and session.is_completed and not session.is_exhausted
    with pytest.raises(StreamNotFinishedError, match="closed before the flow ended"):
        _ = session.result
    assert any(e.kind == "flow_cancelled" for e in seen)
    assert any(e.kind == "run_cancelled" for e in seen)


def test_closing_a_sync_session_mid_stream_cancels_the_flow_and_its_crew(
    sim_thread: SimulatorThread,
) -> None:
    flow = Slow(llm=make_llm(sim_thread.base_url, "tps=20,tokens=400"))
    session = flow.kickoff()
    first = next(f for f in session if f.type == "llm_stream_chunk")
    assert first.data["method_name"] == "write"
    session.close()  # returns once the flow has stopped
    deadline = time.monotonic() + 10
    while sim_thread.stats.streams_aborted_by_client < 1:
        assert time.monotonic() < deadline, "the crew's stream was not closed"
        time.sleep(0.01)
    assert session.is_cancelled and list(session) == session.frames


class Failing(Flow[dict[str, Any]]):
    stream = True
    llm: LLM | None = None

    @start()
    async def write(self) -> str:
        assert self.llm is not None
        crew = crew_on(self.llm, "Writer", task_name="writer task")
        return str((await crew.akickoff({"topic": "x"})).raw)

    @listen(write)
    def check(self, text: str) -> None:
        raise ValueError(f"the text is too short ({len(text)} characters)")


@pytest.mark.asyncio
async def test_an_error_in_a_step_surfaces_after_the_frames_so_far(sim: Simulator) -> None:
    session = await Failing(llm=make_llm(sim.base_url)).akickoff()
    frames: list[StreamFrame] = []
    with pytest.raises(ValueError, match="too short") as raised:
        async for frame in session:
            frames.append(frame)
    assert "'check' of flow Failing" in "".join(raised.value.__notes__)
    assert any(f.type == "llm_stream_chunk" and f.data["method_name"] == "write"
               for f in frames)
    assert [(f.type, f.data.get("method_name")) for f in frames[-2:]] == [
        ("method_execution_failed", "check"), ("flow_failed", "check")]
    assert session.is_completed and not session.is_exhausted
    with pytest.raises(ValueError, match="too short"):
        _ = session.result


def test_an_error_in_a_step_of_a_sync_stream(sim_thread: SimulatorThread) -> None:
    session = Failing(llm=make_llm(sim_thread.base_url)).kickoff()
    frames: list[StreamFrame] = []
    with pytest.raises(ValueError, match="too short"):
        frames.extend(session)
    assert frames and frames[-1].type == "flow_failed"
    assert any(f.type == "llm_stream_chunk" for f in frames)
    with pytest.raises(ValueError, match="too short"):
        _ = session.result
