"""`crewai.knowledge.source.pdf_knowledge_source`: `PDFKnowledgeSource` (the engine's)."""

from desktop_app.engine.knowledge import PDFKnowledgeSource

__all__ = ["PDFKnowledgeSource"]
