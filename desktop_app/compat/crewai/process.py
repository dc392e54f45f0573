"""`crewai.process`: CrewAI's `Process` (sequential, hierarchical)."""

from desktop_app.engine import Process

__all__ = ["Process"]
