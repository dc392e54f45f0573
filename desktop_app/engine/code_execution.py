"""Runs Python code that a model wrote, in a separate process, with limits.

What the child gets: a fresh temporary working directory (removed afterwards), an
environment with no secrets (only a few harmless variables are copied; nothing like a key
or token), a wall-clock time limit, a CPU-time and an address-space limit (POSIX), its own
process group (so a timeout or a cancelled run kills everything it started), and Python's
isolated mode (`-I`: no user site, no PYTHON* variables). Its stdout, stderr and exit status
go back to the model. No Docker needed.

The child runs inside the OS sandbox that `desktop_app.engine.sandbox.detect()` picks
(Linux: bubblewrap, else Landlock + seccomp): it sees only the interpreter read-only and its
run folder writable, no network, no D-Bus, no other process. With no sandbox here, code
execution is refused unless the limits opt in (`CodeLimits(allow_unsandboxed=True)`).

Before the model's code runs, a guard (`GUARD_SOURCE`, an audit hook, PEP 578) refuses writes,
removals, renames and new folders outside the working directory's tree, shell commands and
programs other than this Python; Python processes the code starts load the same guard (as
`sitecustomize`, through `PYTHONPATH`) unless they were started with flags that skip it, which
the guard refuses (`-I`, `-E`, `-S`). After each run every process still carrying the run's marker in its
environment is killed, even one that left the process group (`setsid`). Audit hooks see
Python's own operations, not native code, so the guard is a second fence inside the
sandbox, against mistakes; the sandbox is what holds against a determined author.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine import sandbox
from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.tools import BaseTool

_SAFE_ENV_NAMES = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
_MARKER = "CREWDESK_SANDBOX_ROOT"
"""Environment variable naming the run's folder: the guard's root and the run's marker."""

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

_RUNNER_SOURCE = GUARD_SOURCE + (
    "\n_script = sys.argv[1]\nsys.argv = sys.argv[1:]\nimport runpy\n"
    "runpy.run_path(_script, run_name='__main__')\n"
)


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Limits of one code run.

    Attributes:
        timeout_s: Wall-clock seconds before the process group is killed.
        memory_mb: Address-space limit in MiB (POSIX only).
        cpu_s: CPU seconds before the child gets SIGXCPU (POSIX only); None: the time-out
            plus one second.
        max_output_chars: Output beyond this is cut, with a note saying so.
        max_processes: Processes the code may have at once (in the sandbox).
        disk_mb: What its folder may hold, in MiB (in the sandbox).
        allow_unsandboxed: Run the code without an OS sandbox when none works on this
            machine (only the guard and the limits then). Off: code execution is refused.
    """

    timeout_s: float = 20.0
    memory_mb: int = 1024
    cpu_s: float | None = None
    max_output_chars: int = 8000
    max_processes: int = 64
    disk_mb: int = 256
    allow_unsandboxed: bool = False

    def isolation(self) -> sandbox.IsolationLimits:
        """The limits the OS sandbox enforces."""
        cpu = math.ceil(self.cpu_s) if self.cpu_s is not None else int(self.timeout_s) + 1
        return sandbox.IsolationLimits(
            memory_mb=self.memory_mb, cpu_s=cpu, max_processes=self.max_processes,
            disk_mb=self.disk_mb,
        )


@dataclass(frozen=True, slots=True)
class CodeResult:
    """What a code run printed and how it ended."""

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool
    refused: str = ""
    """Why the code was not run at all (no sandbox here), or empty."""

    def for_model(self, limits: CodeLimits) -> str:
        """The text that goes back to the model."""
        parts = []
        if self.refused:
            parts.append(f"Error: code execution is off: {self.refused}")
        elif self.timed_out:
            parts.append(f"Error: the code was stopped after {limits.timeout_s:g} s (time limit).")
        elif self.exit_code == -_SIGXCPU:
            parts.append("Error: the code was stopped at its CPU-time limit.")
        elif self.exit_code not in (0, None):
            parts.append(f"Error: the code exited with status {self.exit_code}.")
        if self.stdout:
            parts.append(self.stdout.rstrip())
        if self.stderr:
            parts.append("stderr:\n" + self.stderr.rstrip())
        text = "\n".join(parts) or "(the code printed nothing; print the values you need)"
        if len(text) > limits.max_output_chars:
            text = text[: limits.max_output_chars] + "\n[output cut: too long]"
        return text


_SIGXCPU = int(getattr(signal, "SIGXCPU", 24))


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


def _limit_resources(limits: CodeLimits) -> None:  # pragma: no cover - runs in the child
    import resource

    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(limits.cpu_s) if limits.cpu_s is not None else int(limits.timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU first, then SIGKILL


def _popen_options(limits: CodeLimits, run: _RunFolders) -> dict[str, Any]:
    options: dict[str, Any] = {"cwd": run.workdir, "env": run.env}
    if os.name == "posix":
        options["start_new_session"] = True
        launch = run.launch
        options["preexec_fn"] = (
            launch.preexec if launch is not None else lambda: _limit_resources(limits)
        )
        if launch is not None and launch.pass_fds:
            options["pass_fds"] = launch.pass_fds
    return options


def _prepare(run: _RunFolders, limits: CodeLimits) -> str:
    """Wraps the run's command in the OS sandbox; returns why it cannot run, or ""."""
    detection = sandbox.detect()
    if detection.backend is None:
        if limits.allow_unsandboxed:
            return ""
        fix = "Install bubblewrap, or let" if sys.platform.startswith("linux") else "Let"
        return (f"{detection.reason}. {fix} this crew run model code unsandboxed "
                "(allow_unsandboxed)")
    run.launch = detection.isolator().prepare(
        argv=run.command, run_folder=run.workdir, limits=limits.isolation(), env=run.env,
        read_only=[run.guard_dir, run.script],
    )
    return ""


