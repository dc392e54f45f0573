"""`crewai.crew`: CrewAI's `Crew` (the engine's own class)."""

from desktop_app.engine import Crew, CrewOutput, Process

__all__ = ["Crew", "CrewOutput", "Process"]
