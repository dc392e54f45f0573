"""What the history keeps in memory of an ended run: nothing (1,000 runs kept 1,000 of each
of its next-seq counters, `benchmarks/reliability_soak_ui.py`); a late line or span still
takes the seq after the stored ones."""

from __future__ import annotations

from pathlib import Path

from desktop_app.engine.events import TraceSpan
from desktop_app.storage.history import HistoryDB


def _span(run_id: str, n: int) -> TraceSpan:
    return TraceSpan(
        run_id=run_id, span_id=f"{n:016x}", parent_id=None, span_kind="llm", name="openai/sim",
        task_index=0, task_name="brief", agent_role="Writer", started_at=1_700_000_000.0 + n,
        duration_s=0.25, input_tokens=10, output_tokens=5, cost_usd=None, status="ok",
        detail={"answer": f"answer {n}"},
    )


def test_an_ended_run_leaves_no_counters_and_late_writes_continue_its_order(
    tmp_path: Path,
) -> None:
    with HistoryDB(tmp_path / "h.sqlite3") as db:
        runs = [db.start_run(f"crew {n}") for n in range(3)]
        for run_id in runs:
            db.append_text(run_id, 0, "first ")
            db.append_span(_span(run_id, 0))
            db.finish_run(run_id, "finished", final_output="done")
        counters = (db._next_seq, db._spans.next_seq)  # noqa: SLF001 - what this test is about
        assert not any(run_id in counter for counter in counters for run_id in runs)
        db.append_text(runs[0], 0, "late")
        db.append_span(_span(runs[0], 1))
        db.flush()
        assert [record.seq for record in db.trace(runs[0])] == [0, 1]
        record = db.get_run(runs[0])
        assert record is not None
        assert record.task_text[0] == "first late"