def _kill_group(pid: int) -> None:
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
class _RunFolders:
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

    def result(self, stdout: bytes, stderr: bytes, code: int | None) -> CodeResult:
        """The finished run's result, with why the OS stopped it (its memory cap) if it did."""
        note = self.launch.outcome() if self.launch is not None else ""
        errors = _decode(stderr) + (f"\n{note}\n" if note else "")
        return CodeResult(_decode(stdout), errors, self.status(code), False)

    @property
    def script(self) -> str:
        return str(Path(self.workdir) / "main.py")

    def remove(self) -> None:
        if self.launch is not None:
            self.launch.cleanup()
        for folder in (self.workdir, self.guard_dir):
            shutil.rmtree(folder, ignore_errors=True)


def _write_script(code: str) -> _RunFolders:
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="crewdesk-code-"))
    guard_dir = os.path.realpath(tempfile.mkdtemp(prefix="crewdesk-guard-"))
    run = _RunFolders(workdir, guard_dir)
    Path(run.script).write_text(code, encoding="utf-8")
    Path(guard_dir, "run.py").write_text(_RUNNER_SOURCE, encoding="utf-8")
    Path(guard_dir, "sitecustomize.py").write_text(GUARD_SOURCE, encoding="utf-8")
    return run


def _clean_up(pid: int, run: _RunFolders) -> None:
    _kill_rest(pid, run)
    run.remove()


async def arun_python(code: str, limits: CodeLimits = CodeLimits()) -> CodeResult:
    """Runs `code` in a child process without blocking the event loop.

    Cancelling the awaiting task kills the child's whole process group.
    """
    run = await asyncio.to_thread(_write_script, code)
    refused = await asyncio.to_thread(_prepare, run, limits)
    if refused:
        await asyncio.to_thread(run.remove)
        return CodeResult("", "", None, False, refused)
    try:
        process = await asyncio.create_subprocess_exec(
            *run.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            **_popen_options(limits, run),
        )
    except BaseException:
        await asyncio.to_thread(run.remove)
        raise
    try:
        stdout, stderr = await asyncio.wait_for(_acommunicate(process, run), limits.timeout_s)
        return run.result(stdout, stderr, process.returncode)
    except TimeoutError:
        return CodeResult("", "", None, True)
    finally:
        if run.launch is not None and process.returncode is None:
            await _aterminate(process)
        _kill_group(process.pid)
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.shield(asyncio.to_thread(_clean_up, process.pid, run))


_TERMINATE_S = 1.0


