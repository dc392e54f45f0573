"""`crewai.events.types.agent_events`: CrewAI's agent_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    AgentExecutionCompletedEvent,
    AgentExecutionErrorEvent,
    AgentExecutionStartedEvent,
)

__all__ = ["AgentExecutionCompletedEvent", "AgentExecutionErrorEvent", "AgentExecutionStartedEvent"]
