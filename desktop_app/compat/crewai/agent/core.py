"""`crewai.agent.core`: where CrewAI defines `Agent` (the engine's own class here)."""

from desktop_app.engine import Agent

__all__ = ["Agent"]
