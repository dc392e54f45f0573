"""`crewai.llm`: CrewAI's `LLM` (the engine's LLM client, litellm underneath)."""

from desktop_app.engine import LLM

BaseLLM = LLM

__all__ = ["LLM", "BaseLLM"]
