"""HistoryDB on a real SQLite file: runs, streamed text, search, deletion, integrity."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_app.storage._history_schema import MIGRATIONS
from desktop_app.storage.history import (
    HistoryDB,
    HistoryError,
    RunRecord,
    SearchMode,
    Segment,
    TaskOutputRecord,
    UnknownRunError,
)


class _Clock:
    """A clock that moves one second per reading, so runs sort by start."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["auto", "like"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryDB]:
    mode: SearchMode = request.param
    with HistoryDB(tmp_path / "history.sqlite3", search=mode, clock=_Clock()) as history:
        assert history.uses_fts == (mode == "auto")
        yield history


def _get(db: HistoryDB, run_id: str) -> RunRecord:
    record = db.get_run(run_id)
    assert record is not None
    return record


def test_a_run_from_start_to_finish(db: HistoryDB) -> None:
    snapshot = {"schema_version": 1, "name": "Writers", "agents": [{"role": "Writer"}]}
    run_id = db.start_run(
        "Writers", run_id="run-1", crew_snapshot=snapshot, inputs={"topic": "tides"},
        mode="kickoff_async",
    )
    for piece in ("Tides ", "are ", "caused "):
        db.append_text(run_id, 0, piece)
    db.append_text(run_id, 0, '{"q": "moon"}', kind="tool_call")
    db.append_text(run_id, 0, "by the moon.")
    db.record_task_output(run_id, 0, raw="Tides are caused by the moon.", name="research",
                          agent="Researcher")
    db.append_text(run_id, 1, "Poem.")
    db.finish_run(run_id, "finished", final_output="Poem.", usage={"total_tokens": 42},
                  cost_usd=0.0012)

    record = _get(db, "run-1")

    assert record.status == "finished"
    assert record.crew_name == "Writers"
    assert record.crew_snapshot == snapshot
    assert record.inputs == {"topic": "tides"}
    assert record.mode == "kickoff_async"
    assert record.usage == {"total_tokens": 42}
    assert record.cost_usd == pytest.approx(0.0012)
    assert record.final_output == "Poem."
    assert record.output_preview == "Poem."
    assert record.error is None
    assert record.finished_at is not None
    assert record.finished_at > record.started_at
    assert record.task_outputs == [
        TaskOutputRecord(0, "research", "Researcher", "Tides are caused by the moon.")
    ]
    assert record.task_text == {0: "Tides are caused by the moon.", 1: "Poem."}
    assert record.segments == [
        Segment(0, "text", "Tides are caused "),
        Segment(0, "tool_call", '{"q": "moon"}'),
        Segment(0, "text", "by the moon."),
        Segment(1, "text", "Poem."),
    ]


def test_appends_are_coalesced_into_few_segments(db: HistoryDB) -> None:
    run_id = db.start_run("c")
    for i in range(1000):
        db.append_text(run_id, 0, f"{i} ")

    assert db.pending_chars() == sum(len(f"{i} ") for i in range(1000))
    assert db.flush() == 1
    assert db.flush() == 0
    db.append_text(run_id, 0, "more")
    assert db.flush() == 1

    assert _get(db, run_id).task_text[0].endswith("998 999 more")


def test_generated_ids_are_unique_and_taken_ids_refused(db: HistoryDB) -> None:
    first, second = db.start_run("a"), db.start_run("a")

    assert first != second
    with pytest.raises(ValueError, match="already exists"):
        db.start_run("a", run_id=first)


def test_statuses_are_checked(db: HistoryDB) -> None:
    run_id = db.start_run("c", status="queued")
    assert _get(db, run_id).status == "queued"
    db.mark_running(run_id)
    assert _get(db, run_id).status == "running"

    with pytest.raises(ValueError, match="does not end a run"):
        db.finish_run(run_id, "running")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="starts queued or running"):
        db.start_run("c", status="finished")  # type: ignore[arg-type]
    with pytest.raises(UnknownRunError):
        db.finish_run("nope", "failed")
    with pytest.raises(UnknownRunError):
        db.record_task_output("nope", 0, raw="x")


def test_failed_run_keeps_partial_text(db: HistoryDB) -> None:
    run_id = db.start_run("c")
    db.append_text(run_id, 0, "half an ans")
    db.finish_run(run_id, "failed", error="the key for OpenAI was refused")

    record = _get(db, run_id)

    assert record.status == "failed"
    assert record.error == "the key for OpenAI was refused"
    assert record.task_text == {0: "half an ans"}


