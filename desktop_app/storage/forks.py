"""Forks and resumes in the run history: which run a run started from, and what it reuses.

A fork runs a crew again from task N of an earlier run: tasks before N reuse that run's stored
outputs (the engine's `reuse`, no model call), tasks N.. run. A resume is a fork of a run cut
off by a crash or a kill, from its first task without an output. The new run records
`parent_run_id` and `fork_task_index` (0-based), so forks form a tree under the original.

An interrupted run, or a failed one whose stop reason is "network" (the network cut a model
call off, `storage.stop_reasons`), is offered for resuming until decided: deciding (resuming or
discarding it) sets its `stop_reason` to "resumed" or "discarded", and it is not offered again.

The sync functions take a `HistoryDB` (its thread); `RunForks` is their async API for code on
the event loop, run on the history's worker (`RunHistory.run_on_db`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from desktop_app.engine.outputs import TaskOutput
from desktop_app.storage import _history_schema as schema
from desktop_app.storage._history_db import HistoryDB, UnknownRunError
from desktop_app.storage._history_records import RunRecord
from desktop_app.storage.history import RunHistory

__all__ = [
    "ForkError",
    "ForkLink",
    "ResumeOffer",
    "RunForks",
    "first_unfinished_task",
    "fork_links",
    "is_offered",
    "record_fork_origin",
    "resume_offers",
    "reused_outputs",
    "set_fork_origin",
    "set_stop_reason",
    "task_count_of",
]

Decision = Literal["resumed", "discarded"]

log = logging.getLogger(__name__)


class ForkError(ValueError):
    """A run cannot be forked or resumed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class ForkLink:
    """Where a run came from: `parent_run_id`, from task `fork_task_index` (0-based)."""

    run_id: str
    parent_run_id: str
    fork_task_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumeOffer:
    """A run cut off (interrupted, or failed for the network) not yet resumed or discarded.

    Attributes:
        run_id: The run.
        crew_name: Its crew.
        started_at: When it started (UTC).
        inputs: Its inputs.
        task_count: The crew's tasks (from the run's snapshot; 0 when unknown).
        finished_tasks: How many tasks, from the first, have a stored output.
        crew_snapshot: The crew as it was run.
        mode: How it was started ("akickoff", "kickoff_async", "cli akickoff", ...).
    """

    run_id: str
    crew_name: str
    mode: str
    started_at: datetime
    inputs: dict[str, Any]
    task_count: int
    finished_tasks: int
    crew_snapshot: dict[str, Any]


def set_fork_origin(
    db: HistoryDB, run_id: str, parent_run_id: str, fork_task_index: int
) -> None:
    """Records that `run_id` started from task `fork_task_index` of `parent_run_id`.

    Raises:
        UnknownRunError: Either run is not in the history.
    """
    conn = db.connection
    with schema.transaction(conn):
        for wanted in (run_id, parent_run_id):
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (wanted,)).fetchone() is None:
                raise UnknownRunError(wanted)
        conn.execute(
            "UPDATE runs SET parent_run_id = ?, fork_task_index = ? WHERE id = ?",
            (parent_run_id, fork_task_index, run_id),
        )


def fork_links(db: HistoryDB) -> dict[str, ForkLink]:
    """Every run that started from another, by run id (forks are few: one query)."""
    rows = db.connection.execute(
        "SELECT id, parent_run_id, fork_task_index FROM runs WHERE parent_run_id IS NOT NULL"
    )
    return {row[0]: ForkLink(row[0], row[1], int(row[2] or 0)) for row in rows}


def set_stop_reason(db: HistoryDB, run_id: str, reason: str) -> None:
    """Sets a run's `stop_reason` (here: "resumed" or "discarded" for an interrupted run).

    Raises:
        UnknownRunError: No such run.
    """
    conn = db.connection
    with schema.transaction(conn):
        cursor = conn.execute("UPDATE runs SET stop_reason = ? WHERE id = ?", (reason, run_id))
        if cursor.rowcount == 0:
            raise UnknownRunError(run_id)


_OFFERED = (
    "((status = 'interrupted' AND stop_reason IS NULL) "
    "OR (status = 'failed' AND stop_reason = 'network'))"
)
"""The runs offered for resuming (a decision overwrites the stop reason)."""


def is_offered(db: HistoryDB, run_id: str) -> bool:
    """Whether the run is offered for resuming (see `resume_offers`)."""
    row = db.connection.execute(
        f"SELECT 1 FROM runs WHERE id = ? AND {_OFFERED}", (run_id,)
    ).fetchone()
    return row is not None


