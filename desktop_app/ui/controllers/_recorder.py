"""Writing one run to the run history, without ever letting a history failure stop the run.

Every write is logged and swallowed on failure: the history is a record, and a broken
database must not take the user's running crews down with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from desktop_app.storage.history import RunHistory
from desktop_app.storage.stop_reasons import failure_stop_reason, record_stop_reason
from desktop_app.ui.controllers.run_state import RunState, RunStatus

if TYPE_CHECKING:
    from desktop_app.engine.events import TraceSpan

__all__ = ["RunRecorder"]

log = logging.getLogger(__name__)

_HISTORY_STATUS: dict[RunStatus, Literal["finished", "failed", "cancelled"]] = {
    RunStatus.DONE: "finished",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}


class RunRecorder:
    """Writes one run's start, streamed text, trace spans, task outputs and end to the
    history."""

    def __init__(self, history: RunHistory, state: RunState) -> None:
        """Creates a recorder.

        Args:
            history: The run history.
            state: The run (its `run_id` is the history's run id).
        """
        self._history = history
        self._state = state
        self._started = False

    async def start(self, snapshot: Mapping[str, Any]) -> None:
        """Records the run as queued, with its crew snapshot, inputs and mode."""
        state = self._state
        try:
            await self._history.start_run(
                state.crew_name, run_id=state.run_id, crew_snapshot=snapshot,
                inputs=state.inputs, mode=state.mode, status="queued",
            )
        except Exception:
            log.exception("could not record the start of run %s", state.run_id)
            return
        self._started = True

    async def running(self) -> None:
        """Records that the run left the queue."""
        if self._started:
            try:
                await self._history.mark_running(self._state.run_id)
            except Exception:
                log.exception("could not mark run %s as running", self._state.run_id)

    def text(self, task_index: int, text: str, kind: str = "text") -> None:
        """Buffers streamed output (written by the next flush)."""
        if self._started:
            self._history.append_text(self._state.run_id, task_index, text, kind=kind)

    def span(self, span: TraceSpan) -> None:
        """Buffers one span of the run's trace (written by the next flush), under the
        history's id of the run."""
        if self._started:
            self._history.append_span(span, self._state.run_id)

    async def task_output(self, task_index: int, raw: str, name: str | None, agent: str) -> None:
        """Records the final answer of a task."""
        if not self._started:
            return
        try:
            await self._history.record_task_output(
                self._state.run_id, task_index, raw=raw, name=name, agent=agent
            )
        except Exception:
            log.exception("could not record a task output of run %s", self._state.run_id)

    async def finish(
        self, *, final_output: str | None = None, usage: Mapping[str, Any] | None = None,
        error_kind: str | None = None,
    ) -> None:
        """Records how the run ended (the state's status, cost and error); a failed run whose
        model call the network cut off (`error_kind`, an `LLMError` kind) also gets the stop
        reason "network", so the next start offers to resume it."""
        state = self._state
        status = _HISTORY_STATUS.get(state.status)
        if not self._started or status is None:
            return
        reason = failure_stop_reason(error_kind) if status == "failed" else None
        try:
            await self._history.finish_run(
                state.run_id, status, final_output=final_output,
                usage=usage if usage is not None else {"total_tokens": state.total_tokens},
                cost_usd=state.cost_usd, error=state.error or None,
            )
            if reason is not None:
                await record_stop_reason(self._history, state.run_id, reason)
        except Exception:
            log.exception("could not record the end of run %s", state.run_id)
