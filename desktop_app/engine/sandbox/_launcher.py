"""The Landlock backend's launcher: `python -I _launcher.py CONFIG -- PROGRAM ARGS...`.

Run by path (stdlib only, with `_landlock` and `_seccomp` beside it), so the engine's heavy
imports never load. It becomes a child subreaper, forks, and in the child drops every
capability (when run as root), applies Landlock and the seccomp filter, then execs the
program. The launcher itself stays outside the Landlock domain, so the model's code cannot
signal or trace it. It waits for the program; when the program ends it kills every process
left under it (orphans come back to a subreaper, `setsid` or not) and exits with the
program's status (re-raising the signal that ended it). SIGTERM (CrewDesk's time-out or
cancel) does the same at once. While waiting it measures the run
folder (every 0.05 s) and kills the run when the folder grows past its cap.

CONFIG is JSON: `read_only` and `writable` path lists, `folder` (the run folder) and
`disk_bytes` (its cap, 0: none).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import sys

_PR_SET_CHILD_SUBREAPER = 36
_PR_CAPBSET_DROP = 24
_PR_SET_PDEATHSIG = 1
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPSET = {"x86_64": 126, "aarch64": 91}
_WATCH_S = 0.05


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Root keeps uid 0 but loses every capability, now and across exec."""
    try:
        last = int(open("/proc/sys/kernel/cap_last_cap").read())  # noqa: SIM115
    except OSError:
        last = 40
    for cap in range(last + 1):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()
    number = _CAPSET.get(os.uname().machine, 126)
    if libc.syscall(number, header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _child(config: dict[str, object], argv: list[str]) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _landlock  # type: ignore[import-not-found,unused-ignore]
    import _seccomp  # type: ignore[import-not-found,unused-ignore]

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.geteuid() == 0:
        _drop_capabilities(libc)
    _landlock.restrict(read_only=config["read_only"], writable=config["writable"])
    _seccomp.install()
    os.execv(argv[0], argv)


def _folder_bytes(folder: str) -> int:
    total = 0
    stack = [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def _kill_descendants() -> None:
    """Kills every process left under this subreaper until none is left."""
    while True:
        for pid in _children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children() -> list[int]:
    """This process's children: from /proc's `children` list, else by scanning /proc."""
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children", "rb") as listing:
            return [int(pid) for pid in listing.read().split()]
    except OSError:
        return [int(n) for n in os.listdir("/proc") if n.isdigit() and _parent(n) == me]


def _parent(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rpartition(b")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def _wait(child: int, folder: str, disk_bytes: int) -> int:
    """Waits for the program (woken at once by its pidfd) and watches the folder's size."""
    pidfd = os.pidfd_open(child)
    try:
        while not select.select([pidfd], [], [], _WATCH_S)[0]:
            if disk_bytes and _folder_bytes(folder) > disk_bytes:
                # The program only: its group is also the launcher's. What it started comes
                # back to this subreaper once it is gone, and `_kill_descendants` ends it.
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)
                print("CrewDesk: the run's folder passed its size limit; the code was stopped",
                      file=sys.stderr, flush=True)
    finally:
        os.close(pidfd)
    return os.waitpid(child, 0)[1]


def _stop(child: int) -> None:
    """SIGTERM from CrewDesk (a time-out, a cancel): kill everything, then go."""
    if child:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)
    _kill_descendants()
    os._exit(128 + signal.SIGTERM)


def main(arguments: list[str]) -> int:
    """Runs the program of `arguments` (CONFIG -- PROGRAM ARGS...) in the sandbox."""
    config = json.loads(arguments[0])
    argv = arguments[arguments.index("--") + 1:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    started: list[int] = []  # the handler is set before the fork: no moment without it
    signal.signal(signal.SIGTERM, lambda _sig, _frame: _stop(started[0] if started else 0))
    child = os.fork()
    if child == 0:
        try:
            _child(config, argv)
        except BaseException as exc:  # noqa: BLE001 - never run the code unconfined
            print(f"CrewDesk: the sandbox could not start: {exc}", file=sys.stderr, flush=True)
        os._exit(126)
    started.append(child)
    status = _wait(child, str(config["folder"]), int(config.get("disk_bytes") or 0))
    _kill_descendants()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL's action cannot be set
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        return 128 + sig
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
