"""`crewai.knowledge.source.base_knowledge_source`: `BaseKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import BaseKnowledgeSource

__all__ = ["BaseKnowledgeSource"]
