"""The process state a project's code runs in: its ``.env``, ``sys.path``, folder and hook.

``crewai run`` runs a project from its root, with its package importable and its ``.env``
loaded; project code relies on all three (``output_file='report.md'`` lands in the root,
``from my_crew.crew import MyCrew`` resolves, ``os.environ["SERPER_API_KEY"]`` is set). The
import hook makes its ``crewai`` imports resolve to CrewDesk's engine while it runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from desktop_app.compat._project_errors import ProjectWarning
from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded

ENV_FILE_LIMIT = 1_000_000
"""Largest ``.env`` read: a few lines of keys; anything larger is not one."""

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def parse_env(text: str, path: Path) -> dict[str, str]:
    """Reads ``.env`` text: ``KEY=VALUE`` lines, ``export`` prefixes, quotes and comments.

    A line that is not an assignment is skipped with a `ProjectWarning` naming it.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not key.replace("_", "").replace(".", "").isalnum():
            warnings.warn(ProjectWarning(f"{path}:{number}: not a KEY=VALUE line; skipped"),
                          stacklevel=2)
            continue
        values[key] = _value(value.strip())
    return values


def _value(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        return inner if text[0] == "'" else _unescape(inner)
    comment = text.find(" #")
    return (text[:comment] if comment >= 0 else text).strip()


def _unescape(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_ESCAPES.get(following, "\\" + following))
        else:
            out.append(char)
    return "".join(out)


def load_env_file(root: Path) -> list[str]:
    """Sets the variables of ``root/.env`` that the environment does not have yet.

    Variables already set win (as ``load_dotenv`` without ``override``), so a key given on
    the command line or by CrewDesk (``--simulator``) is never replaced by the project's.

    Returns:
        The names it set.
    """
    path = root / ".env"
    if not os.path.lexists(path):
        return []
    try:
        text = read_text_bounded(path, limit=ENV_FILE_LIMIT, what=".env file")
    except UnsafeFileError as exc:
        warnings.warn(ProjectWarning(f"{exc}; skipped"), stacklevel=2)
        return []
    except (OSError, UnicodeDecodeError) as exc:
        warnings.warn(ProjectWarning(f"{path}: cannot read: {exc}; skipped"), stacklevel=2)
        return []
    values = parse_env(text, path)
    added = [key for key in values if key not in os.environ]
    for key in added:
        os.environ[key] = values[key]
    return added


@contextlib.contextmanager
def project_process_state(folders: list[Path], cwd: Path) -> Iterator[None]:
    """Installs the compat hook, puts ``folders`` first on ``sys.path`` and enters ``cwd``.

    Everything is put back on exit (the hook as it was, the paths removed, the folder left),
    so what the project did to the process does not outlive its run.
    """
    from desktop_app import compat

    added = [str(folder) for folder in folders if str(folder) not in sys.path]
    sys.path[0:0] = added
    previous = Path.cwd()
    try:
        with compat.installed():
            os.chdir(cwd)
            yield
    finally:
        os.chdir(previous)
        for folder in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)
