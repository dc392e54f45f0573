"""`RunRequest`: what the dashboard, the designer or History asks the `RunController` to run.

Also the crew as the run history keeps it (`snapshot`): a CrewAI project's run notes its
project's crew id there, so that "Run again" runs the project's code again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from desktop_app.documents.model import CrewDocument
from desktop_app.ui.controllers._project_build import ProjectRun

if TYPE_CHECKING:
    from desktop_app.engine.outputs import TaskOutput

__all__ = ["PROJECT_ID_PREFIX", "PROJECT_SNAPSHOT_KEY", "RunMode", "RunRequest", "snapshot"]

RunMode = Literal["akickoff", "kickoff_async"]

PROJECT_ID_PREFIX = "project:"
"""Crew ids of CrewAI projects opened in the app start with this (then the project's folder)."""

PROJECT_SNAPSHOT_KEY = "crewdesk_project"
"""The key, in a history snapshot's `settings.extra`, of the project crew id a run came from
(so that "Run again" runs the project's code again)."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to run.

    Attributes:
        document: The crew.
        inputs: Values for its placeholders.
        mode: "akickoff" (native async) or "kickoff_async" (a worker thread).
        crew_id: The crew's id in the library, when it has one.
        dry_run: Run every agent on the offline simulator.
        project: For a CrewAI project's crew: its loaded code and configs; the crew is then
            made by the project's code (`document` is what history keeps of it).
        reuse: Stored outputs by task index that the run reuses instead of running those
            tasks (a fork or a resume: `storage.forks`).
        fork_of: The history run this one started from, and the task it starts at.
    """

    document: CrewDocument
    inputs: Mapping[str, Any] = field(default_factory=dict)
    mode: RunMode = "akickoff"
    crew_id: str | None = None
    dry_run: bool = False
    project: ProjectRun | None = None
    reuse: Mapping[int, TaskOutput] | None = None
    fork_of: tuple[str, int] | None = None



def snapshot(request: RunRequest) -> dict[str, Any]:
    """The crew as history keeps it; a project's run notes its project's crew id."""
    snapshot: dict[str, Any] = request.document.model_dump(mode="json")
    if request.crew_id is not None and request.crew_id.startswith(PROJECT_ID_PREFIX):
        snapshot["settings"]["extra"][PROJECT_SNAPSHOT_KEY] = request.crew_id
    return snapshot
