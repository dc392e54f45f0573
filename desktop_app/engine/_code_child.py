"""The child process of a code run: its folders, environment and command, and its end.

Each run gets a fresh working folder holding the model's `main.py` and, beside it, a folder
with the guard (`_code_guard`) as `run.py` and `sitecustomize.py`. The child's environment
holds no secret (only a few harmless variables are copied) and carries the run's marker, so
that every process the code left behind is found and killed afterwards, even one that left
the process group. `code_execution` runs the child with its limits inside the OS sandbox.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop_app.engine import sandbox
from desktop_app.engine._code_guard import GUARD_SOURCE, RUNNER_SOURCE

_SAFE_ENV_NAMES = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
_MARKER = "CREWDESK_SANDBOX_ROOT"
"""Environment variable naming the run's folder: the guard's root and the run's marker."""


def child_environment(workdir: str, guard_dir: str | None = None) -> dict[str, str]:
    """The environment of the child: harmless variables only, never a key or token.

    Args:
        workdir: The run's folder (its home, temp folder and the guard's root).
        guard_dir: The folder holding the guard as `sitecustomize.py`, for Python processes
            the code starts.
    """
    env = {name: os.environ[name] for name in _SAFE_ENV_NAMES if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update(
        HOME=workdir,
        TMPDIR=workdir,
        TEMP=workdir,
        TMP=workdir,
        PYTHONIOENCODING="utf-8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env[_MARKER] = workdir
    if guard_dir is not None:
        env["PYTHONPATH"] = guard_dir
    return env


def python_command(script: str, *args: str) -> list[str]:
    """The command that runs `script` (with `args`) with a Python interpreter.

    In a frozen build (PyInstaller) `sys.executable` is CrewDesk itself, which runs a script
    when given `--exec-python`.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", script, *args]
    return [sys.executable, "-I", "-X", "utf8", script, *args]


def kill_group(pid: int) -> None:
    """Kills the child's process group (POSIX; gone already is fine)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def kill_leftovers(workdir: str) -> int:
    """Kills every process whose environment carries this run's marker (Linux: /proc).

    Returns:
        How many processes were killed.
    """
    marker = f"{_MARKER}={workdir}".encode() + b"\0"
    killed = 0
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ + b"\0":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
    return killed


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


@dataclass(slots=True)
class RunFolders:
    """The run's working folder (holding `main.py`) and the guard's folder beside it."""

    workdir: str
    guard_dir: str
    launch: sandbox.Launch | None = None

    @property
    def command(self) -> list[str]:
        return python_command(str(Path(self.guard_dir) / "run.py"), self.script)

    @property
    def argv(self) -> list[str]:
        """What to spawn: the sandbox's command, or the bare one."""
        return self.launch.argv if self.launch is not None else self.command

    @property
    def env(self) -> dict[str, str]:
        return child_environment(self.workdir, self.guard_dir)

    def status(self, code: int | None) -> int | None:
        """The exit status, with a sandbox's 128 + N turned back into -N (killed by N)."""
        if self.launch is not None and code is not None and 128 < code < 128 + 65:
            return 128 - code
        return code

    def output(
        self, stdout: bytes, stderr: bytes, code: int | None
    ) -> tuple[str, str, int | None]:
        """The finished run's stdout, stderr and status, with why the OS stopped it (its
        memory cap) if it did."""
        note = self.launch.outcome() if self.launch is not None else ""
        errors = _decode(stderr) + (f"\n{note}\n" if note else "")
        return _decode(stdout), errors, self.status(code)

    @property
    def script(self) -> str:
        return str(Path(self.workdir) / "main.py")

    def remove(self) -> None:
        if self.launch is not None:
            self.launch.cleanup()
        for folder in (self.workdir, self.guard_dir):
            shutil.rmtree(folder, ignore_errors=True)


def write_script(code: str) -> RunFolders:
    """Makes the run's folders: `code` as `main.py`, the guard and the runner beside it."""
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="crewdesk-code-"))
    guard_dir = os.path.realpath(tempfile.mkdtemp(prefix="crewdesk-guard-"))
    run = RunFolders(workdir, guard_dir)
    Path(run.script).write_text(code, encoding="utf-8")
    Path(guard_dir, "run.py").write_text(RUNNER_SOURCE, encoding="utf-8")
    Path(guard_dir, "sitecustomize.py").write_text(GUARD_SOURCE, encoding="utf-8")
    return run


def clean_up(pid: int, run: RunFolders) -> None:
    """Kills what the run left and removes its folders."""
    kill_rest(pid, run)
    run.remove()


def kill_rest(pid: int, run: RunFolders) -> None:
    """Kills the child's group and every process still carrying the run's marker."""
    kill_group(pid)
    kill_leftovers(run.workdir)
