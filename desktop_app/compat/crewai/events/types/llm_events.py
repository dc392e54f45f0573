"""`crewai.events.types.llm_events`: CrewAI's llm_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    LLMCallCompletedEvent,
    LLMStreamChunkEvent,
)

__all__ = ["LLMCallCompletedEvent", "LLMStreamChunkEvent"]
