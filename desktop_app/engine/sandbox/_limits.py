"""Memory, CPU, file-size and process caps: rlimits, and cgroups where they can be made.

RLIMIT_NPROC counts every process of the user (and the kernel never applies it to root), so
when a pids cgroup can be made (root, or a delegated cgroup v2 folder) each run gets its own
with `pids.max`; otherwise RLIMIT_NPROC is set to the user's current count plus the cap.
The cgroup also gives a sure way to kill what a run left behind.

RLIMIT_AS caps each process, not the run: ten processes may each use the cap. So each run
also gets a memory cgroup below the one CrewDesk runs in, when that one lets it (cgroup v2
with the memory controller enabled for its children, or cgroup v1's memory hierarchy):
`memory.max` (v1: `memory.limit_in_bytes`) for all the run's processes together, no swap,
and the whole run killed at once when it passes (`memory.oom.group`). Failing that, where a
user systemd answers, the run starts in a `systemd-run --user --scope` with `MemoryMax`;
otherwise only the rlimits hold. `memory_cap()` says which, for `crewdesk doctor`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from desktop_app.engine.sandbox._base import IsolationLimits, user_process_count

_CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")
_CGROUP_MOUNT = Path("/sys/fs/cgroup")
MEMORY_NOTE = ("CrewDesk: the run passed its memory limit ({mb} MiB for all its processes "
               "together); the kernel killed its largest process")
"""What a run killed at its memory cap says on its standard error."""


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path for `controller` (v1), or its v2 path (`controller=""`)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller in names.split(",")) if controller else names == "":
            return path
    return None


@functools.cache
def memory_parent() -> tuple[Path, int] | None:
    """Where a run's memory cgroup can be made (below CrewDesk's own), and the cgroup version."""
    for mount in (_CGROUP_MOUNT, _CGROUP_MOUNT / "unified"):
        own = _own_cgroup("")
        folder = mount / (own or "/").lstrip("/")
        try:
            enabled = (folder / "cgroup.subtree_control").read_text().split()
        except OSError:
            continue
        if "memory" in enabled and os.access(folder, os.W_OK):
            return folder, 2
    own = _own_cgroup("memory")
    folder = _CGROUP_MOUNT / "memory" / (own or "/").lstrip("/")
    if own is not None and (folder / "memory.limit_in_bytes").exists() and os.access(
            folder, os.W_OK):
        return folder, 1
    return None


@functools.cache
def systemd_scope() -> str | None:
    """`systemd-run` when the user's systemd makes memory-capped scopes here, else None."""
    path = shutil.which("systemd-run")
    if path is None or os.geteuid() == 0:
        return None
    try:
        done = subprocess.run([path, "--user", "--scope", "--quiet", "--collect",
                               "-p", "MemoryMax=64M", "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if done.returncode == 0 else None


def memory_cap() -> str:
    """How a run's memory is capped here, in words for `crewdesk doctor`."""
    parent = memory_parent()
    if parent is not None:
        name = "memory.max" if parent[1] == 2 else "memory.limit_in_bytes"
        return f"memory: a cgroup v{parent[1]} per run ({name}, all its processes together)"
    if systemd_scope() is not None:
        return "memory: a systemd-run --user scope per run (MemoryMax, all its processes)"
    return ("memory: per process only (RLIMIT_AS); no cgroup or user systemd here to cap "
            "a whole run")


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

    def __init__(
        self, limits: IsolationLimits, *, extra_processes: int = 0, join: bool = True
    ) -> None:
        """Makes the run's cgroups.

        Args:
            limits: The run's caps.
            extra_processes: Processes of the backend itself that count against the cap.
            join: Join the cgroups in `preexec`; False: the backend puts the program in
                `folders()` itself (the Landlock launcher does, while the program starts).
        """
        self.limits = limits
        self._join = join
        self.cgroup: Path | None = None
        self.memory: Path | None = None
        self._processes = limits.max_processes + extra_processes
        parent = memory_parent()
        if parent is not None:
            self.memory = _make_memory_cgroup(parent[0], parent[1], limits.memory_mb)
            if self.memory is not None and parent[1] == 2:  # one cgroup per process in v2
                with contextlib.suppress(OSError):
                    (self.memory / "pids.max").write_text(str(self._processes))
                    self.cgroup = self.memory
        root = _pids_root()
        v2_memory = self.memory is not None and parent is not None and parent[1] == 2
        if self.cgroup is None and root is not None and not v2_memory:
            self.cgroup = _make_cgroup(root, {"pids.max": str(self._processes)})
        if self.cgroup is None and os.geteuid() != 0:
            self._nproc = user_process_count() + self._processes
        else:
            self._nproc = -1

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` in a memory-capped systemd scope when no cgroup of its own could be made."""
        scope = systemd_scope() if self.memory is None else None
        if scope is None:
            return argv
        return [scope, "--user", "--scope", "--quiet", "--collect",
                "-p", f"MemoryMax={self.limits.memory_mb}M", "-p", "MemorySwapMax=0",
                "-p", f"TasksMax={self._processes + 1}", "--", *argv]

    def folders(self) -> list[Path]:
        """The run's cgroups (none, one, or a pids and a memory one)."""
        return [f for f in dict.fromkeys((self.cgroup, self.memory)) if f is not None]

    def preexec(self) -> None:  # pragma: no cover - runs in the forked child
        """Joins the run's cgroups and sets the rlimits (in the child, before exec)."""
        import resource

        for folder in self.folders() if self._join else ():
            (folder / "cgroup.procs").write_text(str(os.getpid()))
        memory = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = self.limits.cpu_s
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU first, then SIGKILL
        size = self.limits.disk_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self._nproc > 0:
            resource.setrlimit(resource.RLIMIT_NPROC, (self._nproc, self._nproc))

    def outcome(self) -> str:
        """Why the caps stopped the run (its memory cap), or "" (read before `release`)."""
        if self.memory is None:
            return ""
        for name in ("memory.events", "memory.oom_control"):  # v2, v1 (oom_kill: 4.13+)
            with contextlib.suppress(OSError, ValueError):
                for line in (self.memory / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and int(value) > 0:
                        return MEMORY_NOTE.format(mb=self.limits.memory_mb)
        return ""

    def release(self) -> None:
        """Kills every process still in the run's cgroups, then removes them."""
        for folder in self.folders():
            _remove_cgroup(folder)
        self.cgroup = self.memory = None


def _make_cgroup(parent: Path, settings: dict[str, str]) -> Path | None:
    """A new cgroup below `parent` with `settings` written, or None when it cannot be made."""
    folder = parent / f"crewdesk-sandbox-{uuid.uuid4().hex[:12]}"
    try:
        folder.mkdir()
        for name, value in settings.items():
            (folder / name).write_text(value)
    except OSError:  # e.g. cgroup v2 without the controller for children
        with contextlib.suppress(OSError):
            folder.rmdir()
        return None
    return folder


def _make_memory_cgroup(parent: Path, version: int, memory_mb: int) -> Path | None:
    """A run's memory cgroup: the cap for all its processes, no swap, killed as one."""
    limit = str(memory_mb * 1024 * 1024)
    folder = _make_cgroup(parent, {"memory.max" if version == 2 else "memory.limit_in_bytes": limit})
    if folder is not None:
        extra = ({"memory.swap.max": "0", "memory.oom.group": "1"} if version == 2
                 else {"memory.memsw.limit_in_bytes": limit})
        for name, value in extra.items():  # absent when swap accounting is off: fine
            with contextlib.suppress(OSError):
                (folder / name).write_text(value)
    return folder


def _remove_cgroup(folder: Path) -> None:
    """Kills what is left in `folder` until the kernel lets it be removed (5 s at most)."""
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            pids = (folder / "cgroup.procs").read_text().split()
        except OSError:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(int(pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            folder.rmdir()
            return
        time.sleep(0.01)


def chain(*steps: Callable[[], None]) -> Callable[[], None]:
    """One callable running `steps` in order."""

    def run() -> None:
        for step in steps:
            step()

    return run
