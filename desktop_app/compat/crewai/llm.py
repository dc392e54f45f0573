"""`crewai.llm`: CrewAI's `LLM` (the engine's LLM client, litellm underneath) and `BaseLLM`."""

from desktop_app.compat.crewai.llms.base_llm import BaseLLM
from desktop_app.engine import LLM

__all__ = ["LLM", "BaseLLM"]
