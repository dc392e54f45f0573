"""Trace view open time: a 1,000-call run, from the history file to a painted window.

Run: `QT_QPA_PLATFORM=offscreen uv run python benchmarks/trace_view.py [--calls 1000]`

A run of `--calls` LLM calls (each with a tool call after it, in 10 tasks; every LLM call
keeps a conversation of about 4 KB and its answer, as a real trace does) is written to a
history file. The figure is the time from asking the history for the trace to the Trace
view painted with its first rows (the history's worker thread reads SQLite; the model, the
table and its paint run on the GUI thread), the median of 5 opens, against the 1 s target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desktop_app.engine.events import TraceSpan
from desktop_app.storage.history import HistoryDB, RunHistory
from desktop_app.ui.history._trace import TraceView

TARGET_S = 1.0


def _span(run_id: str, n: int, kind: str, parent: str | None, task: int | None,
          **more: object) -> TraceSpan:
    fields: dict[str, object] = {
        "run_id": run_id, "span_id": f"{n:016x}", "parent_id": parent, "span_kind": kind,
        "name": kind, "task_index": task, "task_name": None, "agent_role": "Analyst",
        "started_at": 1_700_000_000.0 + n * 0.01, "duration_s": 0.008, **more,
    }
    return TraceSpan.model_validate(fields)


def write_run(path: Path, calls: int) -> str:
    """A run of `calls` LLM calls and as many tool calls, in 10 tasks."""
    conversation = [{"role": "system", "content": "You are an analyst. " * 40},
                    {"role": "user", "content": "Summarise the findings. " * 120}]
    with HistoryDB(path) as db:
        run_id = db.start_run("Benchmark")
        tasks, per_task, n = 10, calls // 10, 1
        for task in range(tasks):
            task_id = f"{10_000_000 + task:016x}"
            for _ in range(per_task):
                db.append_span(_span(run_id, n, "llm", task_id, task, input_tokens=900,
                                     output_tokens=120, cost_usd=0.0004, detail={
                                         "model": "openai/gpt-4o-mini",
                                         "messages": conversation, "answer": "Done. " * 60}))
                db.append_span(_span(run_id, n + 1, "tool", task_id, task,
                                     detail={"arguments": "{}", "output": "facts " * 50}))
                n += 2
            db.append_span(_span(run_id, 10_000_000 + task, "task", f"{0:016x}", task))
        db.append_span(_span(run_id, 0, "run", None, None))
    return run_id


async def open_once(history: RunHistory, run_id: str, app: QApplication) -> tuple[float, int]:
    """Seconds from asking for the trace to the view painted; and its row count."""
    start = time.perf_counter()
    spans = await history.trace(run_id)
    view = TraceView()
    view.resize(1200, 800)
    view.set_trace(run_id, spans, "Benchmark")
    view.show()
    view.table.viewport().repaint()  # paints the visible rows now
    app.processEvents()  # not inside a qasync loop: this script runs plain asyncio
    elapsed = time.perf_counter() - start
    rows = view.model.rowCount()
    view.close()
    view.deleteLater()
    return elapsed, rows


async def main_async(calls: int, app: QApplication) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite3"
        run_id = write_run(path, calls)
        async with RunHistory(path) as history:
            await open_once(history, run_id, app)  # warm: imports, fonts
            timings, rows = [], 0
            for _ in range(5):
                elapsed, rows = await open_once(history, run_id, app)
                timings.append(elapsed)
    median = statistics.median(timings)
    return {
        "llm_calls": calls,
        "rows": rows,
        "open_s_median": round(median, 3),
        "open_s_all": [round(t, 3) for t in timings],
        "ratio_to_1s_target": round(median / TARGET_S, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    app = QApplication([])
    print(json.dumps(asyncio.run(main_async(args.calls, app)), indent=2))


if __name__ == "__main__":
    main()
