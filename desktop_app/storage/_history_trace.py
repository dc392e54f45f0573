"""A run's trace in the run history: the `trace_spans` table (schema v2).

The engine sends a `TraceSpan` event as each step of a run ends. The app (and the CLI)
hand each one to `RunHistory.append_span`, which only puts it in a `SpanBuffer` in memory;
the history's `flush` (every 0.5 s while runs stream, and at a run's end) writes the
buffered spans in one transaction with the streamed text. A crash therefore loses at most
the spans of the last unflushed moment, and streaming never waits on SQLite. The JSON of a
span's detail is made on the history's worker thread, not on the event loop.

`load_trace` reads a run's spans back as `TraceSpanRecord`s in the order they were sent;
their `detail` is parsed only when asked for, so a 1,000-call trace opens quickly.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from pydantic_core import to_json

__all__ = ["SpanBuffer", "SpanLike", "TraceSpanRecord", "load_trace", "write_spans"]

_log = logging.getLogger("desktop_app.storage.history")

_COLUMNS = (
    "run_id, seq, span_id, parent_id, kind, name, task_index, agent, started_at, duration_s, "
    "input_tokens, output_tokens, cost_usd, status, detail"
)


class SpanLike(Protocol):
    """What the history keeps of a span: the fields of the engine's `TraceSpan` event."""

    @property
    def run_id(self) -> str: ...  # noqa: D102 - the fields are the event's
    @property
    def span_id(self) -> str: ...  # noqa: D102
    @property
    def parent_id(self) -> str | None: ...  # noqa: D102
    @property
    def span_kind(self) -> str: ...  # noqa: D102
    @property
    def name(self) -> str: ...  # noqa: D102
    @property
    def task_index(self) -> int | None: ...  # noqa: D102
    @property
    def agent_role(self) -> str | None: ...  # noqa: D102
    @property
    def started_at(self) -> float: ...  # noqa: D102
    @property
    def duration_s(self) -> float: ...  # noqa: D102
    @property
    def input_tokens(self) -> int | None: ...  # noqa: D102
    @property
    def output_tokens(self) -> int | None: ...  # noqa: D102
    @property
    def cost_usd(self) -> float | None: ...  # noqa: D102
    @property
    def status(self) -> str: ...  # noqa: D102
    @property
    def detail(self) -> Mapping[str, Any]: ...  # noqa: D102


@dataclass(frozen=True)
class TraceSpanRecord:
    """One stored span of a run (see `desktop_app.engine.events.TraceSpan`).

    Attributes:
        run_id: The run.
        seq: Its place in the order the spans were sent (children before parents).
        span_id: Its id (16 hex digits).
        parent_id: The span it ran in (None for the run's own span).
        kind: "run", "task", "llm", "tool", "approval", "guardrail", "delegation",
            "memory" or "human_input".
        name: What ran (a model, a tool, a coworker...).
        task_index: The task it belongs to (None for the run's span).
        agent: The agent's role.
        started_at: Unix seconds.
        duration_s: How long it took.
        input_tokens: Tokens sent (LLM calls; the run's total on its span).
        output_tokens: Tokens received.
        cost_usd: Its cost, when known.
        status: "ok", "error", "cancelled" or "refused".
        detail_json: The detail as stored (JSON); `detail` parses it.
    """

    run_id: str
    seq: int
    span_id: str
    parent_id: str | None
    kind: str
    name: str
    task_index: int | None
    agent: str | None
    started_at: float
    duration_s: float
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    status: str
    detail_json: str

    @cached_property
    def detail(self) -> dict[str, Any]:
        """The detail (an LLM call's `messages` and `answer`...), parsed on first use."""
        try:
            value = json.loads(self.detail_json)
        except ValueError:
            return {"error": "the stored detail of this span is damaged"}
        return value if isinstance(value, dict) else {}

    @property
    def ended_at(self) -> float:
        """Unix seconds when the span ended."""
        return self.started_at + self.duration_s


