"""The code interpreter: a separate process with limits and no secrets."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from desktop_app.engine.code_execution import CodeLimits, arun_python, run_python


@pytest.mark.asyncio
async def test_the_child_gets_no_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    result = await arun_python("import os\nprint(sorted(os.environ.items()))")
    assert result.exit_code == 0
    assert "sk-very-secret" not in result.stdout and "ghp_secret" not in result.stdout
    assert "OPENAI_API_KEY" not in result.stdout


@pytest.mark.asyncio
async def test_the_child_works_in_a_fresh_temp_folder_that_is_removed() -> None:
    result = await arun_python("import os\nopen('out.txt','w').write('x')\nprint(os.getcwd())")
    workdir = Path(result.stdout.strip())
    assert workdir.name.startswith("crewdesk-code-")
    assert not await asyncio.to_thread(workdir.exists)


@pytest.mark.asyncio
async def test_a_run_past_its_time_limit_is_killed_with_its_children() -> None:
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    result = await arun_python(code, CodeLimits(timeout_s=1.0))
    assert result.timed_out
    assert time.monotonic() - started < 10
    assert "time limit" in result.for_model(CodeLimits(timeout_s=1.0))


def test_a_run_past_its_memory_limit_fails_cleanly() -> None:
    result = run_python("x = bytearray(600 * 1024 * 1024)\nprint('allocated')", CodeLimits(memory_mb=256))
    assert result.exit_code not in (0, None)
    assert "MemoryError" in result.stderr
    assert "allocated" not in result.stdout


def test_errors_and_output_go_back_to_the_model() -> None:
    result = run_python("print('before')\n1/0")
    text = result.for_model(CodeLimits())
    assert "before" in text and "ZeroDivisionError" in text and "exited with status 1" in text


@pytest.mark.asyncio
async def test_cancelling_the_run_kills_the_child() -> None:
    import asyncio

    marker = "import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(60)"
    task = asyncio.ensure_future(arun_python(marker, CodeLimits(timeout_s=60)))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _own_code_children() == []


def _own_code_children() -> list[str]:
    """Processes of this test process (not of other sessions) still running model code."""
    return [
        pid for pid in os.listdir("/proc") if pid.isdigit() and _parent(pid) == os.getpid()
        and _cmdline(pid).endswith("main.py") and "crewdesk-code-" in _cmdline(pid)
    ]


def _parent(pid: str) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rpartition(")")[2].split()[1])


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
