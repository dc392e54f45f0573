"""`@persist` and resuming a flow by its state id, across processes.

A flow saves its state after each step into the data folder's SQLite file; its process is
killed in the middle of a step, and a new process resumes it with `kickoff(inputs={"id": ...})`
(CrewAI's way): the saved state comes back and the steps skip what is done.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from desktop_app.engine.flow import Flow, SQLiteFlowPersistence, listen, persist, start

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = '''
import sys, time
from pathlib import Path
from desktop_app.engine.flow import Flow, listen, persist, start

marker = Path(sys.argv[1])


@persist()
class Resumable(Flow):
    @start()
    def fetch(self):
        if not self.state.get("fetched"):
            self.state["fetched"] = True
            self.state["fetch_runs"] = self.state.get("fetch_runs", 0) + 1
        return "fetched"

    @listen(fetch)
    def write(self):
        if not self.state.get("resumed"):
            marker.write_text(self.flow_id)
            time.sleep(60)
        return f"written after {self.state['fetch_runs']} fetch, id {self.flow_id}"


inputs = {"id": sys.argv[2], "resumed": True} if len(sys.argv) > 2 else {}
print(Resumable().kickoff(inputs=inputs))
'''


def _run(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "resumable.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "CREWDESK_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(script), *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_killed_flow_resumes_from_its_saved_state_in_a_new_process(tmp_path: Path) -> None:
    marker = tmp_path / "writing"
    first = _run(tmp_path, str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the flow never reached its second step"
        time.sleep(0.05)
    state_id = marker.read_text(encoding="utf-8")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)  # closes its pipes

    database = tmp_path / "home" / "data" / "flows" / "flow_states.db"
    with sqlite3.connect(database) as conn:
        saved = conn.execute("SELECT flow_uuid, method_name FROM flow_states").fetchall()
    assert saved == [(state_id, "fetch")]

    second = _run(tmp_path, str(marker), state_id)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert out.strip() == f"written after 1 fetch, id {state_id}"


class Counter(BaseModel):
    id: str = ""
    count: int = 0


class Counting(Flow[Counter]):
    @start()
    @persist()
    def bump(self) -> int:
        self.state.count += 1
        return self.state.count

    @listen(bump)
    def unsaved(self) -> None:
        self.state.count += 100


def test_method_persist_saves_after_that_step_and_an_id_restores(tmp_path: Path) -> None:
    backend = SQLiteFlowPersistence(tmp_path / "states.db")
    flow = Counting(persistence=backend)
    flow.kickoff()
    assert flow.state.count == 101
    saved = backend.load_state(flow.flow_id)
    assert saved is not None and saved["count"] == 1

    again = Counting(persistence=backend)
    again.kickoff(inputs={"id": flow.flow_id})
    assert again.flow_id == flow.flow_id and again.state.count == 102


def test_without_persistence_an_id_only_names_the_state() -> None:
    class Plain(Flow[dict[str, Any]]):
        @start()
        def go(self) -> None:
            self.state["went"] = True

    flow = Plain()
    flow.kickoff(inputs={"id": "my-id", "extra": 1})
    assert flow.state == {"id": "my-id", "extra": 1, "went": True}
