"""`crewai.telemetry`: CrewDesk sends no telemetry, so `Telemetry` does nothing.

Projects that import it to switch CrewAI's telemetry off keep working; every method is a
no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Telemetry:
    """CrewAI's telemetry client; here every attribute is a method that does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Takes anything, keeps nothing."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)
        return _nothing


def _nothing(*args: Any, **kwargs: Any) -> None:
    """Does nothing."""


__all__ = ["Telemetry"]
