"""CrewAI 1.15 flow streaming as its users write it, under the import hook, on the simulator.

`flow.stream = True` (or a class attribute), `for frame in flow.kickoff()`, `frame.content`,
`.result`; `await flow.kickoff_async()` and `flow.astream()` with `async for` and `async with`;
`flow.stream_events()` is CrewAI's (frames), while `run_events()` stays CrewDesk's typed stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from desktop_app.cli import main as crewdesk
from desktop_app.simulator import SimulatorThread
from tests.process_support import kept_process_state

FLOW = '''
from crewai import LLM, Agent, Crew, Task
from crewai.flow import Flow, listen, start
from pydantic import BaseModel


class StoryState(BaseModel):
    id: str = ""
    topic: str = "tides"
    story: str = ""


def writer_crew(base_url, role):
    llm = LLM(model="openai/sim", base_url=base_url, api_key="sk-test")
    agent = Agent(role=role, goal="Write", backstory="A writer.", llm=llm)
    task = Task(description="Write about {topic}", expected_output="a story", agent=agent)
    return Crew(agents=[agent], tasks=[task])


class StoryFlow(Flow[StoryState]):
    base_url = ""

    @start()
    def outline(self):
        return writer_crew(self.base_url, "Planner").kickoff(inputs={"topic": self.state.topic}).raw

    @listen(outline)
    async def write(self, outline):
        out = await writer_crew(self.base_url, "Writer").akickoff(inputs={"topic": outline[:30]})
        self.state.story = out.raw
        return out.raw


def run_streamed(base_url):
    flow = StoryFlow(base_url=base_url)
    flow.stream = True
    streaming = flow.kickoff(inputs={"topic": "tidal power"})
    printed = []
    for frame in streaming:
        printed.append(frame.content)
    return flow, streaming, "".join(printed)
'''


def test_a_crewai_flow_streams_with_a_plain_for(
    hook: None, load_module: Callable[..., ModuleType], sim_thread: SimulatorThread
) -> None:
    module = load_module("story_flow.py", {"story_flow.py": FLOW})
    flow, streaming, printed = module.run_streamed(sim_thread.base_url)
    from crewai.types.streaming import StreamFrame, StreamSession  # type: ignore[import-not-found]

    from desktop_app.engine import flow as engine_flow

    assert StreamSession is engine_flow.StreamSession and StreamFrame is engine_flow.StreamFrame
    assert isinstance(streaming, StreamSession) and streaming.is_completed
    assert streaming.result == flow.state.story and streaming.result.startswith("Answer to:")
    steps = {f.data["method_name"] for f in streaming.frames if f.type == "llm_stream_chunk"}
    assert steps == {"outline", "write"}
    assert printed == "".join(f.content for f in streaming.frames if f.channel == "llm")
    roles = [(f.data["method_name"], f.data["agent_role"]) for f in streaming.frames
             if f.type == "task_started"]
    assert roles == [("outline", "Planner"), ("write", "Writer")]


def test_crewais_stream_events_gives_frames_and_run_events_the_typed_stream(
    hook: None, load_module: Callable[..., ModuleType], sim_thread: SimulatorThread
) -> None:
    module = load_module("story_flow.py", {"story_flow.py": FLOW})
    flow = module.StoryFlow(base_url=sim_thread.base_url)
    with flow.stream_events({"topic": "wind"}) as session:
        kinds = [frame.type for frame in session.flow]
    assert kinds[0] == "flow_started" and kinds[-1] == "flow_finished"
    assert session.result == flow.state.story

    async def typed() -> list[Any]:
        return [event async for event in flow.run_events({"topic": "wind"})]

    events = asyncio.run(typed())
    assert events[-1].kind == "flow_finished"
    assert any(event.kind == "flow_crew_started" for event in events)


def test_an_async_crewai_stream_with_async_with(
    hook: None, load_module: Callable[..., ModuleType], sim_thread: SimulatorThread
) -> None:
    module = load_module("story_flow.py", {"story_flow.py": FLOW})

    async def read() -> tuple[list[str], Any]:
        flow = module.StoryFlow(base_url=sim_thread.base_url, stream=True)
        chunks: list[str] = []
        async with await flow.kickoff_async(inputs={"topic": "rain"}) as streaming:
            async for frame in streaming:
                if frame.type == "llm_stream_chunk":
                    chunks.append(frame.data["method_name"])
        closed = flow.astream({"topic": "snow"})
        await closed.aclose()
        return chunks, (streaming, closed)

    chunks, (streaming, closed) = asyncio.run(read())
    assert chunks[0] == "outline" and chunks[-1] == "write"
    assert streaming.is_exhausted and streaming.result.startswith("Answer to:")
    assert closed.is_cancelled
    with pytest.raises(RuntimeError, match="closed before the flow ended"):
        _ = closed.result


def test_flow_streaming_output_says_what_to_use(hook: None) -> None:
    with pytest.raises(ImportError, match="returns a StreamSession"):
        from crewai.types.streaming import FlowStreamingOutput  # noqa: F401


SCRIPT = '''
from crewai import Agent, Crew, Task
from crewai.flow import Flow, start


class Topic(Flow):
    stream = True

    @start()
    def write(self):
        agent = Agent(role="Writer", goal="Write", backstory="A writer.")
        task = Task(description="Write about {topic}", expected_output="text", agent=agent)
        return Crew(agents=[agent], tasks=[task]).kickoff({"topic": self.state.get("topic", "tides")}).raw


streaming = Topic().kickoff()
for frame in streaming:
    print(frame.content, end="")
print("RESULT:", streaming.result)
'''


@pytest.fixture
def process_state(tmp_path: Path) -> Iterator[None]:
    """Variables, ``sys.path``, folder and the script's modules are put back after the test."""
    with kept_process_state(tmp_path):
        yield


def test_crewdesk_run_on_a_streaming_flow_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], process_state: None
) -> None:
    script = tmp_path / "topic_flow.py"
    script.write_text(SCRIPT, encoding="utf-8")
    assert crewdesk(["run", str(script), "--simulator"]) == 0
    out, err = capsys.readouterr()
    assert "RESULT: Answer to: Current Task: Write about tides" in out, err
    assert crewdesk(["run", str(script), "--simulator", "--inputs", '{"topic": "geysers"}']) == 0
    out, err = capsys.readouterr()
    assert "RESULT:" not in out  # the script's own kickoff and what reads it left out
    assert "=== final output ===\nAnswer to: Current Task: Write about geysers" in out, err
