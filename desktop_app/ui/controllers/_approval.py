"""`ApprovalBroker`: the person's Run / Deny / Always for the side-effecting calls of runs.

Under a crew's approval "ask", the engine awaits the run's approver before a tool call that
runs code, reaches the network, writes a file, reads outside the crew's folder or calls an
MCP tool (`desktop_app.engine.approval`). The broker makes one approver per run: it shows the
request in that run's `RunState` (its panel shows the code or call with Run / Deny / Always)
and waits on an `asyncio.Future` that the broker owns, until `decide()` gives the answer.
Other runs keep streaming meanwhile. Several requests of one run (its async tasks) wait in
order, one shown at a time.

What the state holds is masked first (`mask_secrets`): a key that model-written code names
is never shown. "Always" is also handed to ``on_always`` (the controller saves it into the
crew's settings) before the engine gets it (it then stops asking for the rest of the run).

The approver may be called on the GUI loop (`akickoff`) or on a run's private loop in a
worker thread (`kickoff_async`); then the request is handed to the GUI loop, and the worker
waits for the answer from there. `cancel(run_id)` (a stopped or finished run) cancels every
wait of that run, which cancels the run's engine side too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from desktop_app.engine.approval import ApprovalRequest, Decision
from desktop_app.ui.controllers.run_state import RunState

__all__ = ["ApprovalBroker", "masked_request"]

log = logging.getLogger(__name__)

AsyncApprover = Callable[[ApprovalRequest], Awaitable[Decision]]
AlwaysHandler = Callable[[RunState], Awaitable[None]]

DECISIONS: tuple[Decision, ...] = ("run", "deny", "always")


def masked_request(request: ApprovalRequest) -> ApprovalRequest:
    """The request with every key the process knows masked in its texts."""
    from desktop_app.engine import mask_secrets

    return dataclasses.replace(
        request, summary=mask_secrets(request.summary), detail=mask_secrets(request.detail),
        target=mask_secrets(request.target),
    )


@dataclass(slots=True)
class _Waiting:
    request: ApprovalRequest
    answer: asyncio.Future[Decision]


class ApprovalBroker:
    """Owns the approval requests that runs wait on, one queue per run."""

    def __init__(self, on_always: AlwaysHandler | None = None) -> None:
        """Creates a broker with no requests.

        Args:
            on_always: Awaited when the person answers "Always" (saves the crew's setting);
                an error it raises is logged and shown as a warning of the run.
        """
        self._waiting: dict[str, list[_Waiting]] = {}
        self._on_always = on_always

    def approver_for(self, state: RunState) -> AsyncApprover:
        """The approver of one run (make it on the GUI loop)."""
        gui_loop = asyncio.get_running_loop()

        async def approver(request: ApprovalRequest) -> Decision:
            if asyncio.get_running_loop() is gui_loop:
                return await self._ask(state, request)
            handed = asyncio.run_coroutine_threadsafe(self._ask(state, request), gui_loop)
            return await asyncio.wrap_future(handed)

        return approver

    def waiting(self, run_id: str) -> bool:
        """Whether the run waits for a decision."""
        return bool(self._waiting.get(run_id))

    def decide(self, run_id: str, decision: Decision) -> bool:
        """Answers the run's current request; returns whether one waited.

        Raises:
            ValueError: `decision` is not "run", "deny" or "always".
        """
        if decision not in DECISIONS:
            raise ValueError(f"unknown approval decision {decision!r}: use run, deny or always")
        queue = self._waiting.get(run_id)
        if not queue or queue[0].answer.done():
            return False
        queue[0].answer.set_result(decision)
        if decision == "always":  # the calls waiting behind it need no question either
            for waiting in queue[1:]:
                if not waiting.answer.done():
                    waiting.answer.set_result("run")
        return True

    def cancel(self, run_id: str) -> None:
        """Cancels every wait of the run."""
        for waiting in list(self._waiting.get(run_id, ())):
            waiting.answer.cancel()

    def cancel_all(self) -> None:
        """Cancels every wait of every run."""
        for run_id in list(self._waiting):
            self.cancel(run_id)

    async def _ask(self, state: RunState, request: ApprovalRequest) -> Decision:
        waiting = _Waiting(masked_request(request), asyncio.get_running_loop().create_future())
        queue = self._waiting.setdefault(state.run_id, [])
        queue.append(waiting)
        if len(queue) == 1:
            state.ask_approval(waiting.request)
        try:
            decision = await waiting.answer
        finally:
            self._forget(state, waiting)
        if decision == "always":
            await self._always(state)
        return decision

    async def _always(self, state: RunState) -> None:
        if self._on_always is None:
            return
        try:
            await self._on_always(state)
        except Exception as exc:  # noqa: BLE001 - the run goes on; the person is told
            log.warning("could not save 'always' for %s: %s", state.crew_name, exc)
            state.warn(f"Could not save “Always” for {state.crew_name}: {exc}")

    def _forget(self, state: RunState, waiting: _Waiting) -> None:
        queue = self._waiting.get(state.run_id, [])
        was_shown = bool(queue) and queue[0] is waiting
        if waiting in queue:
            queue.remove(waiting)
        if not queue:
            self._waiting.pop(state.run_id, None)
            state.close_approval()
        elif was_shown:
            state.ask_approval(queue[0].request)
