"""`crewai.events.types.flow_events`: CrewAI's flow event classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    FlowEvent,
    FlowFailedEvent,
    FlowFinishedEvent,
    FlowStartedEvent,
    MethodExecutionFailedEvent,
    MethodExecutionFinishedEvent,
    MethodExecutionStartedEvent,
)

__all__ = [
    "FlowEvent",
    "FlowFailedEvent",
    "FlowFinishedEvent",
    "FlowStartedEvent",
    "MethodExecutionFailedEvent",
    "MethodExecutionFinishedEvent",
    "MethodExecutionStartedEvent",
]
