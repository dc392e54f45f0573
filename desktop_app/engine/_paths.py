"""Where the engine keeps its stores (memory, knowledge) on disk.

The engine cannot import `desktop_app.storage`, so it mirrors `storage.paths`: the data folder
is `$CREWDESK_HOME/data` when `CREWDESK_HOME` is set, else the platform's user data folder for
"CrewDesk" (through `platformdirs`). A crew may name another folder (`storage_dir`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

APP_NAME = "CrewDesk"
HOME_ENV_VAR = "CREWDESK_HOME"
STORE_SUFFIX = ".sqlite3"

_UNSAFE = re.compile(r"[^a-z0-9]+")


def data_dir() -> Path:
    """The app's data folder, as `storage.paths.AppPaths.from_env().data_dir` has it."""
    home = os.environ.get(HOME_ENV_VAR, "").strip()
    if home:
        return Path(home).expanduser() / "data"
    import platformdirs  # here, not at the top: `import desktop_app.engine` stays light

    return platformdirs.PlatformDirs(APP_NAME, appauthor=False).user_data_path


def stores_dir(kind: str, storage_dir: Path | None = None) -> Path:
    """The folder of the `kind` stores ("memory" or "knowledge")."""
    return (storage_dir if storage_dir is not None else data_dir()) / kind


def store_key(name: str | None, parts: Sequence[str] = ()) -> str:
    """A stable file name for a crew's store: its name made safe, plus a short hash.

    A crew without a name is known by `parts` (its agents' roles and tasks' descriptions),
    so the same crew finds the same store run after run.
    """
    if name:
        slug = _UNSAFE.sub("-", name.lower()).strip("-")[:40] or "crew"
        basis = name
    else:
        slug = "crew"
        basis = "\x1f".join(parts)
    return f"{slug}-{hashlib.sha256(basis.encode()).hexdigest()[:10]}"


def store_path(kind: str, key: str, storage_dir: Path | None = None) -> Path:
    """The store file of `key` in the `kind` folder."""
    return stores_dir(kind, storage_dir) / f"{key}{STORE_SUFFIX}"
