"""Run history in SQLite: every run's crew, inputs, streamed text, outputs, usage and status.

Two layers:

* `HistoryDB`, the synchronous core. It owns one connection and must be used from one thread
  (the thread that created it), except `append_text`, which only touches an in-memory buffer
  and may be called from any thread. Tests and scripts use it directly.
* `RunHistory`, the async API for the app. Every database call runs on its own single worker
  thread (which also opens the file, lazily), so the event loop, the GUI thread, never waits on
  SQLite.

Durability: the file is in WAL mode with `synchronous=NORMAL`, so a committed write survives
the app being killed. Streamed text is buffered in memory and written as append-only segments
by `flush`, which the app calls about every 0.5 s (`RunHistory.run_autoflush`) and which
`finish_run` calls too: a crash loses at most the text of the last unflushed moment. On the
next start `mark_interrupted` turns every run left queued or running into "interrupted".

Callers never pass secrets: crew snapshots are documents (which name keychain entries, never
keys), and model output does not contain the caller's keys. `desktop_app.storage.audit` lets
tests check that no key reached any file.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from desktop_app.storage import _history_schema as schema
from desktop_app.storage._history_db import (
    INTERRUPTED_MESSAGE,
    HistoryDB,
    HistoryError,
    UnknownRunError,
    new_run_id,
)
from desktop_app.storage._history_records import (
    RunRecord,
    RunStatus,
    RunSummary,
    Segment,
    SegmentBuffer,
    TaskOutputRecord,
)
from desktop_app.storage._history_search import SearchMode
from desktop_app.storage._history_trace import SpanBuffer, SpanLike, TraceSpanRecord
from desktop_app.storage.paths import AppPaths

__all__ = [
    "INTERRUPTED_MESSAGE",
    "HistoryDB",
    "HistoryError",
    "HistoryVersionError",
    "RunHistory",
    "RunRecord",
    "RunStatus",
    "RunSummary",
    "SearchMode",
    "Segment",
    "TaskOutputRecord",
    "TraceSpanRecord",
    "UnknownRunError",
    "new_run_id",
]

HistoryVersionError = schema.HistoryVersionError

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _opened(db: HistoryDB) -> None:
    """Does nothing: calling it through `RunHistory._call` opens the database."""


class RunHistory:
    """The run history for code on the event loop: each call runs on one worker thread.

    Creating it does no I/O; the database is opened on the worker by the first call. Use
    `append_text` (plain, cheap, never blocks) for every streamed chunk, and keep
    `run_autoflush` running (or call `flush`) to write the text about every 0.5 s.
    """

    def __init__(
        self,
        location: AppPaths | Path,
        *,
        search: SearchMode = "auto",
        clock: Callable[[], datetime] | None = None,
        migrations: Sequence[schema.Migration] = schema.MIGRATIONS,
    ) -> None:
        """Prepares the history; nothing is opened yet.

        Args:
            location: The app's folders (their `history_db` is used) or the SQLite file.
            search: See `HistoryDB`.
            clock: Current time (UTC), replaceable in tests.
            migrations: Schema steps (tests add their own).
        """
        self._path = location.history_db if isinstance(location, AppPaths) else Path(location)
        self._buffer = SegmentBuffer()
        self._spans = SpanBuffer()
        options: dict[str, Any] = {
            "search": search, "migrations": migrations, "buffer": self._buffer,
            "spans": self._spans,
        }
        if clock is not None:
            options["clock"] = clock
        self._open_db = functools.partial(HistoryDB, self._path, **options)
        self._db: HistoryDB | None = None  # touched on the worker thread only
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crewdesk-history")
        self._closed = False

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    async def open(self) -> None:
        """Opens the database now (the first call of any method does it otherwise).

        Raises:
            HistoryVersionError: The file comes from a newer CrewDesk.
            HistoryError: The file cannot be opened as a database.
        """
        await self._call(_opened)

    def append_text(self, run_id: str, task_index: int, text: str, *, kind: str = "text") -> None:
        """Buffers streamed text in memory; `flush` writes it. Never blocks the loop.

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

    def append_span(self, span: SpanLike, run_id: str | None = None) -> None:
        """Buffers one trace span of a run (an engine `TraceSpan`) under `run_id` (default:
        the span's own); `flush` writes it with the streamed text. Plain, cheap, never
        blocks the loop."""
        self._spans.append(span, run_id)

    async def trace(self, run_id: str) -> list[TraceSpanRecord]:
        """See `HistoryDB.trace`."""
        return await self._call(HistoryDB.trace, run_id)

    async def flush(self) -> int:
        """Writes the buffered text; returns how many segments were written."""
        return await self._call(HistoryDB.flush)

    async def run_autoflush(self, interval: float = 0.5) -> None:
        """Flushes every `interval` seconds until cancelled. The caller owns the task."""
        while True:
            await asyncio.sleep(interval)
            await self.flush()

    async def start_run(
        self,
        crew_name: str,
        *,
        run_id: str | None = None,
        crew_snapshot: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        mode: str = "akickoff",
        status: Literal["queued", "running"] = "running",
    ) -> str:
        """See `HistoryDB.start_run`."""
        return await self._call(
            HistoryDB.start_run, crew_name, run_id=run_id, crew_snapshot=crew_snapshot,
            inputs=inputs, mode=mode, status=status,
        )

    async def mark_running(self, run_id: str) -> None:
        """See `HistoryDB.mark_running`."""
        await self._call(HistoryDB.mark_running, run_id)

    async def record_task_output(
        self, run_id: str, task_index: int, *, raw: str, name: str | None = None,
        agent: str | None = None,
    ) -> None:
        """See `HistoryDB.record_task_output`."""
        await self._call(
            HistoryDB.record_task_output, run_id, task_index, raw=raw, name=name, agent=agent
        )

    async def finish_run(
        self,
        run_id: str,
        status: Literal["finished", "failed", "cancelled", "interrupted"],
        *,
        final_output: str | None = None,
        usage: Mapping[str, Any] | None = None,
        cost_usd: float | None = None,
        error: str | None = None,
    ) -> None:
        """See `HistoryDB.finish_run`."""
        await self._call(
            HistoryDB.finish_run, run_id, status, final_output=final_output, usage=usage,
            cost_usd=cost_usd, error=error,
        )

    async def mark_interrupted(self, *, error: str = INTERRUPTED_MESSAGE) -> int:
        """See `HistoryDB.mark_interrupted`."""
        return await self._call(HistoryDB.mark_interrupted, error=error)

    async def list_runs(
        self, search: str | None = None, *, limit: int = 100, offset: int = 0,
        status: RunStatus | None = None,
    ) -> list[RunSummary]:
        """See `HistoryDB.list_runs`."""
        return await self._call(
            HistoryDB.list_runs, search, limit=limit, offset=offset, status=status
        )

    async def get_run(self, run_id: str) -> RunRecord | None:
        """See `HistoryDB.get_run`."""
        return await self._call(HistoryDB.get_run, run_id)

    async def delete_run(self, run_id: str) -> bool:
        """See `HistoryDB.delete_run`."""
        return await self._call(HistoryDB.delete_run, run_id)

    async def integrity_check(self) -> str:
        """See `HistoryDB.integrity_check`."""
        return await self._call(HistoryDB.integrity_check)

    async def run_on_db(
        self, work: Callable[Concatenate[HistoryDB, _P], _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """Runs `work(db, ...)` on the worker thread: for the history's own modules
        (`storage.forks`) that add queries without growing this class."""
        return await self._call(work, *args, **kwargs)

    async def close(self) -> None:
        """Writes buffered text, closes the database and stops the worker. Safe to repeat."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._close_on_worker)
        finally:
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> RunHistory:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _close_on_worker(self) -> None:
        if self._db is None and (self._buffer.pending_chars() or len(self._spans)):
            self._worker_db()  # text was appended but the file never opened: keep it
        if self._db is not None:
            self._db.close()
            self._db = None

    def _worker_db(self) -> HistoryDB:
        """The database, opened on first use; runs on the worker thread only."""
        if self._db is None:
            self._db = self._open_db()
        return self._db

    async def _call(
        self,
        method: Callable[Concatenate[HistoryDB, _P], _T],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        if self._closed:
            raise RuntimeError("the run history is closed")
        loop = asyncio.get_running_loop()

        def job() -> _T:
            return method(self._worker_db(), *args, **kwargs)

        return await loop.run_in_executor(self._executor, job)
