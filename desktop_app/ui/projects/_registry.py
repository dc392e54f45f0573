"""`OpenProjects`: the CrewAI projects open in the app, by crew id (``project:<folder>``).

Kept on `AppServices.projects`, so the designer, the dashboard and the window share one list.
Light on purpose (nothing heavy imported): the services are made before the window shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.ui.projects._session import OpenProject

__all__ = ["OpenProjects"]


class OpenProjects:
    """The projects open in the app, by crew id."""

    def __init__(self) -> None:
        """Starts with none."""
        self._open: dict[str, OpenProject] = {}

    def add(self, project: OpenProject) -> None:
        """Adds (or replaces) a project."""
        self._open[project.crew_id] = project

    def get(self, crew_id: str | None) -> OpenProject | None:
        """The project with this crew id, if it is open."""
        return self._open.get(crew_id) if crew_id else None

    def all(self) -> list[OpenProject]:
        """Every open project, in the order opened."""
        return list(self._open.values())
