"""CrewAI Flow code as written for CrewAI 1.15, under the import hook, on the simulator."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from desktop_app.simulator import SimulatorThread

FLOW = '''
from crewai import LLM, Agent, Crew, Task
from crewai.flow.flow import Flow, and_, listen, or_, router, start
from crewai.flow.persistence import SQLiteFlowPersistence, persist
from pydantic import BaseModel


class PostState(BaseModel):
    id: str = ""
    topic: str = ""
    draft: str = ""
    verdict: str = ""


def writer_crew(base_url):
    llm = LLM(model="openai/sim", base_url=base_url, api_key="sk-test")
    agent = Agent(role="Writer", goal="Write", backstory="A writer.", llm=llm)
    task = Task(description="Write about {topic}", expected_output="a post", agent=agent)
    return Crew(agents=[agent], tasks=[task])


@persist(SQLiteFlowPersistence(DB_PATH))
class PostFlow(Flow[PostState]):
    base_url = ""

    @start()
    def pick(self):
        self.state.topic = self.state.topic or "tides"

    @listen(pick)
    def write(self):
        self.state.draft = writer_crew(self.base_url).kickoff(inputs={"topic": self.state.topic}).raw

    @router(write)
    def review(self):
        return "good" if self.state.draft else "bad"

    @listen("good")
    async def publish(self):
        self.state.verdict = "published"
        return self.state.draft

    @listen(or_("bad", and_(pick, "good")))
    def log(self):
        self.state.verdict += " and logged"
'''


def test_a_crewai_flow_runs_with_its_crew_and_persistence(
    hook: None, load_module: Callable[..., ModuleType], sim_thread: SimulatorThread,
    tmp_path: Path
) -> None:
    module = load_module("post_flow.py", {"post_flow.py": FLOW.replace(
        "DB_PATH", repr(str(tmp_path / "flows.db")))})
    flow = module.PostFlow(base_url=sim_thread.base_url)
    assert flow.kickoff(inputs={"topic": "tidal power"}) is None  # `log` ends last, as CrewAI's
    assert flow.state.draft.startswith("Answer to:") and "tidal power" in flow.state.draft
    assert flow.state.draft in flow.method_outputs
    assert flow.state.verdict == "published and logged"
    assert flow.usage_metrics.successful_requests == 1
    saved = module.SQLiteFlowPersistence(str(tmp_path / "flows.db")).load_state(flow.flow_id)
    assert saved is not None and saved["verdict"] == "published and logged"


def test_human_feedback_is_the_engines(hook: None) -> None:
    from crewai.flow import HumanFeedbackResult, human_feedback  # type: ignore[import-not-found]

    from desktop_app.engine import flow

    assert human_feedback is flow.human_feedback
    assert HumanFeedbackResult is flow.HumanFeedbackResult
    with pytest.raises(NotImplementedError, match=r"provider= \(async feedback providers\)"):
        human_feedback(message="Approve?", provider=object())


@pytest.mark.parametrize("module", ["crewai.flow.persistence", "crewai.flow.persistence.sqlite",
                                    "crewai.flow.persistence.base"])
def test_persistence_module_paths(hook: None, module: str) -> None:
    from desktop_app.engine.flow import persistence

    imported = importlib.import_module(module)
    for name in ("SQLiteFlowPersistence", "FlowPersistence"):
        if hasattr(imported, name):
            assert getattr(imported, name) is getattr(persistence, name)


def test_a_crewai_flow_name_crewdesk_lacks_says_so(hook: None) -> None:
    with pytest.raises(ImportError, match="ConsoleProvider"):
        from crewai.flow import ConsoleProvider  # noqa: F401


LISTENED = '''
from crewai.events import BaseEventListener
from crewai.events.types.flow_events import (
    FlowFinishedEvent, FlowStartedEvent, MethodExecutionFailedEvent,
    MethodExecutionFinishedEvent, MethodExecutionStartedEvent,
)
from crewai.flow import Flow, listen, start

SEEN = []


class Recorder(BaseEventListener):
    def setup_listeners(self, bus):
        for kind in (FlowStartedEvent, MethodExecutionStartedEvent,
                     MethodExecutionFinishedEvent, MethodExecutionFailedEvent, FlowFinishedEvent):
            bus.on(kind)(lambda source, event: SEEN.append(event))


class Small(Flow):
    @start()
    def one(self):
        self.state["n"] = 1
        return "first"

    @listen(one)
    def two(self, value):
        return value + " then second"
'''


def test_crewai_listeners_hear_flow_events(
    hook: None, load_module: Callable[..., ModuleType]
) -> None:
    import crewai.events  # type: ignore[import-not-found]  # the hook serves it

    with crewai.events.crewai_event_bus.scoped_handlers():
        module = load_module("listened.py", {"listened.py": LISTENED})
        module.Recorder()
        assert module.Small().kickoff() == "first then second"
    seen = [(type(e).__name__, getattr(e, "method_name", None)) for e in module.SEEN]
    assert seen == [("FlowStartedEvent", None),
                    ("MethodExecutionStartedEvent", "one"), ("MethodExecutionFinishedEvent", "one"),
                    ("MethodExecutionStartedEvent", "two"), ("MethodExecutionFinishedEvent", "two"),
                    ("FlowFinishedEvent", None)]
    assert module.SEEN[2].state["n"] == 1 and module.SEEN[-1].result == "first then second"
    assert all(e.flow_name == "Small" for e in module.SEEN)
