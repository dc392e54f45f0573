"""Runs Python code that a model wrote, in a separate process, with limits.

What the child gets: a fresh temporary working directory (removed afterwards), an
environment with no secrets (only a few harmless variables are copied; nothing like a key
or token), a wall-clock time limit, a CPU-time and an address-space limit (POSIX), its own
process group (so a timeout or a cancelled run kills everything it started), and Python's
isolated mode (`-I`: no user site, no PYTHON* variables). Its stdout, stderr and exit status
go back to the model. No Docker needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine.tools import BaseTool

_SAFE_ENV_NAMES = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Limits of one code run.

    Attributes:
        timeout_s: Wall-clock seconds before the process group is killed.
        memory_mb: Address-space limit in MiB (POSIX only).
        max_output_chars: Output beyond this is cut, with a note saying so.
    """

    timeout_s: float = 20.0
    memory_mb: int = 1024
    max_output_chars: int = 8000


@dataclass(frozen=True, slots=True)
class CodeResult:
    """What a code run printed and how it ended."""

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool

    def for_model(self, limits: CodeLimits) -> str:
        """The text that goes back to the model."""
        parts = []
        if self.timed_out:
            parts.append(f"Error: the code was stopped after {limits.timeout_s:g} s (time limit).")
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


def child_environment(workdir: str) -> dict[str, str]:
    """The environment of the child: harmless variables only, never a key or token."""
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
    return env


def python_command(script: str) -> list[str]:
    """The command that runs `script` with a Python interpreter.

    In a frozen build (PyInstaller) `sys.executable` is CrewDesk itself, which runs a script
    when given `--exec-python`.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", script]
    return [sys.executable, "-I", "-X", "utf8", script]


def _limit_resources(limits: CodeLimits) -> None:  # pragma: no cover - runs in the child
    import resource

    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _popen_options(limits: CodeLimits, workdir: str) -> dict[str, Any]:
    options: dict[str, Any] = {"cwd": workdir, "env": child_environment(workdir)}
    if os.name == "posix":
        options["start_new_session"] = True
        options["preexec_fn"] = lambda: _limit_resources(limits)
    return options


def _kill_group(pid: int) -> None:
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def _write_script(code: str) -> tuple[str, str]:
    workdir = tempfile.mkdtemp(prefix="crewdesk-code-")
    script = str(Path(workdir) / "main.py")
    Path(script).write_text(code, encoding="utf-8")
    return workdir, script


async def arun_python(code: str, limits: CodeLimits = CodeLimits()) -> CodeResult:
    """Runs `code` in a child process without blocking the event loop.

    Cancelling the awaiting task kills the child's whole process group.
    """
    workdir, script = await asyncio.to_thread(_write_script, code)
    process = await asyncio.create_subprocess_exec(
        *python_command(script),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        **_popen_options(limits, workdir),
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), limits.timeout_s)
        return CodeResult(_decode(stdout), _decode(stderr), process.returncode, False)
    except TimeoutError:
        return CodeResult("", "", None, True)
    finally:
        _kill_group(process.pid)
        if process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.to_thread(shutil.rmtree, workdir, True)


def run_python(code: str, limits: CodeLimits = CodeLimits()) -> CodeResult:
    """Runs `code` in a child process, blocking."""
    workdir, script = _write_script(code)
    try:
        with subprocess.Popen(
            python_command(script),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **_popen_options(limits, workdir),
        ) as process:
            try:
                stdout, stderr = process.communicate(timeout=limits.timeout_s)
                return CodeResult(_decode(stdout), _decode(stderr), process.returncode, False)
            except subprocess.TimeoutExpired:
                return CodeResult("", "", None, True)
            finally:
                _kill_group(process.pid)
                process.kill()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


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

    def _run(self, **kwargs: Any) -> str:
        return run_python(str(kwargs["code"]), self.limits).for_model(self.limits)

    async def _arun(self, **kwargs: Any) -> str:
        result = await arun_python(str(kwargs["code"]), self.limits)
        return result.for_model(self.limits)
