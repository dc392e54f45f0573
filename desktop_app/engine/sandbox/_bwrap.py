"""The bubblewrap backend: new namespaces, a read-only interpreter, a capped tmpfs run folder.

`bwrap --unshare-all` gives the program its own user, mount, PID, network, IPC, UTS and
cgroup namespaces: it sees only the interpreter's prefix (and the C libraries under
`/usr/lib`) read-only, its extra read-only files, a fresh `/proc` of its own PID namespace,
a minimal `/dev`, and the run folder as a size-capped tmpfs at the same path; no `$HOME`,
no `/run/user` (so no D-Bus and no keyring), no network but its own loopback. Every
capability is dropped (also when CrewDesk runs as root), the seccomp filter of `_seccomp`
is loaded (`--seccomp`: no new namespaces, ptrace, keyring, bpf...), `--new-session` stops
it typing into the terminal, `--die-with-parent` ends it with CrewDesk, and when the
program exits bwrap's PID 1 goes and the kernel kills everything left in the namespace.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

from desktop_app.engine.sandbox import _seccomp
from desktop_app.engine.sandbox._base import IsolationLimits, Launch, interpreter_paths
from desktop_app.engine.sandbox._limits import RunCaps

_TOP_LINKS = ("/lib", "/lib64", "/bin", "/sbin", "/usr/lib64")


BUNDLED = os.path.join("bubblewrap", "bwrap")
"""Where the Linux release carries its own bwrap (and the libraries it needs, beside it),
relative to the frozen executable's folder (see packaging/build.py)."""


def bwrap_candidates() -> list[str]:
    """Every `bwrap` to try, best first: the release's own (frozen), PATH, the usual places."""
    found: list[str] = []
    if getattr(sys, "frozen", False):
        found.append(os.path.join(os.path.dirname(os.path.abspath(sys.executable)), BUNDLED))
    found += [shutil.which("bwrap") or "", "/usr/bin/bwrap", "/usr/local/bin/bwrap"]
    unique = [p for p in dict.fromkeys(found) if p and os.access(p, os.X_OK)]
    return [p for p in unique if os.path.isfile(p)]


def bwrap_path() -> str | None:
    """The first of `bwrap_candidates()`, or None."""
    return next(iter(bwrap_candidates()), None)


def _bwrap_env(executable: str, env: Mapping[str, str]) -> dict[str, str]:
    """bwrap's own environment: a bundled bwrap finds its libraries beside it.

    The program never sees this: bwrap starts it with `--clearenv` and `--setenv`.
    """
    out = dict(env)
    folder = os.path.dirname(executable)
    if os.path.basename(folder) == "bubblewrap" and any(
            name.endswith(".so") or ".so." in name for name in os.listdir(folder)):
        out["LD_LIBRARY_PATH"] = folder
    return out


def mounts(run_folder: str, limits: IsolationLimits, read_only: Sequence[str]) -> list[str]:
    """bwrap's options for the file system the program sees."""
    # /proc/sys read-only: for uid 0 (CrewDesk run as root, even with no capability) the
    # sysctls are writable, and kernel.core_pattern runs a program as root on the host.
    options = ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev",
               "--tmpfs", "/tmp"]
    for link in _TOP_LINKS:
        if os.path.islink(link):
            options += ["--symlink", os.readlink(link), link]
    for path in [*interpreter_paths(), *read_only]:
        if os.path.islink(path) and path in _TOP_LINKS:
            continue
        options += ["--ro-bind", path, path]
    options += ["--size", str(limits.disk_mb * 1024 * 1024), "--tmpfs", run_folder]
    return options


class BwrapIsolator:
    """Runs the program under bubblewrap."""

    name = "bwrap"

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or bwrap_path() or "bwrap"

    def prepare(
        self,
        *,
        argv: Sequence[str],
        run_folder: str,
        limits: IsolationLimits,
        env: Mapping[str, str],
        read_only: Sequence[str] = (),
    ) -> Launch:
        """The bwrap command around `argv` (see `Isolator.prepare`)."""
        outside = [p for p in read_only if not p.startswith(run_folder + os.sep)]
        inside = [p for p in read_only if p.startswith(run_folder + os.sep)]
        command = [
            self.executable, "--unshare-all", *(["--share-net"] if limits.network else []),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
            *mounts(run_folder, limits, outside),
            *[option for path in inside for option in ("--ro-bind", path, path)],  # over the tmpfs
            "--chdir", run_folder, "--clearenv",
        ]
        for name, value in env.items():
            command += ["--setenv", name, value]
        caps = RunCaps(limits, extra_processes=2, join=False)  # bwrap's own two processes
        fds: tuple[int, ...] = ()
        if _seccomp.supported():
            fd = _seccomp_fd(allow_network=limits.network)
            command += ["--seccomp", str(fd)]
            fds = (fd,)
        mover = _CgroupMover([str(f) for f in caps.folders()]) if caps.folders() else None
        if mover is not None:
            command += ["--info-fd", str(mover.info_w), "--block-fd", str(mover.block_r)]
            fds += (mover.info_w, mover.block_r)

        def cleanup() -> None:
            if mover is not None:
                mover.close()
            caps.release()
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

        return Launch(caps.wrap([*command, "--", *argv]), _bwrap_env(self.executable, env),
                      caps.preexec, cleanup, fds, caps.outcome)


class _CgroupMover:
    """Moves bwrap's sandbox process into the run's cgroups while bwrap sets it up.

    bwrap tells its sandbox process's PID on `--info-fd` and then waits on `--block-fd`
    before it loads the seccomp filter and starts anything; a thread moves that process and
    unblocks it. So the kernel's slow cgroup move (10-15 ms on cgroup v1, more under load)
    overlaps bwrap's namespace set-up instead of coming before it, and nothing of the run
    ever runs outside its cgroups: if the move fails, the process is killed.
    """

    def __init__(self, folders: list[str]) -> None:
        self.folders = folders
        self.info_r, self.info_w = os.pipe()
        self.block_r, self.block_w = os.pipe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crewdesk-bwrap-cgroups",
                                        daemon=True)
        self._thread.start()

    def _child_pid(self) -> int | None:
        """The sandbox process's PID, as bwrap writes it (None: bwrap ended first)."""
        data = b""
        while b"}" not in data and not self._stop.is_set():
            if not select.select([self.info_r], [], [], 0.5)[0]:
                continue
            chunk = os.read(self.info_r, 4096)
            if not chunk:
                return None
            data += chunk
        found = re.search(rb'"child-pid"\s*:\s*(\d+)', data)
        return int(found.group(1)) if found else None

    def _run(self) -> None:
        child: int | None = None
        try:
            child = self._child_pid()
            if child is None:
                return
            for folder in self.folders:
                with open(os.path.join(folder, "cgroup.procs"), "w", encoding="ascii") as procs:
                    procs.write(str(child))
            os.write(self.block_w, b"1")
        except (OSError, ValueError):  # never let the run go on outside its cgroups
            if child is not None:
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)

    def close(self) -> None:
        """Stops the thread (the run is over) and closes the descriptors it used."""
        self._stop.set()
        self._thread.join(timeout=1.0)
        for fd in (self.info_r, self.block_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def _seccomp_fd(*, allow_network: bool = False) -> int:
    """A memory file holding the seccomp filter, read by bwrap from its start."""
    fd = os.memfd_create("crewdesk-seccomp")
    os.write(fd, _seccomp.compiled(allow_network=allow_network))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
