"""Kill a process while 20 crews stream into the run history, then check what was kept.

Shared by `test_crash.py` (one kill) and `benchmarks/reliability_crash.py` (ten).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_app.storage.history import RunHistory

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CrashOutcome:
    """What one kill cost.

    Attributes:
        integrity: SQLite's `integrity_check` answer after the kill.
        runs_started: Runs the process had started.
        runs_lost: Of those, runs missing from the history.
        marked_interrupted: Runs `mark_interrupted` found still running.
        chars_lost: Per run, characters received by 1 s before the kill but not in the history.
        chars_unsaved: Per run, characters received before the kill but not in the history.
    """

    integrity: str
    runs_started: int
    runs_lost: int
    marked_interrupted: int
    chars_lost: list[int]
    chars_unsaved: list[int]


def kill_while_streaming(db: Path, base_url: str, stream_for: float = 2.5) -> CrashOutcome:
    """Starts the child, lets it stream `stream_for` seconds after all 20 runs began, kills
    it with SIGKILL, and compares the history with what the child reported."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_child", str(db), base_url],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    reports: list[tuple[float, dict[str, int]]] = []
    reader = threading.Thread(target=_read_reports, args=(child, reports), daemon=True)
    reader.start()
    try:
        _wait_for(lambda: bool(reports) and _all_streaming(reports[-1][1]), 60.0)
        all_started = time.time()
        _wait_for(lambda: time.time() - all_started >= stream_for, stream_for + 5)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        reader.join(5)
        if child.stdout is not None:
            child.stdout.close()
    return asyncio.run(_inspect(db, reports, killed_at))


def _read_reports(child: subprocess.Popen[str], reports: list[tuple[float, dict[str, int]]]) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        try:
            data = json.loads(line)
        except ValueError:
            continue
        reports.append((float(data["t"]), dict(data["received"])))


def _all_streaming(received: dict[str, int]) -> bool:
    return len(received) == 20 and all(received.values())


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the crash child did not get there in time")
        time.sleep(0.02)


def _received_at(reports: list[tuple[float, dict[str, int]]], when: float) -> dict[str, int]:
    before = [received for t, received in reports if t <= when]
    return before[-1] if before else {}


async def _inspect(
    db: Path, reports: list[tuple[float, dict[str, int]]], killed_at: float
) -> CrashOutcome:
    at_kill = reports[-1][1]
    second_before = _received_at(reports, killed_at - 1.0)
    async with RunHistory(db) as history:
        integrity = await history.integrity_check()
        marked = await history.mark_interrupted()
        stored: dict[str, int | None] = {}
        for run_id in at_kill:
            record = await history.get_run(run_id)
            stored[run_id] = None if record is None else sum(map(len, record.task_text.values()))
    lost_runs = sum(1 for count in stored.values() if count is None)
    kept = {run_id: count or 0 for run_id, count in stored.items()}
    return CrashOutcome(
        integrity=integrity,
        runs_started=len(at_kill),
        runs_lost=lost_runs,
        marked_interrupted=marked,
        chars_lost=[max(0, second_before.get(r, 0) - kept[r]) for r in at_kill],
        chars_unsaved=[max(0, at_kill[r] - kept[r]) for r in at_kill],
    )
