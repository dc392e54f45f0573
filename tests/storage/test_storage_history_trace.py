"""A run's trace in the history (issue 16): spans written with the buffered writes, read back
in order, kept through a crash, deleted with their run."""

from __future__ import annotations

import signal
import sqlite3
import textwrap
from pathlib import Path

import pytest

from desktop_app.engine.events import TraceSpan
from desktop_app.storage.history import HistoryDB, RunHistory, TraceSpanRecord
from tests.storage.conftest import kill_when_ready


def _span(run_id: str, n: int, kind: str = "llm", parent: str | None = "feedface00000000") -> TraceSpan:
    return TraceSpan(
        run_id=run_id, span_id=f"{n:016x}", parent_id=parent, span_kind=kind, name="openai/sim",
        task_index=0, task_name="brief", agent_role="Writer", started_at=1_700_000_000.0 + n,
        duration_s=0.25, input_tokens=10 + n, output_tokens=5, cost_usd=0.001, status="ok",
        detail={"messages": [{"role": "user", "content": f"question {n} — ünïcode"}],
                "answer": f"answer {n}"},
    )


def test_spans_round_trip_in_the_order_they_were_sent(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        run_id = db.start_run("crew")
        for n in range(3):
            db.append_span(_span(run_id, n))
        db.flush()
        db.append_span(_span(run_id, 3, kind="run", parent=None))  # buffered: trace flushes
        trace = db.trace(run_id)
    assert [record.seq for record in trace] == [0, 1, 2, 3]
    first = trace[0]
    assert isinstance(first, TraceSpanRecord)
    assert (first.span_id, first.parent_id, first.kind, first.name, first.task_index,
            first.agent, first.input_tokens, first.output_tokens, first.cost_usd, first.status) == (
        f"{0:016x}", "feedface00000000", "llm", "openai/sim", 0, "Writer", 10, 5, 0.001, "ok"
    )
    assert first.started_at == 1_700_000_000.0 and first.ended_at == 1_700_000_000.25
    assert first.detail == {
        "messages": [{"role": "user", "content": "question 0 — ünïcode"}], "answer": "answer 0"
    }
    assert trace[3].kind == "run" and trace[3].parent_id is None


def test_spans_of_a_later_flush_continue_the_sequence(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryDB(path) as db:
        run_id = db.start_run("crew")
        db.append_span(_span(run_id, 0))
    with HistoryDB(path) as db:  # a new connection: the next seq comes from the file
        db.append_span(_span(run_id, 1))
        assert [record.span_id for record in db.trace(run_id)] == [f"{0:016x}", f"{1:016x}"]


def test_deleting_a_run_deletes_its_spans_written_or_buffered(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        run_id = db.start_run("crew")
        db.append_span(_span(run_id, 0))
        db.flush()
        db.append_span(_span(run_id, 1))
        assert db.delete_run(run_id)
        assert db.trace(run_id) == []
    with sqlite3.connect(tmp_path / "h.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM trace_spans").fetchone()[0] == 0


def test_a_run_without_a_trace_has_no_spans(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        run_id = db.start_run("crew")
        assert db.trace(run_id) == []
        assert db.trace("no-such-run") == []


@pytest.mark.asyncio
async def test_run_history_buffers_spans_without_blocking(tmp_path: Path) -> None:
    async with RunHistory(tmp_path / "h.sqlite3") as history:
        run_id = await history.start_run("crew")
        for n in range(5):
            history.append_span(_span(run_id, n))
        assert await history.flush() == 0  # no text; the spans went with the same flush
        trace = await history.trace(run_id)
    assert [record.input_tokens for record in trace] == [10, 11, 12, 13, 14]


_WRITER = textwrap.dedent(
    """
    import sys, time
    from desktop_app.engine.events import TraceSpan
    from desktop_app.storage.history import HistoryDB

    def span(n):
        return TraceSpan(run_id="run-1", span_id=f"{n:016x}", parent_id=None, span_kind="llm",
                         name="m", task_index=0, task_name=None, agent_role="A",
                         started_at=float(n), duration_s=1.0, detail={"answer": str(n)})

    db = HistoryDB(sys.argv[1])
    db.start_run("crew", run_id="run-1")
    for n in range(3):
        db.append_span(span(n))
    db.flush()
    db.append_span(span(99))  # never flushed
    print("ready", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_run_keeps_the_spans_written_so_far(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    kill_when_ready(_WRITER, path)
    with HistoryDB(path) as db:
        assert db.mark_interrupted() == 1
        trace = db.trace("run-1")
        record = db.get_run("run-1")
    assert [span.detail["answer"] for span in trace] == ["0", "1", "2"]
    assert record is not None and record.status == "interrupted"


def test_a_span_is_kept_under_the_run_id_it_is_given(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        run_id = db.start_run("crew")
        db.append_span(_span("the-engines-own-id", 0), run_id)  # the app's id, not the engine's
        [record] = db.trace(run_id)
    assert record.run_id == run_id and record.span_id == f"{0:016x}"
