"""The synchronous core of the run history; see `desktop_app.storage.history`."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from desktop_app.storage import _history_schema as schema
from desktop_app.storage._history_records import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    RunRecord,
    RunStatus,
    RunSummary,
    SegmentBuffer,
)
from desktop_app.storage._history_search import (
    SearchMode,
    index_run,
    list_runs,
    load_run,
    rebuild_index,
)
from desktop_app.storage._history_trace import (
    SpanBuffer,
    SpanLike,
    TraceSpanRecord,
    load_trace,
    write_spans,
)
from desktop_app.storage.paths import ensure_dir

_log = logging.getLogger("desktop_app.storage.history")

INTERRUPTED_MESSAGE = "CrewDesk stopped before this run ended."


class HistoryError(RuntimeError):
    """The run history file cannot be opened (damaged, not a database, no access)."""


class UnknownRunError(LookupError):
    """No run has this id."""


def new_run_id() -> str:
    """Returns a fresh run id (a UUID4 string)."""
    return str(uuid.uuid4())


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")


class HistoryDB:
    """The run history database, used from one thread (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        search: SearchMode = "auto",
        clock: Callable[[], datetime] = _utc_now,
        migrations: Sequence[schema.Migration] = schema.MIGRATIONS,
        buffer: SegmentBuffer | None = None,
        spans: SpanBuffer | None = None,
    ) -> None:
        """Opens (creating or migrating) the database file.

        Args:
            path: The SQLite file, usually `AppPaths.history_db`.
            search: "auto" uses FTS5 when SQLite has it; "like" always uses LIKE.
            clock: Current time (UTC), replaceable in tests.
            migrations: Schema steps (tests add their own).
            buffer: Where `append_text` puts text until `flush` (`RunHistory` shares one).
            spans: Where `append_span` puts trace spans until `flush` (shared the same way).

        Raises:
            HistoryVersionError: The file comes from a newer CrewDesk.
            HistoryError: The file cannot be opened as a database.
        """
        ensure_dir(Path(path).parent)
        self._path = Path(path)
        self._clock = clock
        self._buffer = SegmentBuffer() if buffer is None else buffer
        self._spans = SpanBuffer() if spans is None else spans
        self._closed = False
        self._next_seq: dict[str, int] = {}
        self._conn = sqlite3.connect(self._path, isolation_level=None, timeout=10.0)
        try:
            self._configure()
            schema.migrate(self._conn, migrations)
            self._fts = self._prepare_search(search)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise HistoryError(f"cannot open the run history {self._path}: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            _log.warning("run history %s is not in WAL mode (%s)", self._path, mode)
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")

    def _prepare_search(self, search: SearchMode) -> bool:
        if search == "like" or not schema.fts5_available(self._conn):
            if search == "like":
                schema.drop_search_index(self._conn)
            return False
        with schema.transaction(self._conn):
            created = schema.ensure_search_index(self._conn)
            if created or schema.search_index_size(self._conn) != self._count_runs():
                rebuild_index(self._conn)
        return True

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def uses_fts(self) -> bool:
        """True when searches use the FTS5 index, False when they use LIKE."""
        return self._fts

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for the history's own modules (`storage.forks`); this
        thread only."""
        return self._conn

    def close(self) -> None:
        """Writes buffered text and closes the connection. Safe to call twice."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._conn.close()

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start_run(
        self,
        crew_name: str,
        *,
        run_id: str | None = None,
        crew_snapshot: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        mode: str = "akickoff",
        status: Literal["queued", "running"] = "running",
    ) -> str:
        """Records a new run.

        Args:
            crew_name: The crew's name.
            run_id: The engine's run id; a new UUID when None.
            crew_snapshot: The crew document as a dict (never containing keys).
            inputs: The values given to kickoff.
            mode: How the run was started.
            status: "running", or "queued" when it waits for a slot.

        Returns:
            The run id.

        Raises:
            ValueError: The status is not queued/running, or the id is taken.
        """
        if status not in ACTIVE_STATUSES:
            raise ValueError(f"a run starts queued or running, not {status!r}")
        run_id = run_id or new_run_id()
        row = (run_id, crew_name, _dumps(dict(crew_snapshot or {})), _dumps(dict(inputs or {})),
               mode, status, _time(self._clock()))
        try:
            with schema.transaction(self._conn):
                self._conn.execute(
                    "INSERT INTO runs (id, crew_name, crew_snapshot, inputs, mode, status, "
                    "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                if self._fts:
                    index_run(self._conn, run_id)
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"a run with id {run_id!r} already exists") from exc
        self._next_seq[run_id] = 0
        return run_id

    def mark_running(self, run_id: str) -> None:
        """Moves a queued run to running.

        Raises:
            UnknownRunError: No such run.
        """
        with schema.transaction(self._conn):
            self._require(run_id)
            self._conn.execute(
                "UPDATE runs SET status = 'running' WHERE id = ? AND status = 'queued'", (run_id,)
            )

    def append_text(self, run_id: str, task_index: int, text: str, *, kind: str = "text") -> None:
        """Buffers streamed text; `flush` writes it. Safe from any thread, never blocks on I/O.

        Args:
            run_id: The run.
            task_index: The task that produced the text.
            text: The piece of output.
            kind: "text" for model text; e.g. "tool_call" to show a tool call distinctly.
        """
        self._buffer.append(run_id, task_index, kind, text)

    def pending_chars(self) -> int:
        """Characters appended and not yet written."""
        return self._buffer.pending_chars()

    def flush(self) -> int:
        """Writes buffered text as segments, in one transaction.

        Text of runs that are not in the database (deleted, or never started) is dropped with
        a warning. When the write fails the text stays buffered and the error is raised.

        Returns:
            How many segments were written.
        """
        self._flush_spans()
        taken = self._buffer.take()
        if not taken:
            return 0
        try:
            with schema.transaction(self._conn):
                rows, next_seq = self._segment_rows(taken)
                self._conn.executemany(
                    "INSERT INTO segments (run_id, seq, task_index, kind, text) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
        except BaseException:
            self._buffer.put_back(taken)
            raise
        self._next_seq.update(next_seq)
        return len(rows)

    def append_span(self, span: SpanLike, run_id: str | None = None) -> None:
        """Buffers one span of a run's trace (an engine `TraceSpan`) under `run_id` (default:
        the span's own, the engine's id); `flush` writes it with the streamed text. Safe from
        any thread, never blocks on I/O."""
        self._spans.append(span, run_id)

    def trace(self, run_id: str) -> list[TraceSpanRecord]:
        """The run's trace spans, its buffered ones included, in the order they were sent."""
        self.flush()
        return load_trace(self._conn, run_id)

    def _flush_spans(self) -> None:
        """Writes the buffered spans (see `_history_trace`); on failure they stay buffered."""
        taken = self._spans.take()
        if not taken:
            return
        try:
            with schema.transaction(self._conn):
                write_spans(self._conn, taken, self._existing(taken), self._spans.next_seq)
        except BaseException:
            self._spans.next_seq.clear()  # the file did not take them: ask it again
            self._spans.put_back(taken)
            raise

    def _segment_rows(
        self, taken: Mapping[str, Sequence[Any]]
    ) -> tuple[list[tuple[str, int, int, str, str]], dict[str, int]]:
        known = self._existing(taken)
        rows: list[tuple[str, int, int, str, str]] = []
        next_seq: dict[str, int] = {}
        for run_id, pending in taken.items():
            if run_id not in known:
                _log.warning("dropped streamed text of unknown run %s", run_id)
                continue
            seq = self._seq_start(run_id)
            for piece in pending:
                rows.append((run_id, seq, piece.task_index, piece.kind, "".join(piece.parts)))
                seq += 1
            next_seq[run_id] = seq
        return rows, next_seq

    def _seq_start(self, run_id: str) -> int:
        if run_id not in self._next_seq:
            row = self._conn.execute(
                "SELECT coalesce(max(seq) + 1, 0) FROM segments WHERE run_id = ?", (run_id,)
            ).fetchone()
            self._next_seq[run_id] = int(row[0])
        return self._next_seq[run_id]

    def _existing(self, run_ids: Iterable[str]) -> set[str]:
        ids = list(run_ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT id FROM runs WHERE id IN ({marks})"
            found.update(row[0] for row in self._conn.execute(query, chunk))
        return found

    def record_task_output(
        self, run_id: str, task_index: int, *, raw: str, name: str | None = None,
        agent: str | None = None,
    ) -> None:
        """Stores (or replaces) the final answer of one task.

        Raises:
            UnknownRunError: No such run.
        """
        with schema.transaction(self._conn):
            self._require(run_id)
            self._conn.execute(
                "INSERT OR REPLACE INTO task_outputs (run_id, task_index, name, agent, raw) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, task_index, name, agent, raw),
            )

    def finish_run(
        self,
        run_id: str,
        status: Literal["finished", "failed", "cancelled", "interrupted"],
        *,
        final_output: str | None = None,
        usage: Mapping[str, Any] | None = None,
        cost_usd: float | None = None,
        error: str | None = None,
    ) -> None:
        """Closes a run: writes its buffered text, then its outcome.

        Args:
            run_id: The run.
            status: How it ended.
            final_output: The crew's final answer.
            usage: Token counts (e.g. `UsageMetrics.model_dump()`).
            cost_usd: Cost in US dollars, when known.
            error: A message for the user when it failed.

        Raises:
            ValueError: `status` does not end a run.
            UnknownRunError: No such run.
        """
        if status not in TERMINAL_STATUSES:
            raise ValueError(f"{status!r} does not end a run")
        self.flush()
        with schema.transaction(self._conn):
            self._require(run_id)
            self._conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, final_output = ?, usage = ?, "
                "cost_usd = ?, error = ? WHERE id = ?",
                (status, _time(self._clock()), final_output,
                 None if usage is None else _dumps(dict(usage)), cost_usd, error, run_id),
            )
            if self._fts:
                index_run(self._conn, run_id)
        # an ended run's next seqs go (a line or span still to come asks the file)
        self._next_seq.pop(run_id, None)
        self._spans.next_seq.pop(run_id, None)

    def mark_interrupted(self, *, error: str = INTERRUPTED_MESSAGE) -> int:
        """Marks every run still queued or running as interrupted (call it at start-up).

        Returns:
            How many runs were marked.
        """
        self.flush()
        with schema.transaction(self._conn):
            ids = [row[0] for row in self._conn.execute(
                "SELECT id FROM runs WHERE status IN ('queued', 'running')"
            )]
            self._conn.execute(
                "UPDATE runs SET status = 'interrupted', error = coalesce(error, ?) "
                "WHERE status IN ('queued', 'running')",
                (error,),
            )
            if self._fts:
                for run_id in ids:
                    index_run(self._conn, run_id)
        return len(ids)

    def list_runs(
        self, search: str | None = None, *, limit: int = 100, offset: int = 0,
        status: RunStatus | None = None,
    ) -> list[RunSummary]:
        """Lists runs, newest first, optionally filtered.

        Args:
            search: Words that must all appear in the crew name, the inputs or the output
                (prefix match with FTS5; substring match with LIKE). Streamed text of a run
                is searchable once the run has ended.
            limit: At most this many runs.
            offset: Skip this many (paging).
            status: Only runs with this status.
        """
        return list_runs(
            self._conn, search, limit=limit, offset=offset, status=status, fts=self._fts
        )

    def get_run(self, run_id: str) -> RunRecord | None:
        """Returns everything about a run, its buffered text included, or None."""
        self.flush()
        return load_run(self._conn, run_id)

    def delete_run(self, run_id: str) -> bool:
        """Deletes a run with its outputs and text.

        Returns:
            True when the run existed.
        """
        self._buffer.discard(run_id)
        self._spans.discard(run_id)
        with schema.transaction(self._conn):
            row = self._conn.execute("SELECT rowid FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return False
            if self._fts:
                self._conn.execute("DELETE FROM runs_fts WHERE rowid = ?", (row[0],))
            self._conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self._next_seq.pop(run_id, None)
        return True

    def integrity_check(self) -> str:
        """Runs SQLite's integrity check; "ok" when the file is sound."""
        rows = self._conn.execute("PRAGMA integrity_check").fetchall()
        return "\n".join(str(row[0]) for row in rows)

    def _require(self, run_id: str) -> None:
        if self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise UnknownRunError(run_id)

    def _count_runs(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM runs").fetchone()[0])
