"""Where CrewDesk keeps its files: settings, run history, caches, logs and recovery copies.

By default the folders follow the platform's conventions (through `platformdirs`, app name
"CrewDesk"). Setting the environment variable `CREWDESK_HOME` puts every folder under that one
directory instead, which tests and portable installs use. Every store takes an `AppPaths` in its
constructor, so a caller can also inject any layout it likes.

Folders are created on demand (`AppPaths.ensure`), never at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "HOME_ENV_VAR", "AppPaths", "ensure_dir"]

APP_NAME = "CrewDesk"
"""The application name used for the platform folders and the keychain service."""

HOME_ENV_VAR = "CREWDESK_HOME"
"""Environment variable that puts every CrewDesk folder under one directory."""

_PRIVATE_DIR_MODE = 0o700


def ensure_dir(path: Path) -> Path:
    """Creates `path` and its parents if missing, private to the user on POSIX.

    Args:
        path: The folder to create.

    Returns:
        The same path, so calls can be chained.
    """
    path.mkdir(mode=_PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The folders of one CrewDesk installation.

    Attributes:
        config_dir: Settings (`settings.json`).
        data_dir: Run history and other data the user would miss.
        cache_dir: Data that can be rebuilt at any time.
        log_dir: Log files.
        recovery_dir: Recovery copies of unsaved crew documents.
    """

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path
    recovery_dir: Path

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """Returns a layout that keeps every folder under `root` (portable, tests).

        Args:
            root: The one directory that holds everything.
        """
        root = Path(root)
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            cache_dir=root / "cache",
            log_dir=root / "logs",
            recovery_dir=root / "data" / "recovery",
        )

    @classmethod
    def platform_default(cls) -> AppPaths:
        """Returns the platform's conventional folders for "CrewDesk"."""
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        data_dir = dirs.user_data_path
        return cls(
            config_dir=dirs.user_config_path,
            data_dir=data_dir,
            cache_dir=dirs.user_cache_path,
            log_dir=dirs.user_log_path,
            recovery_dir=data_dir / "recovery",
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppPaths:
        """Returns the layout under `$CREWDESK_HOME` when set, else the platform default.

        Args:
            environ: The environment to read; `os.environ` when None.
        """
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV_VAR, "").strip()
        if home:
            return cls.under(Path(home).expanduser())
        return cls.platform_default()

    @property
    def history_db(self) -> Path:
        """The SQLite file of the run history."""
        return self.data_dir / "history.sqlite3"

    @property
    def settings_file(self) -> Path:
        """The JSON file of the settings."""
        return self.config_dir / "settings.json"

    def all_dirs(self) -> tuple[Path, ...]:
        """Returns every folder of this layout (what a secrets audit should scan)."""
        return (self.config_dir, self.data_dir, self.cache_dir, self.log_dir, self.recovery_dir)

    def ensure(self) -> AppPaths:
        """Creates every folder that is missing.

        Returns:
            This layout, so `AppPaths.from_env().ensure()` reads well.
        """
        for folder in self.all_dirs():
            ensure_dir(folder)
        return self
