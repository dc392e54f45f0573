"""`crewai.crews.crew_output`: `CrewOutput` (the engine's own class)."""

from desktop_app.engine import CrewOutput

__all__ = ["CrewOutput"]
