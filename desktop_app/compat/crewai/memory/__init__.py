"""`crewai.memory`: what of CrewAI's memory maps onto CrewDesk's.

CrewDesk's memory is `Crew(memory=True)`: short-term, long-term and entity memory in the
crew's own store (`MemoryConfig` says where, and how much is recalled). CrewAI's memory
objects (`Memory`, `ShortTermMemory`...) raise an `ImportError` that says so.
"""

from __future__ import annotations

from desktop_app.compat._unsupported import unsupported_name
from desktop_app.engine.memory import MemoryConfig


def __getattr__(name: str) -> object:
    raise unsupported_name(__name__, name)


__all__ = ["MemoryConfig"]
