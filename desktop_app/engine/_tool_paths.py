"""Where file tools read and write: the run's workspace, and asking to read outside it.

In a run, a path the model gives is resolved from the run's workspace (the crew's folder;
the working folder when the crew names none), symlinks included, before anything is
checked, so a link inside the folder that points out of it counts as outside. A read
inside the workspace or under the allowed paths needs no approval; any other is a
"file_read" `ApprovalRequest` naming the resolved path, and the tool reads only the path
that call was approved for. Outside a run (a tool called directly from code) there is no
workspace: relative paths start at the working folder and the tool's own limits apply.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_app.engine.approval import ApprovalKind, ApprovalRequest

__all__ = [
    "FileScope",
    "check_readable",
    "current_scope",
    "file_scope",
    "outside_request",
    "scoped_path",
    "working_root",
]


@dataclass(frozen=True)
class FileScope:
    """Where the file tools of one call may read and write.

    Attributes:
        workspace: The run's folder (resolved): relative paths start here.
        allowed_paths: Files and folders outside it that the user allowed (resolved).
        granted: The path this call was approved for (a read outside), if any.
    """

    workspace: Path
    allowed_paths: tuple[Path, ...] = ()
    granted: Path | None = None

    def allows(self, path: Path) -> bool:
        """Whether `path` (resolved) is inside the workspace, an allowed path or the grant."""
        if path == self.granted:
            return True
        return any(path.is_relative_to(root) for root in (self.workspace, *self.allowed_paths))


_SCOPE: contextvars.ContextVar[FileScope | None] = contextvars.ContextVar(
    "crewdesk_file_scope", default=None
)


def current_scope() -> FileScope | None:
    """The scope of the tool call running now (None outside a run's call)."""
    return _SCOPE.get()


@contextlib.contextmanager
def file_scope(scope: FileScope | None) -> Iterator[None]:
    """Makes `scope` the current one while the block runs (worker threads started with
    `asyncio.to_thread` inside it see it too: they copy the context)."""
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def working_root() -> Path:
    """The folder relative paths start at: the run's workspace, else the working folder."""
    scope = current_scope()
    return scope.workspace if scope is not None else Path(os.getcwd()).resolve()


def scoped_path(given: str | os.PathLike[str]) -> Path:
    """The model's path resolved from `working_root()` (symlinks resolved)."""
    return (working_root() / Path(given).expanduser()).resolve()


def check_readable(path: Path, unscoped_root: Path | None) -> None:
    """Refuses a read of `path` (resolved) that the run did not allow.

    Args:
        path: The resolved path about to be read or listed.
        unscoped_root: Outside a run, the folder the tool must stay in (None: anywhere).

    Raises:
        PermissionError: In a run, the path is outside the workspace and the allowed paths
            and was not approved; outside one, it is outside `unscoped_root`.
    """
    scope = current_scope()
    if scope is None:
        if unscoped_root is None or path.is_relative_to(unscoped_root.resolve()):
            return
        raise PermissionError(
            f"'{path}' is outside the folder this tool may read ({unscoped_root.resolve()})"
        )
    if not scope.allows(path):
        raise PermissionError(
            f"'{path}' is outside the folder this tool may read ({scope.workspace}) and was "
            "not approved"
        )


def outside_request(
    tool_name: str, path: Path, workspace: Path, *, verb: str = "Read",
    kind: ApprovalKind = "file_read",
) -> ApprovalRequest | None:
    """A request to touch `path` (resolved) when it is outside the workspace and the
    allowed paths; None when it is inside."""
    scope = current_scope()
    inside = scope.allows(path) if scope is not None else path.is_relative_to(workspace)
    if inside:
        return None
    return ApprovalRequest(
        kind=kind, tool_name=tool_name, summary=f"{verb} {path} (outside the crew's folder)",
        detail=f"{tool_name}: {verb.lower()} {path}\nThe crew's folder is {workspace}.",
        target=str(path),
    )
