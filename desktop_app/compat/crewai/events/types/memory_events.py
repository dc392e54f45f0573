"""`crewai.events.types.memory_events`: CrewAI's memory_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    MemoryRetrievalCompletedEvent,
    MemorySaveCompletedEvent,
)

__all__ = ["MemoryRetrievalCompletedEvent", "MemorySaveCompletedEvent"]