def resume_offers(db: HistoryDB) -> list[ResumeOffer]:
    """Interrupted runs, and runs that failed because the network cut them off (stop reason
    "network"), not yet resumed or discarded, newest first."""
    conn = db.connection
    rows = conn.execute(
        f"SELECT id FROM runs WHERE {_OFFERED} ORDER BY started_at DESC"
    ).fetchall()
    offers: list[ResumeOffer] = []
    for (run_id,) in rows:
        record = db.get_run(run_id)
        if record is None:
            continue
        offers.append(ResumeOffer(
            run_id=run_id, crew_name=record.crew_name, mode=record.mode,
            started_at=record.started_at,
            inputs=dict(record.inputs), task_count=task_count_of(record.crew_snapshot),
            finished_tasks=first_unfinished_task(record), crew_snapshot=record.crew_snapshot,
        ))
    return offers


def task_count_of(snapshot: Mapping[str, Any]) -> int:
    """How many tasks the crew of a run's snapshot has (0 when it does not say)."""
    tasks = snapshot.get("tasks")
    return len(tasks) if isinstance(tasks, list) else 0


def first_unfinished_task(record: RunRecord) -> int:
    """The index of the first task of the run without a stored output."""
    done = {output.task_index for output in record.task_outputs}
    index = 0
    while index in done:
        index += 1
    return index


def reused_outputs(record: RunRecord, start: int) -> dict[int, TaskOutput]:
    """The stored outputs of tasks 0..start-1 of a run, for the engine's `reuse`.

    A task without an output before one with an output was skipped (a conditional task
    whose condition was false): it is reused empty, as the run had it.

    Raises:
        ForkError: `start` is negative or past the crew's tasks, or a task before it has
            no stored output (the run did not get that far); names the task.
    """
    count = task_count_of(record.crew_snapshot) or len(record.task_outputs) + 1
    if not 0 <= start < count:
        raise ForkError(
            f"cannot start from task {start + 1}: the crew of run {record.run_id} has "
            f"{count} task{'s' if count != 1 else ''}"
        )
    stored = {output.task_index: output for output in record.task_outputs}
    went_past = max(stored, default=-1)  # a gap before it: a conditional task it skipped
    reuse: dict[int, TaskOutput] = {}
    for index in range(start):
        output = stored.get(index)
        if output is None and index < went_past:
            reuse[index] = TaskOutput(description=_task_field(record, index, "description"))
            continue
        if output is None:
            raise ForkError(
                f"cannot start from task {start + 1}: task {index + 1} of run "
                f"{record.run_id} has no stored output"
            )
        reuse[index] = TaskOutput(
            description=_task_field(record, index, "description"), name=output.name,
            raw=output.raw, agent=output.agent or "", json_dict=_json_object(output.raw),
        )
    return reuse


def _task_field(record: RunRecord, index: int, name: str) -> str:
    tasks = record.crew_snapshot.get("tasks")
    if isinstance(tasks, list) and index < len(tasks) and isinstance(tasks[index], dict):
        return str(tasks[index].get(name) or "")
    return ""


def _json_object(raw: str) -> dict[str, Any] | None:
    """The answer as a JSON object when it is one (a structured task's output), else None."""
    text = raw.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class RunForks:
    """The async API of this module over a `RunHistory` (each call on its worker thread)."""

    def __init__(self, history: RunHistory) -> None:
        """Wraps `history`; does no I/O."""
        self._history = history

    async def set_origin(self, run_id: str, parent_run_id: str, fork_task_index: int) -> None:
        """See `set_fork_origin`."""
        await self._history.run_on_db(set_fork_origin, run_id, parent_run_id, fork_task_index)

    async def links(self) -> dict[str, ForkLink]:
        """See `fork_links`."""
        return await self._history.run_on_db(fork_links)

    async def offers(self) -> list[ResumeOffer]:
        """See `resume_offers`."""
        return await self._history.run_on_db(resume_offers)

    async def decide(self, run_id: str, decision: Decision) -> None:
        """Marks an interrupted run "resumed" or "discarded": it is not offered again."""
        await self._history.run_on_db(set_stop_reason, run_id, decision)

    async def reuse_from(self, run_id: str, start: int) -> tuple[RunRecord, dict[int, TaskOutput]]:
        """The run and its outputs to reuse when starting from task `start`.

        Raises:
            ForkError: No such run, or see `reused_outputs`.
        """
        record = await self._history.get_run(run_id)
        if record is None:
            raise ForkError(f"no run {run_id} in the history")
        return record, reused_outputs(record, start)


async def record_fork_origin(history: RunHistory, run_id: str, fork_of: tuple[str, int]) -> None:
    """Records where a run of the app came from, and marks a resumed run "resumed" (its
    offer is not made again). A history that cannot write it is logged: the run goes on."""
    parent_run_id, start = fork_of
    forks = RunForks(history)
    try:
        await forks.set_origin(run_id, parent_run_id, start)
        if await history.run_on_db(is_offered, parent_run_id):
            await forks.decide(parent_run_id, "resumed")
    except Exception:
        log.exception("could not record that run %s was forked from %s", run_id, parent_run_id)
