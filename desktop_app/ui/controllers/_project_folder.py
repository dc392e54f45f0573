"""The app's working folder while CrewAI projects run.

A project's code may write files by relative paths (a callback's log, a tool's output):
under ``crewai run`` they land in the project's folder. The working folder is the process's,
shared by every run, so the app lends it to one project at a time: while runs of a project
go on, the working folder is that project's folder; when the last one ends, it is the app's
own again. A run of another project started meanwhile keeps going, with a warning in its
panel and history that names where its relative paths land (nothing is silently misplaced).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FolderLease", "ProjectFolders"]


@dataclass(slots=True)
class FolderLease:
    """One run's hold on the working folder.

    Attributes:
        root: The run's project folder.
        held: Whether the working folder is the run's project folder for this run.
        warning: Why it is not (None when it is).
    """

    root: Path
    held: bool
    warning: str | None = None


class ProjectFolders:
    """Lends the process's working folder to the project whose runs are going."""

    def __init__(self) -> None:
        self._current: Path | None = None
        self._holders = 0
        self._home: Path | None = None
        self._lock = asyncio.Lock()

    async def enter(self, root: Path) -> FolderLease:
        """Makes `root` the working folder for a run, unless another project holds it."""
        from desktop_app.compat.projects import change_working_folder

        async with self._lock:
            if self._current is not None and self._current != root:
                return FolderLease(root, held=False, warning=(
                    f"Files this project's code writes by relative paths land in "
                    f"{self._current}, not in {root}: a run of that project is going on. "
                    "Run one project at a time to keep each one's files in its folder."))
            if self._current is None:
                self._home = Path.cwd()
                await asyncio.to_thread(change_working_folder, root)
                self._current = root
            self._holders += 1
            return FolderLease(root, held=True)

    async def leave(self, lease: FolderLease) -> None:
        """Ends a run's hold; the last run of the project gives the app its folder back."""
        from desktop_app.compat.projects import change_working_folder

        if not lease.held:
            return
        async with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._home is not None:
                await asyncio.to_thread(change_working_folder, self._home)
                self._current = None
