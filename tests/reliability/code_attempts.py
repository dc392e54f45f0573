"""What code a model wrote may try, and how each attempt must end (shared by the test and
`benchmarks/reliability_code.py`).

Each attempt runs through `arun_python` with a file outside the run's folder (`TARGET`, in
the caller's temp dir) as the thing to protect; the check returns how the attempt ended, in a
few words, or raises `AssertionError` when it ended the wrong way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_app.engine.code_execution import CodeLimits, CodeResult, arun_python

DENIED = "PermissionError: CrewDesk's code runner does not allow"


@dataclass(frozen=True)
class Attempt:
    """One thing the code tries; `{target}` in the code is the protected file's path."""

    name: str
    code: str
    limits: CodeLimits = CodeLimits(timeout_s=10.0)
    expect: str = "denied"  # "denied", "ok", "cpu", "memory", "timeout"


ATTEMPTS = [
    Attempt("read a key from the environment",
            "import os\nprint([k for k in os.environ if 'KEY' in k or 'TOKEN' in k])", expect="ok"),
    Attempt("write a file in its own folder", "open('out.txt', 'w').write('x')\n"
            "import os; os.mkdir('d'); os.rename('out.txt', 'd/o.txt')\n"
            "import shutil; shutil.rmtree('d')", expect="ok"),
    Attempt("open() a file outside for writing", "open({target!r}, 'w').write('x')"),
    Attempt("append to a file outside", "open({target!r}, 'a').write('x')"),
    Attempt("os.open a file outside", "import os; os.open({target!r}, os.O_WRONLY | os.O_CREAT)"),
    Attempt("pathlib write_text outside", "import pathlib; pathlib.Path({target!r}).write_text('x')"),
    Attempt("remove a file outside", "import os; os.remove({target!r})"),
    Attempt("rename a file outside", "import os; os.rename({target!r}, 'stolen.txt')"),
    Attempt("make a folder outside", "import os; os.mkdir({target!r} + '.d')"),
    Attempt("rmtree outside", "import shutil, os; shutil.rmtree(os.path.dirname({target!r}))"),
    Attempt("write through a symlink to outside",
            "import os; os.symlink({target!r}, 'link'); open('link', 'w').write('x')"),
    Attempt("write ../ out of its folder", "open('../crewdesk-escape.txt', 'w').write('x')"),
    Attempt("SQLite database outside", "import sqlite3; sqlite3.connect({target!r} + '.db')"),
    Attempt("shell command (os.system)", "import os; os.system('touch ' + {target!r})"),
    Attempt("shell through subprocess", "import subprocess; subprocess.run(['sh', '-c', 'touch "
            "' + {target!r}])"),
    Attempt("Python child writes outside", "import subprocess, sys; subprocess.run([sys.executable,"
            " '-c', 'open(%r, \"w\").write(\"x\")' % {target!r}], check=True)"),
    Attempt("Python child with -I (skips the guard)", "import subprocess, sys; subprocess.run("
            "[sys.executable, '-I', '-c', 'print(1)'], check=True)"),
    Attempt("Python child with a clean environment", "import subprocess, sys; subprocess.run("
            "[sys.executable, '-c', 'print(1)'], env={{}}, check=True)"),
    Attempt("C open() through ctypes", "import ctypes; ctypes.CDLL(None).open"),
    Attempt("busy loop past its CPU limit", "while True: pass",
            CodeLimits(timeout_s=20.0, cpu_s=1.0), expect="cpu"),
    Attempt("allocate 2 GB past a 256 MB limit", "x = bytearray(2 * 1024**3)",
            CodeLimits(memory_mb=256), expect="memory"),
    Attempt("sleep past its time limit, with a child", "import subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
            "time.sleep(60)", CodeLimits(timeout_s=1.0), expect="timeout"),
    Attempt("leave a daemon behind (setsid)", "import subprocess, sys\nsubprocess.Popen("
            "[sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
            "print('started')", expect="ok"),
]


def ending(attempt: Attempt, result: CodeResult, target: Path) -> str:
    """How the attempt ended; raises `AssertionError` if it was not the expected way."""
    text = result.stdout + result.stderr
    if attempt.expect == "denied":
        assert DENIED in text, text[-800:]
        assert not target.exists() or target.read_text() == "protected", "target changed"
        return "denied (PermissionError)"
    if attempt.expect == "cpu":
        assert "CPU-time limit" in result.for_model(attempt.limits), result
        return f"stopped at its CPU limit (signal {-(result.exit_code or 0)})"
    if attempt.expect == "memory":
        assert "MemoryError" in result.stderr, result
        return "MemoryError, exit status 1"
    if attempt.expect == "timeout":
        assert result.timed_out
        return f"killed at its time limit ({attempt.limits.timeout_s:g} s)"
    assert result.exit_code == 0, text[-800:]
    assert "KEY" not in result.stdout and "TOKEN" not in result.stdout
    return "ran (allowed)"


async def try_attempt(attempt: Attempt, folder: Path) -> tuple[str, float]:
    """Runs one attempt against a fresh protected file in `folder`."""
    target = folder / "protected.txt"
    target.write_text("protected")
    started = time.perf_counter()
    code = "import os as _os; print('WORKDIR=' + _os.getcwd(), flush=True)\n" + attempt.code
    result = await arun_python(code.format(target=str(target)), attempt.limits)
    how = ending(attempt, result, target)
    seconds = time.perf_counter() - started
    workdir = result.stdout.split("WORKDIR=", 1)[-1].split("\n", 1)[0]
    if workdir:
        left = leftover_processes(f"CREWDESK_SANDBOX_ROOT={workdir}\0".encode())
        assert not left, f"processes left behind: {left}"
    return how, seconds


async def cancel_a_run() -> str:
    """Cancels a run that started a child; both must be gone."""
    token = f"{time.time_ns() % 10**9}.5"
    code = ("import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep({token})'])\ntime.sleep({token})")
    task = asyncio.ensure_future(arun_python(code, CodeLimits(timeout_s=60)))
    await asyncio.sleep(1.0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.3)
    left = leftover_processes(f"time.sleep({token})".encode())
    assert not left, f"processes left behind: {left}"
    return "cancelled after 1 s; processes left: 0"


def leftover_processes(token: bytes) -> list[int]:
    """Processes alive with `token` in their environment or command line."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            seen = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if token in seen:
            found.append(int(entry.name))
    return found