def test_mark_interrupted(db: HistoryDB) -> None:
    running = db.start_run("a")
    queued = db.start_run("b", status="queued")
    done = db.start_run("c")
    db.finish_run(done, "finished", final_output="ok")
    db.append_text(running, 0, "unflushed")

    assert db.mark_interrupted() == 2
    assert db.mark_interrupted() == 0

    assert _get(db, running).status == "interrupted"
    assert _get(db, running).task_text == {0: "unflushed"}
    assert _get(db, running).error == "CrewDesk stopped before this run ended."
    assert _get(db, queued).status == "interrupted"
    assert _get(db, done).status == "finished"


def test_list_is_newest_first_with_paging_and_status(db: HistoryDB) -> None:
    ids = [db.start_run(f"crew {i}") for i in range(5)]
    db.finish_run(ids[1], "cancelled")

    assert [r.run_id for r in db.list_runs()] == ids[::-1]
    assert [r.run_id for r in db.list_runs(limit=2, offset=1)] == [ids[3], ids[2]]
    assert [r.run_id for r in db.list_runs(status="cancelled")] == [ids[1]]


def test_search_over_name_inputs_and_output(db: HistoryDB) -> None:
    poem = db.start_run("Poets", inputs={"topic": "lighthouses"})
    db.record_task_output(poem, 0, raw="A keeper climbs the stair")
    db.finish_run(poem, "finished", final_output="A keeper climbs the stair")
    cut = db.start_run("Researchers", inputs={"topic": "Ελλάδα"})
    db.append_text(cut, 0, "partial findings about basalt")
    db.finish_run(cut, "cancelled")
    running = db.start_run("Poets again")

    def found(search: str) -> set[str]:
        return {r.run_id for r in db.list_runs(search)}

    assert found("poets") == {poem, running}
    assert found("lighthouse") == {poem}
    assert found("keeper stair") == {poem}
    assert found("keeper basalt") == set()
    assert found("basalt") == {cut}
    assert found("Ελλάδα") == {cut}
    assert found("   ") == {poem, cut, running}
    assert found('"); DROP TABLE runs; --') == set()
    assert found("100%") == set()
    assert len(db.list_runs()) == 3


def test_delete_run(db: HistoryDB) -> None:
    kept, gone = db.start_run("kept"), db.start_run("gone")
    db.append_text(gone, 0, "text")
    db.record_task_output(gone, 0, raw="answer")
    db.finish_run(gone, "finished", final_output="answer")
    db.append_text(gone, 0, "late")

    assert db.delete_run(gone) is True
    assert db.delete_run(gone) is False
    assert db.get_run(gone) is None
    assert [r.run_id for r in db.list_runs("answer")] == []
    assert [r.run_id for r in db.list_runs()] == [kept]
    assert db.flush() == 0


def test_text_of_unknown_runs_is_dropped_with_a_warning(
    db: HistoryDB, caplog: pytest.LogCaptureFixture
) -> None:
    known = db.start_run("c")
    db.append_text("ghost", 0, "boo")
    db.append_text(known, 0, "hi")

    assert db.flush() == 1
    assert "ghost" in caplog.text


def test_integrity_and_pragmas(db: HistoryDB) -> None:
    assert db.integrity_check() == "ok"
    with sqlite3.connect(db.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    other.close()


def test_a_failed_write_keeps_the_text_buffered(
    db: HistoryDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = db.start_run("c")
    db.append_text(run_id, 0, "precious ")

    def fail(*args: object) -> object:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(db, "_segment_rows", fail)
    with pytest.raises(sqlite3.OperationalError):
        db.flush()
    monkeypatch.undo()
    db.append_text(run_id, 0, "words")

    assert db.flush() == 1  # the kept text and the new one merge
    assert _get(db, run_id).task_text == {0: "precious words"}


def test_reopened_database_continues_sequences(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryDB(path) as first:
        run_id = first.start_run("c")
        first.append_text(run_id, 0, "one ")
    with HistoryDB(path) as second:
        second.append_text(run_id, 0, "two")
        second.flush()
        assert _get(second, run_id).task_text == {0: "one two"}


def test_search_index_is_rebuilt_after_like_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryDB(path, search="like") as like:
        run_id = like.start_run("Sailors", inputs={"sea": "Baltic"})
    with HistoryDB(path) as fts:
        assert fts.uses_fts
        assert [r.run_id for r in fts.list_runs("baltic")] == [run_id]


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(HistoryError, match="cannot open"):
        HistoryDB(path)
