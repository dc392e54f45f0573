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

This module holds the limits, the runs and the tool; the guard's text is in `_code_guard`,
the child's folders, environment and clean-up in `_code_child` (their public names are
re-exported here).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine import sandbox
from desktop_app.engine._code_child import (
    RunFolders,
    child_environment,
    clean_up,
    kill_group,
    kill_leftovers,
    kill_rest,
    python_command,
    write_script,
)
from desktop_app.engine._code_guard import GUARD_SOURCE
from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.tools import BaseTool

__all__ = [
    "GUARD_SOURCE",
    "CodeArgs",
    "CodeInterpreterTool",
    "CodeLimits",
    "CodeResult",
    "arun_python",
    "child_environment",
    "kill_leftovers",
    "python_command",
    "run_python",
]


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


def _limit_resources(limits: CodeLimits) -> None:  # pragma: no cover - runs in the child
    import resource

    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = math.ceil(limits.cpu_s) if limits.cpu_s is not None else int(limits.timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU first, then SIGKILL


def _popen_options(limits: CodeLimits, run: RunFolders) -> dict[str, Any]:
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


def _prepare(run: RunFolders, limits: CodeLimits) -> str:
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


def _result(run: RunFolders, stdout: bytes, stderr: bytes, code: int | None) -> CodeResult:
    """The finished run's result, with why the OS stopped it (its memory cap) if it did."""
    return CodeResult(*run.output(stdout, stderr, code), False)


async def arun_python(code: str, limits: CodeLimits = CodeLimits()) -> CodeResult:
    """Runs `code` in a child process without blocking the event loop.

    Cancelling the awaiting task kills the child's whole process group.
    """
    run = await asyncio.to_thread(write_script, code)
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
        return _result(run, stdout, stderr, process.returncode)
    except TimeoutError:
        return CodeResult("", "", None, True)
    finally:
        if run.launch is not None and process.returncode is None:
            await _aterminate(process)
        kill_group(process.pid)
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.shield(asyncio.to_thread(clean_up, process.pid, run))


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
    process: asyncio.subprocess.Process, run: RunFolders
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
        await asyncio.to_thread(kill_rest, process.pid, run)
    return out.result(), err.result()


def _communicate(
    process: subprocess.Popen[bytes], run: RunFolders, timeout: float
) -> tuple[bytes, bytes]:
    """The blocking twin of `_acommunicate`; raises `subprocess.TimeoutExpired`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            return process.communicate(timeout=max(0.0, min(0.1, left)))
        except subprocess.TimeoutExpired:
            if process.poll() is not None:
                kill_rest(process.pid, run)  # the pipes end once what it left is gone
            elif left <= 0:
                raise


def run_python(code: str, limits: CodeLimits = CodeLimits()) -> CodeResult:
    """Runs `code` in a child process, blocking."""
    run = write_script(code)
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
                return _result(run, stdout, stderr, process.returncode)
            except subprocess.TimeoutExpired:
                return CodeResult("", "", None, True)
            finally:
                if run.launch is not None and process.poll() is None:
                    process.terminate()  # see _aterminate
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(_TERMINATE_S)
                kill_group(process.pid)
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