class SpanBuffer:
    """Spans appended while runs stream, until the next flush writes them. Thread-safe."""

    def __init__(self) -> None:
        """Creates an empty buffer."""
        self._lock = threading.Lock()
        self._pending: dict[str, list[SpanLike]] = {}
        self.next_seq: dict[str, int] = {}
        """The next `seq` of each run written through this buffer (`write_spans` keeps it,
        so a flush asks the file only for a run it has not written yet)."""

    def append(self, span: SpanLike, run_id: str | None = None) -> None:
        """Keeps `span` until the next `take`, under `run_id` (default: its own); never
        blocks on I/O."""
        with self._lock:
            self._pending.setdefault(run_id or span.run_id, []).append(span)

    def take(self) -> dict[str, list[SpanLike]]:
        """Everything buffered, by run (the buffer is emptied)."""
        with self._lock:
            taken, self._pending = self._pending, {}
        return taken

    def put_back(self, taken: Mapping[str, Sequence[SpanLike]]) -> None:
        """Returns spans a failed write took, before any appended meanwhile."""
        with self._lock:
            for run_id, spans in taken.items():
                self._pending[run_id] = [*spans, *self._pending.get(run_id, [])]

    def discard(self, run_id: str) -> None:
        """Drops the buffered spans of a deleted run."""
        with self._lock:
            self._pending.pop(run_id, None)
            self.next_seq.pop(run_id, None)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(spans) for spans in self._pending.values())


def _row(run_id: str, span: SpanLike, seq: int) -> tuple[Any, ...]:
    detail = to_json(span.detail, fallback=str).decode()  # 5x faster than json.dumps
    return (
        run_id, seq, span.span_id, span.parent_id, span.span_kind, span.name,
        span.task_index, span.agent_role, span.started_at, span.duration_s, span.input_tokens,
        span.output_tokens, span.cost_usd, span.status, detail,
    )


def write_spans(
    conn: sqlite3.Connection, taken: Mapping[str, Sequence[SpanLike]], known: Iterable[str],
    next_seq: dict[str, int] | None = None,
) -> int:
    """Inserts the taken spans of the runs in `known` (the caller's transaction); spans of
    other runs (deleted, or never recorded) are dropped with a warning.

    Args:
        conn: The history's connection.
        taken: The spans by run (`SpanBuffer.take`).
        known: The runs that are in the file.
        next_seq: The next `seq` of each run, read and updated (`SpanBuffer.next_seq`); a
            run not in it is asked of the file. The caller drops it if the write fails.

    Returns:
        How many spans were written.
    """
    present = set(known)
    seqs = {} if next_seq is None else next_seq
    rows: list[tuple[Any, ...]] = []
    for run_id, spans in taken.items():
        if run_id not in present:
            _log.warning("dropped %d trace spans of unknown run %s", len(spans), run_id)
            continue
        seq = seqs.get(run_id)
        if seq is None:
            seq = int(conn.execute(
                "SELECT coalesce(max(seq) + 1, 0) FROM trace_spans WHERE run_id = ?", (run_id,)
            ).fetchone()[0])
        rows.extend(_row(run_id, span, seq + offset) for offset, span in enumerate(spans))
        seqs[run_id] = seq + len(spans)
    marks = ", ".join("?" * 15)
    conn.executemany(f"INSERT INTO trace_spans ({_COLUMNS}) VALUES ({marks})", rows)
    return len(rows)


def load_trace(conn: sqlite3.Connection, run_id: str) -> list[TraceSpanRecord]:
    """A run's spans in the order they were sent (empty when it has none)."""
    cursor = conn.execute(
        f"SELECT {_COLUMNS} FROM trace_spans WHERE run_id = ? ORDER BY seq", (run_id,)
    )
    return [TraceSpanRecord(*row) for row in cursor]
