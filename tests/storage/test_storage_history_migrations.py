"""Run history schema migrations through PRAGMA user_version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop_app.storage._history_schema import MIGRATIONS
from desktop_app.storage.history import HistoryDB, HistoryVersionError


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _add_tags(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'")


def _broken(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE half_done (x)")
    raise RuntimeError("step failed")


def test_new_file_gets_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryDB(path).close()

    assert _user_version(path) == len(MIGRATIONS) == 2


def test_pending_steps_run_and_keep_the_data(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryDB(path) as old:
        run_id = old.start_run("c", inputs={"a": 1})
        old.append_text(run_id, 0, "text")

    with HistoryDB(path, migrations=(*MIGRATIONS, _add_tags)) as new:
        record = new.get_run(run_id)

    assert _user_version(path) == len(MIGRATIONS) + 1
    assert record is not None
    assert record.task_text == {0: "text"}
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT tags FROM runs").fetchone()[0] == "[]"
    conn.close()


def test_a_failing_step_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryDB(path).close()

    with pytest.raises(RuntimeError, match="step failed"):
        HistoryDB(path, migrations=(*MIGRATIONS, _broken))

    assert _user_version(path) == len(MIGRATIONS)
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "half_done" not in tables
    HistoryDB(path).close()  # still opens with the released schema


def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryDB(path, migrations=(*MIGRATIONS, _add_tags)).close()
    before = path.read_bytes()

    with pytest.raises(HistoryVersionError, match="newer"):
        HistoryDB(path)

    assert path.read_bytes() == before


def test_a_version_1_history_gains_forks_budget_stops_and_traces_keeping_its_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryDB(path, migrations=MIGRATIONS[:1]) as old:
        run_id = old.start_run("c", inputs={"a": 1})
        old.append_text(run_id, 0, "text")
    assert _user_version(path) == 1

    with HistoryDB(path) as new:
        record = new.get_run(run_id)

    assert _user_version(path) == 2
    assert record is not None and record.task_text == {0: "text"}
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT parent_run_id, fork_task_index, stop_reason FROM runs").fetchone()
    assert row == (None, None, None)
    assert conn.execute("SELECT count(*) FROM trace_spans").fetchone()[0] == 0
    conn.close()
