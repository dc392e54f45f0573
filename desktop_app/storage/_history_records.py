"""Value types of the run history, and the in-memory buffer of streamed text.

Public names are re-exported by `desktop_app.storage.history`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

RunStatus: TypeAlias = Literal[
    "queued", "running", "finished", "failed", "cancelled", "interrupted"
]
"""Where a run stands. `interrupted`: the app stopped before the run ended."""

ACTIVE_STATUSES: frozenset[str] = frozenset({"queued", "running"})
TERMINAL_STATUSES: frozenset[str] = frozenset({"finished", "failed", "cancelled", "interrupted"})


@dataclass(frozen=True, slots=True)
class TaskOutputRecord:
    """The final answer of one task of a run.

    Attributes:
        task_index: Position of the task in the crew, from 0.
        name: The task's name, if it has one.
        agent: The role of the agent that did it.
        raw: The answer.
    """

    task_index: int
    name: str | None
    agent: str | None
    raw: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of streamed output of one task, as stored (consecutive pieces merged).

    Attributes:
        task_index: The task that produced it.
        kind: "text" for model text; other kinds (a tool call, say) are the caller's choice.
        text: The content.
    """

    task_index: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """One line of the history list.

    Attributes:
        run_id: The run's identifier.
        crew_name: The crew's name at the time of the run.
        mode: How it was started ("akickoff", "kickoff_async", ...).
        status: Where it stands.
        started_at: When it was started (UTC).
        finished_at: When it ended (UTC); None while running or when interrupted.
        inputs: The values given to kickoff.
        usage: Token counts, as the caller recorded them.
        cost_usd: Cost in US dollars, when known.
        error: A message for the user when the run failed or was interrupted.
        output_preview: The start of the final output.
    """

    run_id: str
    crew_name: str
    mode: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    inputs: dict[str, Any]
    usage: dict[str, Any] | None
    cost_usd: float | None
    error: str | None
    output_preview: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord(RunSummary):
    """Everything kept about one run.

    Attributes:
        crew_snapshot: The crew document as it was run (a dict, without keys).
        final_output: The crew's final answer, when it finished.
        task_outputs: Final answers per task, by task order.
        segments: The streamed output in order, consecutive pieces of one kind merged.
        task_text: The streamed model text ("text" segments) of each task, by task index.
    """

    crew_snapshot: dict[str, Any] = field(default_factory=dict)
    final_output: str | None = None
    task_outputs: list[TaskOutputRecord] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    task_text: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class PendingSegment:
    """Text appended but not yet written: pieces of one run, task and kind, in order."""

    task_index: int
    kind: str
    parts: list[str]


class SegmentBuffer:
    """Streamed text waiting to be written, per run. Safe to use from any thread."""

    def __init__(self) -> None:
        """Creates an empty buffer."""
        self._lock = threading.Lock()
        self._runs: dict[str, list[PendingSegment]] = {}

    def append(self, run_id: str, task_index: int, kind: str, text: str) -> None:
        """Adds text, merging it with the run's last piece when task and kind match."""
        if not text:
            return
        with self._lock:
            pending = self._runs.setdefault(run_id, [])
            if pending and pending[-1].task_index == task_index and pending[-1].kind == kind:
                pending[-1].parts.append(text)
            else:
                pending.append(PendingSegment(task_index, kind, [text]))

    def take(self) -> dict[str, list[PendingSegment]]:
        """Removes and returns everything buffered."""
        with self._lock:
            taken, self._runs = self._runs, {}
        return taken

    def put_back(self, taken: dict[str, list[PendingSegment]]) -> None:
        """Returns what `take` removed (a write failed) ahead of what came since."""
        with self._lock:
            for run_id, pending in taken.items():
                self._runs[run_id] = pending + self._runs.get(run_id, [])

    def discard(self, run_id: str) -> None:
        """Drops the buffered text of one run."""
        with self._lock:
            self._runs.pop(run_id, None)

    def pending_chars(self) -> int:
        """How many characters wait to be written."""
        with self._lock:
            return sum(len(part) for runs in self._runs.values() for s in runs for part in s.parts)