async def _aterminate(process: asyncio.subprocess.Process) -> None:
    """Asks the sandbox's wrapper to end a run still going (time-out, cancel).

    The Landlock launcher then kills every process the code started, also those that left
    the process group, before the group is killed; waits at most `_TERMINATE_S`.
    """
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    deadline = time.monotonic() + _TERMINATE_S
    while process.returncode is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def _acommunicate(
    process: asyncio.subprocess.Process, run: _RunFolders
) -> tuple[bytes, bytes]:
    """Reads the child's output until it exits, then kills what it left behind.

    Waiting for the pipes' end instead would wait for any process the code left running
    with the pipes open (a daemon), up to the time limit, and lose the output. So does
    `Process.wait()` on Python 3.11 (it returns once the pipes close), hence the polling of
    `returncode`, which is set as soon as the child is reaped.
    """
    assert process.stdout is not None and process.stderr is not None
    async with asyncio.TaskGroup() as group:
        out = group.create_task(process.stdout.read())
        err = group.create_task(process.stderr.read())
        while process.returncode is None:  # noqa: ASYNC110 - see the docstring
            await asyncio.sleep(0.02)
        await asyncio.to_thread(_kill_rest, process.pid, run)
    return out.result(), err.result()


def _kill_rest(pid: int, run: _RunFolders) -> None:
    _kill_group(pid)
    kill_leftovers(run.workdir)


def _communicate(
    process: subprocess.Popen[bytes], run: _RunFolders, timeout: float
) -> tuple[bytes, bytes]:
    """The blocking twin of `_acommunicate`; raises `subprocess.TimeoutExpired`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            return process.communicate(timeout=max(0.0, min(0.1, left)))
        except subprocess.TimeoutExpired:
            if process.poll() is not None:
                _kill_rest(process.pid, run)  # the pipes end once what it left is gone
            elif left <= 0:
                raise


def run_python(code: str, limits: CodeLimits = CodeLimits()) -> CodeResult:
    """Runs `code` in a child process, blocking."""
    run = _write_script(code)
    pid: int | None = None
    try:
        refused = _prepare(run, limits)
        if refused:
            return CodeResult("", "", None, False, refused)
        with subprocess.Popen(
            run.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **_popen_options(limits, run),
        ) as process:
            pid = process.pid
            try:
                stdout, stderr = _communicate(process, run, limits.timeout_s)
                return run.result(stdout, stderr, process.returncode)
            except subprocess.TimeoutExpired:
                return CodeResult("", "", None, True)
            finally:
                if run.launch is not None and process.poll() is None:
                    process.terminate()  # see _aterminate
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(_TERMINATE_S)
                _kill_group(process.pid)
                process.kill()
    finally:
        if pid is not None:
            kill_leftovers(run.workdir)
        run.remove()


class CodeArgs(BaseModel):
    """Arguments of the code interpreter."""

    code: str = Field(description="Python 3 code to run. Print every value you need to see.")


class CodeInterpreterTool(BaseTool):
    """Runs Python 3 code in a separate, limited process and returns what it printed."""

    name: str = "code_interpreter"
    description: str = (
        "Run Python 3 code and get back what it printed (stdout and stderr). Use it for any "
        "calculation or data work: write complete code and print the results. Each run "
        "starts fresh in an empty temporary folder, with no network keys."
    )
    args_schema: type[BaseModel] = CodeArgs
    limits: CodeLimits = CodeLimits()

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest:
        """Every run asks first: kind "code", with the whole code as the detail."""
        code = self._code_of(arguments)
        lines = len(code.splitlines()) or 1
        return ApprovalRequest(
            kind="code", tool_name=self.name,
            summary=f"Run {lines} line{'s' if lines > 1 else ''} of Python", detail=code,
        )

    def _code_of(self, arguments: dict[str, Any]) -> str:
        """The code a call would run."""
        return str(arguments.get("code") or "")

    def _run(self, **kwargs: Any) -> str:
        return run_python(str(kwargs["code"]), self.limits).for_model(self.limits)

    async def _arun(self, **kwargs: Any) -> str:
        result = await arun_python(str(kwargs["code"]), self.limits)
        return result.for_model(self.limits)
