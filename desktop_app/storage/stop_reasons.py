"""Why a run stopped early, kept in the history's `runs.stop_reason` (schema v2).

A run stopped by its budget is recorded with status "cancelled" and stop reason "budget"
(`BUDGET`); the app's History shows it as "stopped by budget" (`status_text`). Forks and
resumes use the same column for decided resume offers (`storage.forks`). A run that failed
because the network cut a model call off (the engine's `NETWORK_KINDS`: no connection, no
answer in time, a broken stream) is recorded with status "failed" and stop reason "network"
(`NETWORK`), and is offered for resuming at the next start like an interrupted one.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop_app.storage._history_db import HistoryDB
from desktop_app.storage.forks import set_stop_reason
from desktop_app.storage.history import RunHistory

__all__ = [
    "BUDGET",
    "CUT_OFF_BY_NETWORK",
    "NETWORK",
    "STOPPED_BY_BUDGET",
    "failure_stop_reason",
    "record_stop_reason",
    "status_text",
    "stop_reasons",
]

BUDGET = "budget"
"""The stop reason of a run its budget stopped."""

STOPPED_BY_BUDGET = "stopped by budget"
"""How such a run's status reads."""

NETWORK = "network"
"""The stop reason of a run that failed because the network cut a model call off."""

CUT_OFF_BY_NETWORK = "cut off by the network"
"""How such a run's status reads (until it is resumed or discarded)."""


def failure_stop_reason(error_kind: str | None) -> str | None:
    """The stop reason to record for a run that failed with an `LLMError` of `error_kind`
    (`NETWORK` for a network kind; None for any other failure, which is not offered)."""
    from desktop_app.engine.errors import NETWORK_KINDS

    return NETWORK if error_kind in NETWORK_KINDS else None


def stop_reasons_in(db: HistoryDB, run_ids: Sequence[str]) -> dict[str, str]:
    """The stop reasons of those runs that have one, by run id (one query per 500 ids)."""
    found: dict[str, str] = {}
    ids = list(run_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.connection.execute(
            f"SELECT id, stop_reason FROM runs WHERE stop_reason IS NOT NULL AND id IN ({marks})",
            chunk,
        )
        found.update({str(row[0]): str(row[1]) for row in rows})
    return found


async def record_stop_reason(history: RunHistory, run_id: str, reason: str) -> None:
    """Records why a run stopped (on the history's worker thread).

    Raises:
        UnknownRunError: No such run.
    """
    await history.run_on_db(set_stop_reason, run_id, reason)


async def stop_reasons(history: RunHistory, run_ids: Sequence[str]) -> dict[str, str]:
    """The stop reasons of those runs that have one, by run id."""
    if not run_ids:
        return {}
    return await history.run_on_db(stop_reasons_in, list(run_ids))


def status_text(status: str, stop_reason: str | None) -> str:
    """A run's status as a person reads it: "stopped by budget" for a budget's stop, and
    "cut off by the network" for a network failure not yet resumed or discarded."""
    if status == "cancelled" and stop_reason == BUDGET:
        return STOPPED_BY_BUDGET
    if status == "failed" and stop_reason == NETWORK:
        return CUT_OFF_BY_NETWORK
    return status
