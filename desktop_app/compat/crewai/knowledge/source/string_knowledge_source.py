"""`crewai.knowledge.source.string_knowledge_source`: `StringKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import StringKnowledgeSource

__all__ = ["StringKnowledgeSource"]
