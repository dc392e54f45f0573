"""Crash safety: text flushed before a kill is there afterwards; the run shows interrupted."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

from desktop_app.storage.history import HistoryDB
from tests.storage.conftest import kill_when_ready

_WRITER = textwrap.dedent(
    """
    import sys, time
    from desktop_app.storage.history import HistoryDB

    db = HistoryDB(sys.argv[1])
    for n in range(3):
        run_id = db.start_run(f"crew {n}", run_id=f"run-{n}", inputs={"n": n})
        db.append_text(run_id, 0, f"flushed text of run {n}. ")
    db.flush()
    db.append_text("run-0", 0, "NEVER FLUSHED")
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_a_second_connection_sees_flushed_text_without_a_close(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = HistoryDB(path)
    run_id = writer.start_run("c")
    writer.append_text(run_id, 0, "on disk")
    writer.flush()
    writer.append_text(run_id, 0, " only in memory")

    reader = HistoryDB(path)
    try:
        record = reader.get_run(run_id)
        assert record is not None
        assert record.status == "running"
        assert record.task_text == {0: "on disk"}
    finally:
        reader.close()
        writer.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_writer_loses_only_unflushed_text(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    assert kill_when_ready(_WRITER, path) == -signal.SIGKILL
    assert path.with_name(path.name + "-wal").exists()  # the writes were never checkpointed

    with HistoryDB(path) as db:
        assert db.integrity_check() == "ok"
        assert db.mark_interrupted() == 3
        runs = {r.run_id: r for r in db.list_runs()}
        assert set(runs) == {"run-0", "run-1", "run-2"}
        assert {r.status for r in runs.values()} == {"interrupted"}
        record = db.get_run("run-0")
        assert record is not None
        assert record.task_text == {0: "flushed text of run 0. "}
