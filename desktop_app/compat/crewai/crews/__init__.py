"""`crewai.crews`: `CrewOutput`."""

from desktop_app.engine import CrewOutput

__all__ = ["CrewOutput"]
