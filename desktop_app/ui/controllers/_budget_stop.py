"""A run of the app stopped by its budget: shown and kept as "stopped by budget".

The engine ends such a run with `RunCancelled(reason="budget")` and raises
`BudgetExceededError` (`desktop_app.engine.budget`). The run's panel gets the reason as a
warning line under the text streamed so far, the run ends as cancelled, and the history keeps
its partial output with status "cancelled", stop reason "budget" and the reason as its error
text (so History shows why).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from desktop_app.storage.history import RunHistory
from desktop_app.storage.stop_reasons import BUDGET, record_stop_reason
from desktop_app.ui.controllers._recorder import RunRecorder
from desktop_app.ui.controllers.run_state import RunState, RunStatus

if TYPE_CHECKING:
    from desktop_app.engine.budget import BudgetExceededError

__all__ = ["budget_error", "stop_by_budget"]

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
