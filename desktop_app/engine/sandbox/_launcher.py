"""The Landlock backend's launcher: `python -I -S -c "...import _launcher..." OPTIONS -- PROGRAM`.

Imported from its folder (with `_landlock` and `_seccomp` beside it; a frozen build runs it
by path with `--exec-python`), so the engine's heavy imports never load; it imports only `os`, `_signal`, `select` and `ctypes` (not `signal` or `json`, which
pull in `enum` and `re`: 15 ms of a run). It becomes a child subreaper, forks, and in the
child drops every capability (when run as root), applies Landlock and the seccomp filter,
then runs the program. The launcher itself stays outside the Landlock domain, so the model's
code cannot signal or trace it. It waits for the program; when the program ends it kills
every process left under it (orphans come back to a subreaper, `setsid` or not) and exits
with the program's status (re-raising the signal that ended it). SIGTERM (CrewDesk's
time-out or cancel) does the same at once. While waiting it measures the run folder (every
0.05 s) and kills the run when the folder grows past its cap.

A program that is this interpreter running a script (`--inline N`: PROGRAM's first N words
are the interpreter and its options) is run in the confined child itself, as `python
SCRIPT` would run it, instead of starting a second interpreter: that saves a whole Python
start-up per run. `--site` then imports `site` as the interpreter would have (it was not
started with `-S`).

OPTIONS: `--folder PATH` (the run folder), `--disk BYTES` (its cap, 0: none), `--bpf HEX`
(the seccomp filter, compiled once by CrewDesk), `--ro PATH` and `--rw PATH` (repeated: what
may be read, and written), `--cgroup PATH` (repeated: the run's cgroups, which the launcher
moves the program into while it starts; it runs nothing before), `--inline N`, `--site`.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # `signal` imports `enum`: 8 ms
import ctypes
import os
import select
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PR_SET_CHILD_SUBREAPER = 36
_PR_CAPBSET_DROP = 24
_PR_SET_PDEATHSIG = 1
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPSET = {"x86_64": 126, "aarch64": 91}
_WATCH_S = 0.05
_SIGKILL, _SIGTERM = int(_signal.SIGKILL), int(_signal.SIGTERM)
_LISTS = {"--ro": "read_only", "--rw": "writable", "--cgroup": "cgroups"}
_VALUES = {"--folder": "folder", "--disk": "disk", "--bpf": "bpf", "--inline": "inline"}


def parse(arguments: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The options before `--`, and the program after it.

    Raises:
        ValueError: An unknown option, or no `--`.
    """
    config: dict[str, Any] = {"read_only": [], "writable": [], "cgroups": [], "folder": "",
                              "disk": "0", "bpf": "", "inline": "0", "site": False}
    index = 0
    while arguments[index] != "--":
        option = arguments[index]
        if option == "--site":
            config["site"] = True
            index += 1
            continue
        if option in _LISTS:
            config[_LISTS[option]].append(arguments[index + 1])
        elif option in _VALUES:
            config[_VALUES[option]] = arguments[index + 1]
        else:
            raise ValueError(f"unknown launcher option {option!r}")
        index += 2
    return config, arguments[index + 1:]


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Root keeps uid 0 but loses every capability, now and across exec."""
    try:
        with open("/proc/sys/kernel/cap_last_cap", "rb") as last_cap:
            last = int(last_cap.read())
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


def _confine(config: dict[str, Any]) -> None:
    """Puts this (child) process in the sandbox, for good."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import _landlock  # type: ignore[import-not-found,unused-ignore]
    import _seccomp  # type: ignore[import-not-found,unused-ignore]

    sys.path.remove(here)
    _signal.signal(_SIGTERM, _signal.SIG_DFL)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
    if os.geteuid() == 0:
        _drop_capabilities(libc)
    _landlock.restrict(read_only=config["read_only"], writable=config["writable"])
    _seccomp.install(bytes.fromhex(config["bpf"]) if config["bpf"] else None)
    for name in ("_landlock", "_seccomp"):
        sys.modules.pop(name, None)


def _wait_for_cgroups(ready: int) -> None:
    """Blocks until the launcher has moved this process into the run's cgroups (or gone)."""
    if ready >= 0:
        if os.read(ready, 1) != b"1":
            os._exit(126)  # the launcher could not: never run uncapped
        os.close(ready)


