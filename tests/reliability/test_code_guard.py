"""Code a model wrote: no key, no writes outside its folder, stopped at its limits and when
cancelled, nothing left running (the attempts are in `code_attempts.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.engine.code_execution import CodeLimits, run_python
from tests.reliability.code_attempts import ATTEMPTS, Attempt, cancel_a_run, try_attempt


@pytest.mark.asyncio
@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.name for a in ATTEMPTS])
async def test_each_attempt_ends_as_it_must(
    attempt: Attempt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-reliability-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_reliability")
    await try_attempt(attempt, tmp_path)


@pytest.mark.asyncio
async def test_a_cancelled_run_leaves_no_process() -> None:
    await cancel_a_run()


def test_the_blocking_runner_has_the_same_guard(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    result = run_python(f"open({str(target)!r}, 'w').write('x')", CodeLimits(timeout_s=10))
    assert "does not allow writing" in result.stderr
    assert not target.exists()
    daemon = run_python(
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; "
        "time.sleep(60)'], start_new_session=True)\nprint('started')", CodeLimits(timeout_s=10)
    )
    assert daemon.stdout == "started\n" and not daemon.timed_out
