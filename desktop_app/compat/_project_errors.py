"""What went wrong in a project's code, as one line naming its file and line.

A project is someone else's code: a syntax error, a missing module or an exception while it
loads must reach the user as ``path:line: message``, never as a traceback. The line is the one
in the project's own files where things failed (the innermost frame under the project's root),
since the frames of CrewDesk or of libraries below it say nothing the user can fix.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType


class ProjectError(Exception):
    """A CrewAI project (folder, script or notebook) that cannot be found, loaded or run.

    Attributes:
        path: The file (or folder) at fault.
        line: Its 1-based line, when there is one.
        message: What is wrong, for the user.
    """

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class ProjectWarning(UserWarning):
    """Something of a project that CrewDesk skips (a notebook's ``%magic`` line, ...)."""


_OURS = Path(__file__).resolve().parents[1]  # desktop_app/


def _is_project_file(path: Path, root: Path) -> bool:
    """True for a file of the project under ``root``: not CrewDesk's, not an installed library."""
    try:
        resolved = path.resolve()
        resolved.relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return not resolved.is_relative_to(_OURS) and "site-packages" not in resolved.parts


def project_frame(tb: TracebackType | None, root: Path) -> tuple[Path, int] | None:
    """The innermost frame of ``tb`` in the project's own files (under ``root``).

    Args:
        tb: The traceback of the exception.
        root: The project's root folder (or a script's folder).
    """
    found: tuple[Path, int] | None = None
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename)
        if frame.lineno is not None and _is_project_file(path, root):
            found = (path, frame.lineno)
    return found


def describe(exc: BaseException) -> str:
    """The message of ``exc`` for the user, on one line: its text, with its type when that
    helps (a role from YAML's ``role: >`` ends in a newline, which must not split the line)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, ImportError):
        return text or f"cannot import {exc.name}"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def from_exception(exc: BaseException, root: Path, fallback: Path) -> ProjectError:
    """The `ProjectError` for an exception raised by project code.

    A syntax error names its own file and line; any other error names the project's innermost
    frame, else the file and line the error knows (a YAML or JSON entry), else ``fallback``
    (the file being loaded) without a line.

    Args:
        exc: What the project's code raised.
        root: The project's root folder.
        fallback: The file to name when no frame of the project is in the traceback.
    """
    if isinstance(exc, ProjectError):
        return exc
    too_deep = _too_deep_to_compile(exc)
    if too_deep is not None:
        return too_deep
    if isinstance(exc, SyntaxError) and exc.filename:
        message = f"syntax error: {exc.msg}"
        return ProjectError(Path(exc.filename), exc.lineno, message)
    frame = project_frame(exc.__traceback__, root)
    located = _located(exc)
    if located is not None and frame is None:
        return ProjectError(*located)
    path, line = frame if frame is not None else (fallback, None)
    message = " ".join(str(exc).split()) if located is not None else describe(exc)
    return ProjectError(path, line, message)


def _too_deep_to_compile(exc: BaseException) -> ProjectError | None:
    """The file an import failed to compile because it is nested too deeply, if that is
    what ``exc`` is: CPython's parser raises a bare `RecursionError` or `MemoryError` then,
    from importlib's ``source_to_code``, whose ``path`` names the file."""
    if not isinstance(exc, RecursionError | MemoryError):
        return None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "source_to_code":
            path = tb.tb_frame.f_locals.get("path")
            if isinstance(path, str):
                return ProjectError(Path(path), None,
                                    "Python nested too deeply to read (the parser gives up)")
        tb = tb.tb_next
    return None


def _located(exc: BaseException) -> tuple[Path, int | None, str] | None:
    """The file, line and message of an error that knows them (compat's ``ConfigError`` of a
    YAML entry, a JSON crew's ``JSONProjectError``), else None."""
    path, line, message = (getattr(exc, name, None) for name in ("path", "line", "message"))
    if isinstance(path, Path) and isinstance(message, str) and isinstance(line, int | None):
        return path, line, message
    return None
