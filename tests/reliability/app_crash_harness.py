"""Kill the desktop app itself (SIGKILL) while 20 crews stream, then look at what it kept.

Shared by `tests/ui/test_app_kill.py` (one kill, then a restart of the real window) and
`benchmarks/reliability_crash_app.py` (ten kills). The app is the real one,
`python -m desktop_app` with Qt offscreen, driven by its autorun hook (`desktop_app/ui/
_autorun.py`): it opens a crew file in the designer, saves it, changes the first agent's role
without saving (the recovery copy is written), and runs the crew 20 times from the dashboard,
each streaming a long answer at 40 tokens/s from the simulator. Every 50 ms it prints the
characters each run has received; about `stream_for` seconds after every run has text it is
killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.documents import AgentSpec, CrewDocument, InputSet, TaskSpec, save_crew
from desktop_app.storage.crew_library import CrewLibrary
from desktop_app.storage.history import RunHistory
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import Settings, SettingsStore

ROOT = Path(__file__).resolve().parents[2]
CREWS = 20
EDITED_ROLE = "Role changed in the designer, not saved"
ORIGINAL_ROLE = "Writer"
START_LIMIT_S = 120.0
"""How long the app may take to start, import litellm and get every run streaming."""


@dataclass
class AppKill:
    """What happened before the kill.

    Attributes:
        home: The app's `CREWDESK_HOME`.
        reports: (time, characters received per run id) as the app printed them.
        killed_at: When SIGKILL was sent (epoch seconds).
        recovery_id: The id the designer keeps its recovery copy under.
        stderr: What the app wrote to stderr.
    """

    home: Path
    reports: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    killed_at: float = 0.0
    recovery_id: str = ""
    stderr: str = ""


@dataclass
class AppCrashOutcome:
    """What one kill cost.

    Attributes:
        integrity: SQLite's `integrity_check` answer after the kill.
        runs_started: Runs the app had started (and reported).
        runs_lost: Of those, runs missing from the history.
        interrupted: Of those, runs the history has as interrupted.
        chars_lost: Per run, characters received by 1 s before the kill but not stored.
        chars_unsaved: Per run, characters received before the kill but not stored.
        recovery_offered: A recovery copy with the unsaved edit is there to offer back.
    """

    integrity: str
    runs_started: int
    runs_lost: int
    interrupted: int
    chars_lost: list[int]
    chars_unsaved: list[int]
    recovery_offered: bool


def prepare_home(home: Path, base_url: str) -> Path:
    """Settings that let 20 runs call the model at once, and the crew file; returns its path."""
    paths = AppPaths.under(home).ensure()
    SettingsStore(paths).save(Settings(concurrency_limit=CREWS + 12))
    agent = AgentSpec(
        key="writer",
        role=ORIGINAL_ROLE,
        goal="Write",
        backstory="Long-winded.",
        llm="openai/sim:tps=40,tokens=4000",
        base_url=base_url,
    )
    task = TaskSpec(
        key="write", description="Write about {n}", expected_output="text", agent="writer"
    )
    doc = CrewDocument(
        name="Kill me",
        agents=[agent],
        tasks=[task],
        input_sets=[InputSet(name="default", values={"n": "tides"})],
    )
    crew_file = home / "kill-me.crew.yaml"
    save_crew(doc, crew_file)
    return crew_file


def kill_app_while_streaming(home: Path, base_url: str, stream_for: float = 2.5) -> AppKill:
    """Starts the app, waits until its 20 runs stream and the edit is kept, streams
    `stream_for` more seconds, and kills it with SIGKILL."""
    crew_file = prepare_home(home, base_url)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CREWDESK_HOME": str(home),
        "CREWDESK_AUTORUN": str(crew_file),
        "CREWDESK_AUTORUN_COUNT": str(CREWS),
        "CREWDESK_AUTORUN_EDIT": EDITED_ROLE,
        "OPENAI_API_KEY": "sk-crash-app-0123456789",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "desktop_app.storage.testing.MemoryKeyring",
    }
    kill = AppKill(home)
    err_path = home / "app-stderr.txt"
    with err_path.open("w", encoding="utf-8") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "desktop_app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        reader = threading.Thread(target=_read_lines, args=(child, kill), daemon=True)
        reader.start()
        try:
            _wait_for(lambda: bool(kill.recovery_id) and _all_streaming(kill), child)
            all_streaming = time.time()
            _wait_for(lambda: time.time() - all_streaming >= stream_for, child)
            kill.killed_at = time.time()
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
            reader.join(5)
            if child.stdout is not None:
                child.stdout.close()
    kill.stderr = err_path.read_text(encoding="utf-8", errors="replace")
    return kill


def _read_lines(child: subprocess.Popen[str], kill: AppKill) -> None:
    import json

    assert child.stdout is not None
    for line in child.stdout:
        key, _, value = line.strip().partition("=")
        if key == "CREWDESK_RUNS":
            data = json.loads(value)
            kill.reports.append((float(data["t"]), dict(data["received"])))
        elif key == "CREWDESK_AUTORUN_EDITED":
            kill.recovery_id = value


def _all_streaming(kill: AppKill) -> bool:
    if not kill.reports:
        return False
    received = kill.reports[-1][1]
    return len(received) == CREWS and all(received.values())


def _wait_for(condition: Callable[[], bool], child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_LIMIT_S
    while not condition():
        if child.poll() is not None:
            raise RuntimeError(f"the app exited early with status {child.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get every run streaming in time")
        time.sleep(0.02)


def _received_at(reports: list[tuple[float, dict[str, int]]], when: float) -> dict[str, int]:
    before = [received for t, received in reports if t <= when]
    return before[-1] if before else {}


async def inspect(kill: AppKill, *, mark_interrupted: bool) -> AppCrashOutcome:
    """Opens what the killed app left as its next start would (after `MainWindow.start` when
    `mark_interrupted` is False, since that marks the runs itself)."""
    paths = AppPaths.under(kill.home)
    at_kill = kill.reports[-1][1]
    second_before = _received_at(kill.reports, kill.killed_at - 1.0)
    async with RunHistory(paths) as history:
        integrity = await history.integrity_check()
        if mark_interrupted:
            await history.mark_interrupted()
        stored: dict[str, int | None] = {}
        interrupted = 0
        for run_id in at_kill:
            record = await history.get_run(run_id)
            stored[run_id] = None if record is None else sum(map(len, record.task_text.values()))
            interrupted += record is not None and record.status == "interrupted"
    kept = {run_id: count or 0 for run_id, count in stored.items()}
    recovered = CrewLibrary(paths).list_recovery()
    return AppCrashOutcome(
        integrity=integrity,
        runs_started=len(at_kill),
        runs_lost=sum(1 for count in stored.values() if count is None),
        interrupted=interrupted,
        chars_lost=[max(0, second_before.get(r, 0) - kept[r]) for r in at_kill],
        chars_unsaved=[max(0, at_kill[r] - kept[r]) for r in at_kill],
        recovery_offered=any(
            entry.id == kill.recovery_id and entry.document.agents[0].role == EDITED_ROLE
            for entry in recovered
        ),
    )
