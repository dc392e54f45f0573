"""`crewai.knowledge.source.csv_knowledge_source`: `CSVKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import CSVKnowledgeSource

__all__ = ["CSVKnowledgeSource"]
