"""`crewai.events.types.knowledge_events`: CrewAI's knowledge_events classes (see `crewai.events`)."""

from desktop_app.compat.crewai.events import (
    KnowledgeRetrievalCompletedEvent,
)

__all__ = ["KnowledgeRetrievalCompletedEvent"]
