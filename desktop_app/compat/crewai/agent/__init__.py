"""`crewai.agent`: CrewAI's `Agent` (the engine's own class)."""

from desktop_app.engine import Agent

__all__ = ["Agent"]
