"""`crewai.knowledge.source.text_file_knowledge_source`: `TextFileKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import TextFileKnowledgeSource

__all__ = ["TextFileKnowledgeSource"]
