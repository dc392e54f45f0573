"""`crewai.events`: CrewAI listeners get CrewAI's events from runs on CrewDesk's engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.engine import bus
from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.simulator import SimulatorThread


@pytest.fixture
def events(hook: None) -> Iterator[Any]:
    """`crewai.events`, with the handlers a test registers removed after it."""
    import crewai.events

    with crewai.events.crewai_event_bus.scoped_handlers():
        yield crewai.events
    assert not bus.active()


def _crew(sim_thread: SimulatorThread) -> Any:
    from crewai import LLM, Agent, Crew, Task
    from crewai.tools import tool

    @tool("Lookup")
    def lookup(query: str) -> str:
        """Looks a query up."""
        return "looked up " + query

    llm = LLM(model="openai/sim:tokens=5", base_url=sim_thread.base_url, api_key="sk-test")
    agent = Agent(role="Researcher", goal="Find", backstory="Curious.", llm=llm, tools=[lookup])
    task = Task(description="Find {topic}", expected_output="Facts", agent=agent, name="find")
    return Crew(agents=[agent], tasks=[task], name="Finders")


def test_listener_gets_crewai_events_in_order(events: Any, sim_thread: SimulatorThread) -> None:
    seen: list[tuple[str, Any]] = []
    sources: list[Any] = []

    class Recorder(events.BaseEventListener):  # type: ignore[misc]
        def setup_listeners(self, crewai_event_bus: Any) -> None:
            for event_type in (
                events.CrewKickoffStartedEvent, events.CrewKickoffCompletedEvent,
                events.TaskStartedEvent, events.TaskCompletedEvent,
                events.AgentExecutionStartedEvent, events.AgentExecutionCompletedEvent,
                events.ToolUsageStartedEvent, events.ToolUsageFinishedEvent,
                events.LLMStreamChunkEvent, events.LLMCallCompletedEvent,
            ):
                crewai_event_bus.on(event_type)(
                    lambda source, event: (seen.append((event.type, event)), sources.append(source))
                )

    Recorder()
    output = _crew(sim_thread).kickoff(inputs={"topic": "tides"})

    kinds = [kind for kind, _ in seen]
    assert kinds[-4] == "llm_call_completed"
    kinds = [kind for kind in kinds if kind != "llm_call_completed"]
    assert kinds[:3] == ["crew_kickoff_started", "task_started", "agent_execution_started"]
    assert kinds[-3:] == ["agent_execution_completed", "task_completed", "crew_kickoff_completed"]
    assert "llm_stream_chunk" in kinds
    calls = [event for kind, event in seen if kind == "llm_call_completed"]
    assert len(calls) >= 2 and calls[-1].response in output.raw
    assert sum(c.usage["total_tokens"] for c in calls) == output.token_usage.total_tokens
    started = next(event for kind, event in seen if kind == "crew_kickoff_started")
    assert started.crew_name == "Finders" and started.inputs == {"topic": "tides"}
    tool_started = next(event for kind, event in seen if kind == "tool_usage_started")
    assert tool_started.tool_name == "lookup" and isinstance(tool_started.tool_args, dict)
    assert tool_started.agent_role == "Researcher" and tool_started.task_name == "find"
    finished = next(event for kind, event in seen if kind == "tool_usage_finished")
    assert "looked up" in str(finished.output) and finished.finished_at >= finished.started_at
    done = seen[-1][1]
    assert done.output is output and done.crew_name == "Finders" and done.crew.name == "Finders"
    agent_done = next(event for kind, event in seen if kind == "agent_execution_completed")
    assert agent_done.agent.role == "Researcher" and agent_done.task.description == "Find tides"
    assert tool_started.agent.role == "Researcher" and sources[0].name == "Finders"
    task_done = next(event for kind, event in seen if kind == "task_completed")
    assert task_done.output.raw == output.raw


def test_async_handler_and_three_argument_handler(
    events: Any, sim_thread: SimulatorThread
) -> None:
    called = threading.Event()
    states: list[object] = []

    @events.crewai_event_bus.on(events.CrewKickoffCompletedEvent)
    async def on_done(source: Any, event: Any) -> None:
        called.set()

    @events.crewai_event_bus.on(events.CrewKickoffStartedEvent)
    def on_start(source: Any, event: Any, state: object) -> None:
        states.append(state)

    _crew(sim_thread).kickoff(inputs={"topic": "x"})
    assert called.wait(5) and states == [None]


def test_failing_handler_does_not_break_the_run(
    events: Any, sim_thread: SimulatorThread, caplog: pytest.LogCaptureFixture
) -> None:
    @events.crewai_event_bus.on(events.TaskStartedEvent)
    def broken(source: Any, event: Any) -> None:
        raise RuntimeError("listener bug")

    output = _crew(sim_thread).kickoff(inputs={"topic": "x"})
    assert output.raw
    assert "listener bug" in caplog.text


def test_never_emitted_event_warns_when_listened_to(events: Any) -> None:
    from crewai.events import FlowPlotEvent, LLMCallStartedEvent

    assert issubclass(LLMCallStartedEvent, events.BaseEvent)
    with pytest.warns(IgnoredSettingWarning, match="never emits FlowPlotEvent"):

        @events.crewai_event_bus.on(FlowPlotEvent)
        def on_flow(source: Any, event: Any) -> None:
            """Never called."""


def test_bus_subscribes_only_while_it_has_handlers(events: Any) -> None:
    def handler(source: Any, event: Any) -> None:
        """A handler."""

    assert not bus.active()
    events.crewai_event_bus.on(events.TaskStartedEvent)(handler)
    assert bus.active()
    events.crewai_event_bus.off(events.TaskStartedEvent, handler)
    assert not bus.active()


def test_old_import_paths(events: Any) -> None:
    from crewai.events.types.crew_events import CrewKickoffStartedEvent
    from crewai.utilities.events import TaskCompletedEvent, crewai_event_bus
    from crewai.utilities.events.base_event_listener import BaseEventListener

    assert crewai_event_bus is events.crewai_event_bus
    assert BaseEventListener is events.BaseEventListener
    assert TaskCompletedEvent is events.TaskCompletedEvent
    assert CrewKickoffStartedEvent is events.CrewKickoffStartedEvent


def test_project_event_classes_are_emitted_by_the_project(events: Any) -> None:
    class ReportReady(events.BaseEvent):  # type: ignore[misc]
        type: str = "report_ready"
        path: str

    got: list[str] = []

    @events.crewai_event_bus.on(ReportReady)
    def on_ready(source: Any, event: Any) -> None:
        got.append(event.path)

    events.crewai_event_bus.emit(object(), ReportReady(path="report.md"))
    assert got == ["report.md"]


def test_failed_run_gives_task_and_crew_failed_events(
    events: Any, sim_thread: SimulatorThread
) -> None:
    from crewai import LLM, Agent, Crew, Task

    failed: list[Any] = []
    for event_type in (events.TaskFailedEvent, events.CrewKickoffFailedEvent):
        events.crewai_event_bus.on(event_type)(lambda source, event: failed.append(event))
    llm = LLM(model="openai/sim:status=400", base_url=sim_thread.base_url, api_key="sk-test")
    agent = Agent(role="Broken", goal="Fail", backstory="Fails.", llm=llm)
    task = Task(description="Fail", expected_output="Nothing", agent=agent, name="doomed")
    with pytest.raises(Exception):  # noqa: B017  # the engine's own error, tested there
        Crew(agents=[agent], tasks=[task], name="Doomed crew").kickoff()

    assert [event.type for event in failed] == ["task_failed", "crew_kickoff_failed"]
    assert failed[0].task_name == "doomed" and failed[0].task.name == "doomed"
    assert failed[1].crew_name == "Doomed crew" and failed[1].error