def _move_to_cgroups(child: int, cgroups: list[str], ready: int) -> None:
    """Puts the program in the run's cgroups, then lets it go on (kills it if that fails).

    Done here, after the fork, so that the kernel's slow cgroup move (10-15 ms on cgroup
    v1) overlaps the program's own start instead of adding to it.
    """
    try:
        for folder in cgroups:
            with open(os.path.join(folder, "cgroup.procs"), "w") as procs:
                procs.write(str(child))
    except OSError as exc:
        _kill(child)
        print(f"CrewDesk: the run's cgroup could not be joined: {exc}", file=sys.stderr,
              flush=True)
    else:
        os.write(ready, b"1")
    os.close(ready)


def run_inline(script: str, args: list[str], *, site: bool, ready: int = -1) -> None:
    """Runs `script` in this interpreter as `python -I SCRIPT ARGS` would (`__main__`).

    An uncaught exception prints its traceback from the script's own frame and exits 1;
    `SystemExit` goes up to the interpreter, which exits with its code. `ready`: a pipe to
    wait on before the script runs (see `_wait_for_cgroups`), or -1.
    """
    sys.argv = [script, *args]
    if getattr(sys, "frozen", False):
        from desktop_app._frozen import exec_python  # type: ignore[import-not-found,unused-ignore]

        _wait_for_cgroups(ready)
        sys.exit(exec_python(script, args))
    if site:
        import site as site_module

        site_module.main()
    import runpy

    _wait_for_cgroups(ready)

    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - reported like the interpreter, minus our frames
        trace = exc.__traceback__
        while trace is not None and trace.tb_frame.f_code.co_filename != script:
            trace = trace.tb_next
        trace = trace or exc.__traceback__
        sys.excepthook(type(exc), exc.with_traceback(trace), trace)
        sys.exit(1)


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


def _kill(pid: int) -> None:
    try:  # noqa: SIM105 - `contextlib` costs a run 6 ms of imports
        os.kill(pid, _SIGKILL)
    except OSError:
        pass


def _kill_descendants() -> None:
    """Kills every process left under this subreaper until none is left."""
    while True:
        for pid in _children():
            _kill(pid)
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
                _kill(child)
                print("CrewDesk: the run's folder passed its size limit; the code was stopped",
                      file=sys.stderr, flush=True)
    finally:
        os.close(pidfd)
    return os.waitpid(child, 0)[1]


def _stop(child: int) -> None:
    """SIGTERM from CrewDesk (a time-out, a cancel): kill everything, then go."""
    if child:
        _kill(child)
    _kill_descendants()
    os._exit(128 + _SIGTERM)


def _exit_like(status: int) -> int:
    """Ends this process the way the program ended (its code, or its signal)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:  # noqa: SIM105 - no `contextlib` here; SIGKILL's action cannot be set
            _signal.signal(sig, _signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), sig)
        return 128 + sig
    return os.waitstatus_to_exitcode(status)


def main(arguments: list[str]) -> int:
    """Runs the program of `arguments` (OPTIONS -- PROGRAM ARGS...) in the sandbox."""
    config, argv = parse(arguments)
    inline = int(config["inline"])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    started: list[int] = []  # the handler is set before the fork: no moment without it
    _signal.signal(_SIGTERM, lambda _sig, _frame: _stop(started[0] if started else 0))
    ready, moved = os.pipe() if config["cgroups"] else (-1, -1)
    child = os.fork()
    if child == 0:
        try:
            if moved >= 0:
                os.close(moved)
            _confine(config)
        except BaseException as exc:  # noqa: BLE001 - never run the code unconfined
            print(f"CrewDesk: the sandbox could not start: {exc}", file=sys.stderr, flush=True)
            os._exit(126)
        if inline:
            run_inline(argv[inline], argv[inline + 1:], site=bool(config["site"]), ready=ready)
            return 0
        _wait_for_cgroups(ready)
        try:
            os.execv(argv[0], argv)
        except OSError as exc:
            print(f"CrewDesk: could not start {argv[0]}: {exc}", file=sys.stderr, flush=True)
            os._exit(127)
    started.append(child)
    if ready >= 0:
        os.close(ready)
        _move_to_cgroups(child, config["cgroups"], moved)
    status = _wait(child, str(config["folder"]), int(config["disk"]))
    _kill_descendants()
    return _exit_like(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
