"""A run the network cut off (a dropped stream, a refused connection, no answer in time) is
kept "failed" with stop reason "network" and offered for resuming at the next start, like an
interrupted one; resuming asks the model only for the tasks left (the simulator's request
count); a run that failed for another reason (a refused key) is not offered."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.storage.forks import is_offered, resume_offers, set_stop_reason
from desktop_app.storage.history import HistoryDB
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.stop_reasons import NETWORK, failure_stop_reason, status_text
from tests.cli_support import fast_simulator, history_runs, prompts, run_cli, three_step_crew

DROPPING = "openai/sim:drop_after=3"
REFUSED_KEY = "openai/sim:status=401"


def _stop_reason(run_id: str) -> str | None:
    with HistoryDB(AppPaths.from_env().history_db) as db:
        row = db.connection.execute(
            "SELECT stop_reason FROM runs WHERE id = ?", (run_id,)).fetchone()
    return None if row[0] is None else str(row[0])


def _offered() -> list[str]:
    with HistoryDB(AppPaths.from_env().history_db) as db:
        return [offer.run_id for offer in resume_offers(db)]


def test_only_the_network_kinds_are_a_network_stop() -> None:
    for kind in ("connection", "timeout", "stream_dropped"):
        assert failure_stop_reason(kind) == NETWORK
    for other in ("auth", "rate_limit", "server", "bad_request", "malformed", None):
        assert failure_stop_reason(other) is None
    assert status_text("failed", NETWORK) == "cut off by the network"  # History's status
    assert status_text("failed", "resumed") == "failed"  # decided: a plain failure again


def test_a_run_failed_for_the_network_is_offered_until_decided(tmp_path: Path) -> None:
    snapshot = {"tasks": [{"description": "one"}, {"description": "two"}]}
    with HistoryDB(tmp_path / "h.db") as db:
        cut = db.start_run("Crew", crew_snapshot=snapshot, inputs={})
        db.record_task_output(cut, 0, raw="kept", agent="A")
        db.finish_run(cut, "failed", error="the stream was cut off")
        set_stop_reason(db, cut, NETWORK)
        other = db.start_run("Crew", crew_snapshot=snapshot, inputs={})
        db.finish_run(other, "failed", error="the key was refused")
        [offer] = resume_offers(db)
        assert (offer.run_id, offer.finished_tasks, offer.task_count) == (cut, 1, 2)
        assert is_offered(db, cut) and not is_offered(db, other)
        set_stop_reason(db, cut, "discarded")
        assert resume_offers(db) == [] and not is_offered(db, cut)


def test_a_stream_dropped_after_task_1_is_offered_and_resumes_only_the_tasks_left(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    crew = str(three_step_crew(tmp_path, DROPPING))
    with fast_simulator() as sim:
        code, err = run_cli(capsys, crew, "--base-url", sim.base_url, "--quiet",
                            "--inputs", '{"topic": "tides"}')
        assert code != 0 and "cut off" in err, err
        [cut] = history_runs()
        assert cut.status == "failed" and _stop_reason(cut.run_id) == NETWORK
        assert [o.task_index for o in cut.task_outputs] == [0]
        assert _offered() == [cut.run_id]  # the next start offers it
        before = len(sim.stats.requests)
        # The network is back: the writer's model answers in full again.
        code, err = run_cli(capsys, crew, "--base-url", sim.base_url, "--model", "openai/sim",
                            "--quiet", "--resume", cut.run_id)
        assert code == 0, err
        asked = prompts(sim, before)
    assert len(asked) == 2  # tasks 2 and 3; task 1 is not asked again
    assert "Draft a note on tides" in asked[0] and "Polish the note on tides" in asked[1]
    resumed = next(r for r in history_runs() if r.run_id != cut.run_id)
    assert resumed.status == "finished"
    assert resumed.task_outputs[0].raw == cut.task_outputs[0].raw
    assert _stop_reason(cut.run_id) == "resumed" and _offered() == []


def test_a_run_whose_key_was_refused_is_not_offered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    crew = str(three_step_crew(tmp_path, REFUSED_KEY))
    with fast_simulator() as sim:
        code, err = run_cli(capsys, crew, "--base-url", sim.base_url, "--quiet",
                            "--inputs", '{"topic": "tides"}')
    assert code != 0 and "refused" in err, err
    [failed] = history_runs()
    assert failed.status == "failed" and [o.task_index for o in failed.task_outputs] == [0]
    assert _stop_reason(failed.run_id) is None
    assert _offered() == []
