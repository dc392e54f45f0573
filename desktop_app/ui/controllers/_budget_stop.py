"""Budgets in the app: a for-each batch's shared budget, and a run stopped by its budget,
shown and kept as "stopped by budget".

A batch of the dashboard (one run per row of its table) is started inside
`BatchBudgets.batch(document)`: its runs share one `BudgetMeter` of the crew's
`settings.batch_budget`, set on each run's crew once it is built (`apply`).

The engine ends such a run with `RunCancelled(reason="budget")` and raises
`BudgetExceededError` (`desktop_app.engine.budget`). The run's panel gets the reason as a
warning line under the text streamed so far, the run ends as cancelled, and the history keeps
its partial output with status "cancelled", stop reason "budget" and the reason as its error
text (so History shows why).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from desktop_app.storage.history import RunHistory
from desktop_app.storage.stop_reasons import BUDGET, record_stop_reason
from desktop_app.ui.controllers._recorder import RunRecorder
from desktop_app.ui.controllers.run_state import RunState, RunStatus

if TYPE_CHECKING:
    from desktop_app.documents.model import CrewDocument
    from desktop_app.engine import Crew
    from desktop_app.engine.budget import BudgetExceededError, BudgetMeter

__all__ = ["BatchBudgets", "budget_error", "stop_by_budget"]

log = logging.getLogger(__name__)


def budget_error() -> type[BudgetExceededError]:
    """The engine's `BudgetExceededError`, imported when a run ends with an error (the
    engine loads after the window shows: `AppServices.load_engine`)."""
    from desktop_app.engine.budget import BudgetExceededError

    return BudgetExceededError


async def stop_by_budget(
    state: RunState, recorder: RunRecorder, history: RunHistory, exc: BudgetExceededError
) -> None:
    """Ends `state` as stopped by its budget, in its panel and in the history."""
    message = str(exc)
    state.warn(message)
    recorder.text(max(exc.task_index or 0, 0), message + "\n", "warning")
    state.error = message  # the history's error text: why it stopped
    state.set_status(RunStatus.CANCELLED)
    output = exc.output
    await recorder.finish(final_output=output.raw or None,
                          usage=output.token_usage.model_dump())
    try:
        await record_stop_reason(history, state.run_id, BUDGET)
    except Exception:  # a history failure never breaks the app (see `_recorder`)
        log.exception("could not record the stop reason of run %s", state.run_id)


class BatchBudgets:
    """The shared budget meters of the dashboard's for-each batches, by run id."""

    def __init__(self) -> None:
        self._current: BudgetMeter | None = None
        self._by_run: dict[str, Any] = {}

    @contextmanager
    def batch(self, document: CrewDocument) -> Iterator[None]:
        """The runs started meanwhile are one batch of `document` (its `batch_budget`)."""
        spec = document.settings.batch_budget
        if spec is not None and not spec.is_empty():
            from desktop_app.engine import Budget, BudgetMeter

            self._current = BudgetMeter(Budget(spec.dollars, spec.tokens, spec.minutes))
        try:
            yield
        finally:
            self._current = None

    def started(self, run_id: str) -> None:
        """A run started: it belongs to the batch being started, if any."""
        if self._current is not None:
            self._by_run[run_id] = self._current

    def apply(self, run_id: str, crew: Crew) -> None:
        """Gives the run's crew its batch's meter (no batch: the crew's own budgets stay)."""
        meter = self._by_run.pop(run_id, None)
        if meter is not None:
            crew.set_budget(crew.budget_plan().per_run, per_batch=meter)
