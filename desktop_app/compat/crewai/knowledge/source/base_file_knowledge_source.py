"""`crewai.knowledge.source.base_file_knowledge_source`: `BaseFileKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import BaseFileKnowledgeSource

__all__ = ["BaseFileKnowledgeSource"]
