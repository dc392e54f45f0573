"""The guard that runs before code a model wrote, kept as the text of a Python file.

`GUARD_SOURCE` is an audit hook (PEP 578) that refuses writes, removals, renames and new
folders outside the run's folder, shell commands and programs other than this Python. It is
written next to each run as `sitecustomize.py` (so Python processes the code starts load it
too) and, followed by `RUNNER_SOURCE`'s lines, as the `run.py` that runs the model's script.
Kept as text because a frozen build has no `.py` files to copy. No import: the text is all.
"""

from __future__ import annotations

GUARD_SOURCE = '''\
"""CrewDesk's guard for code a model wrote: no writes outside its folder, no shell.

Installed (as an audit hook, PEP 578) before the model's code runs, and again in every Python
process that code starts (as `sitecustomize`). Audit hooks see what Python does, not what C
code does, so this is a second fence after the process limits, not a sandbox.
"""
import os
import sys

_ROOT = os.path.realpath(os.environ.get("CREWDESK_SANDBOX_ROOT") or os.getcwd())
_DEVICES = frozenset({os.devnull, "/dev/stdout", "/dev/stderr", "/dev/tty"})
_PYTHON = os.path.realpath(sys.executable)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {  # event -> indexes of its path arguments; the dir_fd argument follows
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1),
    "os.symlink": (1,), "os.link": (1,), "os.truncate": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.utime": (0,), "os.setxattr": (0,), "os.removexattr": (0,),
    "os.chflags": (0,), "os.lchflags": (0,), "os.mkfifo": (0,), "os.mknod": (0,),
    "shutil.rmtree": (0,), "sqlite3.connect": (0,),
}
_FD_ARG = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.symlink": 2, "os.chmod": 2,
           "os.chown": 3, "os.utime": 3, "os.mkfifo": 2, "os.mknod": 3, "shutil.rmtree": 1}
_NATIVE_WRITERS = frozenset(
    "open open64 openat openat64 creat creat64 fopen fopen64 freopen unlink unlinkat rename "
    "renameat renameat2 mkdir mkdirat rmdir symlink symlinkat link linkat truncate truncate64 "
    "chmod fchmodat chown lchown system popen execv execve execvp execvpe execl execlp execle "
    "posix_spawn posix_spawnp fork vfork syscall setsid".split()
)


def _inside(path, dir_fd=None):
    if isinstance(path, int):
        return True  # an open descriptor: its file was checked when it was opened
    path = os.fsdecode(path)
    if path in ("", ":memory:") or path in _DEVICES:
        return True
    if path.startswith("file:"):  # an SQLite URI
        path = path[5:].split("?", 1)[0]
    if not os.path.isabs(path) and dir_fd not in (None, -1):
        try:
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        except OSError:
            return False
    real = os.path.realpath(path)
    return real == _ROOT or real.startswith(_ROOT + os.sep)


def _python_flags_ok(args):
    for arg in args[1:]:
        if not arg.startswith("-") or arg.startswith("--") or arg == "-":
            return True
        letters = arg[1:].split("c", 1)[0].split("m", 1)[0]
        if set(letters) & set("IES"):
            return False  # would skip this guard (isolated, no site, no PYTHONPATH)
        if len(letters) < len(arg) - 1:
            return True  # -c or -m: the rest are the program's arguments
    return True


def _spawn_ok(program, args, env):
    if program is None and args:
        program = args[0]
    if program is None:
        return False
    program = os.fsdecode(program)
    if os.sep not in program:
        import shutil
        program = shutil.which(program) or program
    if os.path.realpath(program) != _PYTHON:
        return False
    if env is not None and env.get("CREWDESK_SANDBOX_ROOT") is None:
        return False
    return _python_flags_ok([os.fsdecode(a) for a in (args or [program])])


def _deny(event, what):
    raise PermissionError(f"CrewDesk's code runner does not allow {event} {what!r}: "
                          "write inside the current folder, and run no other programs")


def _hook(event, args):
    if event == "open":
        path, _mode, flags = args
        if isinstance(flags, int) and flags & _WRITE_FLAGS and not _inside(path):
            _deny("writing to", path)
    elif event in _PATH_EVENTS:
        fd_index = _FD_ARG.get(event)
        dir_fd = args[fd_index] if fd_index is not None and len(args) > fd_index else None
        for index in _PATH_EVENTS[event]:
            if not _inside(args[index], dir_fd if event != "os.rename" else args[2 + index]):
                _deny(event, args[index])
    elif event == "subprocess.Popen":
        executable, popen_args, _cwd, env = args
        popen_args = [popen_args] if isinstance(popen_args, (str, bytes)) else list(popen_args)
        if not _spawn_ok(executable, popen_args, env):
            _deny("starting", popen_args[:1] or executable)
    elif event in ("os.exec", "os.posix_spawn"):
        path, exec_args, env = args
        if not _spawn_ok(path, list(exec_args), env):
            _deny("starting", path)
    elif event in ("os.system", "os.spawn", "pty.spawn"):
        _deny("starting", args[0] if args else event)
    elif event == "ctypes.dlsym" and len(args) > 1 and args[1] in _NATIVE_WRITERS:
        _deny("calling the C function", args[1])


sys.addaudithook(_hook)
'''
"""The guard run before the model's code (and as `sitecustomize` in Python processes it starts).

Kept as text: it is written next to each run, and a frozen build has no `.py` files to copy."""

RUNNER_SOURCE = GUARD_SOURCE + (
    "\n_script = sys.argv[1]\nsys.argv = sys.argv[1:]\nimport runpy\n"
    "runpy.run_path(_script, run_name='__main__')\n"
)
"""The runner: the guard, then the script named by its first argument as `__main__`."""
