"""`crewai.knowledge.source.json_knowledge_source`: `JSONKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import JSONKnowledgeSource

__all__ = ["JSONKnowledgeSource"]
