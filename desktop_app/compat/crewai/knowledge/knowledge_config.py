"""`crewai.knowledge.knowledge_config`: `KnowledgeConfig` (the engine's)."""

from desktop_app.engine.knowledge import KnowledgeConfig

__all__ = ["KnowledgeConfig"]
