"""`crewai.events`: CrewAI's event listeners, fed by CrewDesk's run events.

    from crewai.events import BaseEventListener, CrewKickoffCompletedEvent

    class Reporter(BaseEventListener):
        def setup_listeners(self, crewai_event_bus):
            @crewai_event_bus.on(CrewKickoffCompletedEvent)
            def done(source, event):
                print(event.crew_name, event.output.raw)

    reporter = Reporter()

Emitted (from the engine's typed events): crew kickoff started/completed/failed, task
started/completed/failed, agent execution started/completed/error, tool usage
started/finished/error, LLM stream chunks and completed calls, memory retrieval and save, knowledge retrieval,
and a flow's started/finished/failed and its steps' (method execution) started/finished/failed.
CrewAI's other event classes can be imported, and registering for one warns that it never
comes.
"""

from __future__ import annotations

from desktop_app.compat._unsupported import unsupported_name
from desktop_app.compat.crewai.events._event_types import (
    AgentExecutionCompletedEvent,
    AgentExecutionErrorEvent,
    AgentExecutionStartedEvent,
    BaseEvent,
    CrewBaseEvent,
    CrewKickoffCompletedEvent,
    CrewKickoffFailedEvent,
    CrewKickoffStartedEvent,
    FlowEvent,
    FlowFailedEvent,
    FlowFinishedEvent,
    FlowStartedEvent,
    KnowledgeRetrievalCompletedEvent,
    LLMCallCompletedEvent,
    LLMStreamChunkEvent,
    MemoryRetrievalCompletedEvent,
    MemorySaveCompletedEvent,
    MethodExecutionFailedEvent,
    MethodExecutionFinishedEvent,
    MethodExecutionStartedEvent,
    TaskCompletedEvent,
    TaskFailedEvent,
    TaskStartedEvent,
    ToolUsageErrorEvent,
    ToolUsageEvent,
    ToolUsageFinishedEvent,
    ToolUsageStartedEvent,
    never_emitted,
)
from desktop_app.compat.crewai.events.base_event_listener import BaseEventListener
from desktop_app.compat.crewai.events.event_bus import CrewAIEventsBus, crewai_event_bus


class Depends:
    """CrewAI's handler dependency (`depends_on=Depends(other)`). CrewDesk calls handlers in
    the order they were registered, so a handler registered after the one it depends on runs
    after it."""

    def __init__(self, handler: object) -> None:
        self.handler = handler


class CircularDependencyError(Exception):
    """CrewAI's error for handlers that depend on each other in a circle."""


def __getattr__(name: str) -> object:
    made = never_emitted(name)
    if made is not None:
        globals()[name] = made
        return made
    raise unsupported_name(__name__, name)


__all__ = [
    "AgentExecutionCompletedEvent",
    "AgentExecutionErrorEvent",
    "AgentExecutionStartedEvent",
    "BaseEvent",
    "BaseEventListener",
    "CircularDependencyError",
    "CrewAIEventsBus",
    "CrewBaseEvent",
    "CrewKickoffCompletedEvent",
    "CrewKickoffFailedEvent",
    "CrewKickoffStartedEvent",
    "Depends",
    "FlowEvent",
    "FlowFailedEvent",
    "FlowFinishedEvent",
    "FlowStartedEvent",
    "KnowledgeRetrievalCompletedEvent",
    "LLMCallCompletedEvent",
    "LLMStreamChunkEvent",
    "MemoryRetrievalCompletedEvent",
    "MemorySaveCompletedEvent",
    "MethodExecutionFailedEvent",
    "MethodExecutionFinishedEvent",
    "MethodExecutionStartedEvent",
    "TaskCompletedEvent",
    "TaskFailedEvent",
    "TaskStartedEvent",
    "ToolUsageErrorEvent",
    "ToolUsageEvent",
    "ToolUsageFinishedEvent",
    "ToolUsageStartedEvent",
    "crewai_event_bus",
]
