"""`crewai.llms.base_llm`: `BaseLLM`, for type hints and `isinstance`.

CrewDesk has one LLM class, so `BaseLLM` is `LLM`. A custom subclass that overrides CrewAI's
`call()` is not called by CrewDesk's agents (see docs/COMPATIBILITY.md).
"""

from desktop_app.engine import LLM

BaseLLM = LLM

__all__ = ["BaseLLM"]
