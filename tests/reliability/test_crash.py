"""SIGKILL while 20 crews stream: the history survives, every run is there, marked
interrupted, with its text up to at most one second before the kill."""

from __future__ import annotations

from pathlib import Path

from desktop_app.simulator import SimulatorThread
from tests.reliability.crash_harness import kill_while_streaming


def test_a_killed_process_loses_no_run_and_at_most_a_second_of_text(
    sim_thread: SimulatorThread, tmp_path: Path
) -> None:
    outcome = kill_while_streaming(tmp_path / "history.db", sim_thread.base_url)
    print(f"\n{outcome}")
    assert outcome.integrity == "ok"
    assert outcome.runs_started == 20
    assert outcome.runs_lost == 0
    assert outcome.marked_interrupted == 20
    assert outcome.chars_lost == [0] * 20
    assert max(outcome.chars_unsaved) > 0  # the kill did come mid-stream
