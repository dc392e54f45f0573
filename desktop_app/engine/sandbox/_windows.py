"""The Windows backend: an AppContainer with no capabilities, inside a Job Object.

The program is started by the `_win32` launcher (see there): in CrewDesk's AppContainer
profile with no capabilities, so no network (loopback included) and no access to anything
not granted to the profile or to all app packages (your files, CrewDesk's data folder and
the keychain's files are not); in a Job Object that kills it and everything it started when
the launcher ends or is terminated (CrewDesk's time-out), with at most `max_processes`
processes, `memory_mb` per process and for the whole run, and `cpu_s` of CPU per process.
Before each run the profile is granted read and execute on the interpreter's folders
(once: the grant is inherited and kept) and on the run's script and guard, and modify on the
run folder. The run folder is a normal folder: its size is capped per file (no kernel cap).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop_app.engine.sandbox import _win32
from desktop_app.engine.sandbox._base import IsolationLimits, Launch, interpreter_paths

LAUNCHER = str(Path(__file__).with_name("_win32.py"))


def appcontainer_problem() -> str | None:
    """Why no AppContainer can be made here (not Windows, too old, refused), or None."""
    if os.name != "nt":  # not `sys.platform`: mypy would skip one branch per platform
        return f"AppContainers are a Windows feature (this is {sys.platform})"
    if getattr(sys, "getwindowsversion")()[:2] < (6, 2):  # noqa: B009 - Windows-only name
        return "AppContainers need Windows 8 or later"
    try:
        _win32.profile_sid()
    except OSError as exc:
        return str(exc)
    return None


def launcher_command() -> list[str]:
    """How to start the launcher with this interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", LAUNCHER]
    start = (f"import sys; sys.path.insert(0, {os.path.dirname(LAUNCHER)!r}); import _win32; "
             "del sys.path[0]; sys.exit(_win32.main(sys.argv[1:]))")
    return [sys.executable, "-I", "-S", "-c", start]


@functools.cache
def _grant_once(path: str) -> str | None:
    """Grants read and execute on an interpreter folder; None, or why it could not."""
    try:
        _win32.grant(path, _win32.READ_EXECUTE)
    except OSError as exc:  # e.g. Program Files: all app packages may read it already
        return str(exc)
    return None


class AppContainerIsolator:
    """Runs the program in CrewDesk's AppContainer, inside a Job Object."""

    name = "appcontainer"

    def prepare(
        self,
        *,
        argv: Sequence[str],
        run_folder: str,
        limits: IsolationLimits,
        env: Mapping[str, str],
        read_only: Sequence[str] = (),
    ) -> Launch:
        """The launcher command around `argv` (see `Isolator.prepare`).

        Raises:
            OSError: The run's own folders could not be granted to the AppContainer.
        """
        for path in interpreter_paths():
            _grant_once(path)
        for path in read_only:
            _win32.grant(path, _win32.READ_EXECUTE)
        _win32.grant(run_folder, _win32.MODIFY)
        options = ["--processes", str(limits.max_processes + 1),  # + a venv's redirector
                   "--memory", str(limits.memory_mb * 1024 * 1024), "--cpu", str(limits.cpu_s)]
        command = [*launcher_command(), *options, "--", *argv]
        return Launch(command, dict(env), lambda: None)
