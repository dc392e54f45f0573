"""Memory, CPU, file-size and process caps: rlimits, and a pids cgroup where one can be made.

RLIMIT_NPROC counts every process of the user (and the kernel never applies it to root), so
when a pids cgroup can be made (root, or a delegated cgroup v2 folder) each run gets its own
with `pids.max`; otherwise RLIMIT_NPROC is set to the user's current count plus the cap.
The cgroup also gives a sure way to kill what a run left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from desktop_app.engine.sandbox._base import IsolationLimits, user_process_count

_CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")


def _pids_root() -> Path | None:
    for root in _CGROUP_ROOTS:
        path = Path(root)
        if (path / "pids.max").exists() or (path / "cgroup.procs").exists():
            controllers = path / "cgroup.controllers"
            if controllers.exists() and "pids" not in controllers.read_text().split():
                continue
            if os.access(path, os.W_OK):
                return path
    return None


class RunCaps:
    """The caps of one run: call `preexec` in the child, `release` after the run."""

    def __init__(self, limits: IsolationLimits, *, extra_processes: int = 0) -> None:
        self.limits = limits
        self.cgroup: Path | None = None
        root = _pids_root()
        if root is not None:
            folder = root / f"crewdesk-sandbox-{uuid.uuid4().hex[:12]}"
            try:
                folder.mkdir()
                (folder / "pids.max").write_text(str(limits.max_processes + extra_processes))
                self.cgroup = folder
            except OSError:  # e.g. cgroup v2 without the pids controller for children
                with contextlib.suppress(OSError):
                    folder.rmdir()
        if self.cgroup is None and os.geteuid() != 0:
            self._nproc = user_process_count() + limits.max_processes + extra_processes
        else:
            self._nproc = -1

    def preexec(self) -> None:  # pragma: no cover - runs in the forked child
        """Joins the run's cgroup and sets the rlimits (in the child, before exec)."""
        import resource

        if self.cgroup is not None:
            (self.cgroup / "cgroup.procs").write_text(str(os.getpid()))
        memory = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = self.limits.cpu_s
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU first, then SIGKILL
        size = self.limits.disk_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self._nproc > 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (self._nproc, self._nproc))

    def release(self) -> None:
        """Kills every process still in the run's cgroup, then removes it."""
        folder = self.cgroup
        if folder is None:
            return
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            try:
                pids = (folder / "cgroup.procs").read_text().split()
            except OSError:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                folder.rmdir()
                break
            time.sleep(0.01)
        self.cgroup = None


def chain(*steps: Callable[[], None]) -> Callable[[], None]:
    """One callable running `steps` in order."""

    def run() -> None:
        for step in steps:
            step()

    return run
