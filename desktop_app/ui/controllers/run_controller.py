"""`RunController`: owns the asyncio tasks of the runs and turns engine events into models.

For each run it creates a `RunState` (observed by a panel), waits for a slot under the
concurrency limit (the run shows "queued" meanwhile), builds the crew with keys from the
secret store, consumes the engine's typed event stream, and writes the run to the history.
One failing crew never stops the others: each run is its own task, and every error ends in
that run's state. A task that asks for human input shows its question in the run's state
(its panel shows a prompt) and waits for `answer()`, through the `HumanInputBroker`; stopping
the run cancels the wait. A side-effecting tool call under the crew's approval "ask" waits
the same way for `decide()` (Run / Deny / Always, `CrewApprovals`); decisions are lines of
the run's panel and history.

Every task has an owner: the controller keeps them in a set with a done-callback that
discards them, and `aclose()` cancels them all and waits for them briefly.

The controller forgets a run once it has ended and `runEnded` was emitted: the `RunState` has
no Qt parent, so it lives exactly as long as a view holds it (the dashboard keeps the panels of
the latest runs only), and the run history keeps the rest. A session that runs 1,000 crews
does not keep 1,000 states (see benchmarks/reliability_soak_ui.py).

What a run is asked with is `_run_request`'s `RunRequest`; how its events change its state,
`_run_events`; what a failure says, `_run_errors` (their public names are re-exported here).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, Signal

from desktop_app.storage.forks import record_fork_origin
from desktop_app.ui.controllers._budget_stop import BatchBudgets, budget_error, stop_by_budget
from desktop_app.ui.controllers._crew_approvals import CrewApprovals
from desktop_app.ui.controllers._gate import RunGate
from desktop_app.ui.controllers._human_input import HumanInputBroker
from desktop_app.ui.controllers._project_build import ProjectRun
from desktop_app.ui.controllers._project_folder import ProjectFolders
from desktop_app.ui.controllers._recorder import RunRecorder
from desktop_app.ui.controllers._run_errors import describe_error, error_kind, refused_provider
from desktop_app.ui.controllers._run_events import apply_event as _apply
from desktop_app.ui.controllers._run_events import warn
from desktop_app.ui.controllers._run_request import (
    PROJECT_ID_PREFIX,
    PROJECT_SNAPSHOT_KEY,
    RunMode,
    RunRequest,
    snapshot,
)
from desktop_app.ui.controllers.crew_factory import BuiltCrew, CrewFactory
from desktop_app.ui.controllers.run_state import FrameClock, RunState, RunStatus, reused_line

if TYPE_CHECKING:
    from desktop_app.engine import RunEvent, RunEventStream
    from desktop_app.engine.approval import Decision
    from desktop_app.engine.outputs import CrewOutput
    from desktop_app.ui.services import AppServices

__all__ = [
    "PROJECT_ID_PREFIX",
    "PROJECT_SNAPSHOT_KEY",
    "ProjectRun",
    "RunController",
    "RunMode",
    "RunRequest",
    "describe_error",
    "refused_provider",
]

log = logging.getLogger(__name__)

YIELD_EVERY = 8
"""Events handled before the consumer yields to the loop (FIELD-NOTES: a consumer that never
yields over buffered chunks stalls the UI for hundreds of milliseconds)."""

AUTOFLUSH_INTERVAL = 0.5
"""Seconds between writes of buffered streamed text to the history."""


class RunController(QObject):
    """Starts, tracks and stops the runs of the app.

    Signals:
        runAdded(object): A run was created (its `RunState`).
        runEnded(object): A run reached done, failed or cancelled (its `RunState`).
        activeCountChanged(int): How many runs are queued or running.
        crewSettingsSaved(str): A run's "Always" was saved into this crew's settings (views
            that keep the crew's document read it again).
    """

    runAdded = Signal(object)
    runEnded = Signal(object)
    activeCountChanged = Signal(int)
    crewSettingsSaved = Signal(str)

    def __init__(
        self,
        services: AppServices,
        *,
        factory: CrewFactory | None = None,
        parent: QObject | None = None,
    ) -> None:
        """Creates a controller with no runs.

        Args:
            services: Settings, secrets, history and the simulator.
            factory: Builds crews; one on `services` when None.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._services = services
        self._factory = factory or CrewFactory(services)
        self._gate = RunGate(services.current_settings.concurrency_limit)
        self._clock = FrameClock(self)
        self._inputs = HumanInputBroker()
        self._approvals = CrewApprovals(
            services, saved=self.crewSettingsSaved.emit, project_prefix=PROJECT_ID_PREFIX
        )
        self._folders = ProjectFolders()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._runs: list[RunState] = []
        self._autoflush: asyncio.Task[None] | None = None
        self._closed = False
        self.budgets = BatchBudgets()  # a for-each batch's shared budget (issue 16)

    # -- reading -----------------------------------------------------------------------

    @property
    def runs(self) -> list[RunState]:
        """The runs not yet ended (queued, running, or being recorded), oldest first."""
        return list(self._runs)

    def active_runs(self) -> list[RunState]:
        """Runs that are queued or running."""
        return [state for state in self._runs if not state.status.is_terminal]

    @property
    def gate(self) -> RunGate:
        """The concurrency limit's gate."""
        return self._gate

    # -- commands ----------------------------------------------------------------------

    def start(self, request: RunRequest) -> RunState:
        """Queues a run and returns its state at once (call with the loop running).

        Raises:
            RuntimeError: The controller is closed.
        """
        if self._closed:
            raise RuntimeError("the run controller is closed")
        state = RunState(  # no Qt parent: it lives while the controller or a view holds it
            request.document.name, crew_id=request.crew_id, mode=request.mode,
            inputs=request.inputs, clock=self._clock,
        )
        self._runs.append(state)
        self.budgets.started(state.run_id)
        task = asyncio.ensure_future(self._execute(state, request))
        self._tasks[state.run_id] = task
        task.add_done_callback(functools.partial(self._on_task_done, state.run_id))
        self._ensure_autoflush()
        self.runAdded.emit(state)
        self.activeCountChanged.emit(len(self._tasks))
        return state

    async def run(self, request: RunRequest) -> RunState:
        """Starts a run and waits until it ends; returns its state."""
        state = self.start(request)
        await self.wait(state)
        return state

    async def wait(self, state: RunState) -> None:
        """Waits until the run of `state` has ended (and been recorded)."""
        task = self._tasks.get(state.run_id)
        if task is not None:
            await asyncio.wait([task])

    def stop(self, run_id: str) -> bool:
        """Cancels a queued or running run; returns whether there was one to stop."""
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        task.cancel()
        self._inputs.cancel(run_id)  # a kickoff_async run waits for it in its worker thread
        self._approvals.cancel(run_id)
        return True

    def answer(self, run_id: str, text: str) -> bool:
        """Answers the question the run waits on ("" approves the task's output).

        Returns:
            Whether the run was waiting for an answer.
        """
        return self._inputs.answer(run_id, text)

    def decide(self, run_id: str, decision: Decision) -> bool:
        """Answers the approval the run waits on: "run", "deny" or "always" (run it, and
        every later call of the crew without asking; saved into the crew's settings).

        Returns:
            Whether the run was waiting for an approval.
        """
        return self._approvals.decide(run_id, decision)

    def stop_all(self) -> int:
        """Cancels every queued or running run; returns how many."""
        return sum(self.stop(run_id) for run_id in list(self._tasks))

    def set_concurrency_limit(self, limit: int) -> None:
        """Changes how many runs may call models at once (waiting runs start if allowed)."""
        self._gate.limit = limit

    async def aclose(self, grace: float = 3.0) -> None:
        """Cancels every run, waits up to `grace` seconds for them, then stops the flusher."""
        self._closed = True
        self.stop_all()
        pending = [task for task in self._tasks.values() if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=grace)
        flusher, self._autoflush = self._autoflush, None
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        self._clock.flush_all()

    # -- one run -----------------------------------------------------------------------

    async def _execute(self, state: RunState, request: RunRequest) -> None:
        recorder = RunRecorder(self._services.history, state)
        self._approvals.track(state.run_id, recorder)
        built: BuiltCrew | None = None
        try:
            await recorder.start(snapshot(request))
            if request.fork_of is not None:  # the fork shows under its run in History
                await record_fork_origin(self._services.history, state.run_id, request.fork_of)
            async with self._gate:
                state.set_status(RunStatus.RUNNING)
                await recorder.running()
                await self._services.load_engine()
                built = await self._build(request)
                self.budgets.apply(state.run_id, built.crew)
                built.crew.human_input_handler = self._inputs.handler_for(state)
                self._approvals.attach(built.crew, state, request.document.settings,
                                       self._base_dir(request),
                                       made_by_code=request.project is not None)
                output = await self._stream_in_place(built, state, request, recorder)
            state.set_status(RunStatus.DONE)
            usage = output.token_usage.model_dump()
            await recorder.finish(final_output=output.raw, usage=usage)
        except asyncio.CancelledError:
            state.set_status(RunStatus.CANCELLED)
            await recorder.finish()
        except budget_error() as exc:  # a clean stop: cancelled, "stopped by budget"
            await stop_by_budget(state, recorder, self._services.history, exc)
        except Exception as exc:  # noqa: BLE001 - any error ends this run, and only this one
            message, is_auth = describe_error(exc, built.secrets if built is not None else [])
            log.info("run %s of %s failed: %s", state.run_id, state.crew_name, message)
            provider_id, provider_name = refused_provider(exc, built)
            state.fail(message, is_auth=is_auth, provider_id=provider_id,
                       provider_name=provider_name)
            await recorder.finish(error_kind=error_kind(exc))  # "network": offered again
        finally:
            self._inputs.cancel(state.run_id)
            self._approvals.forget(state.run_id)

    async def _build(self, request: RunRequest) -> BuiltCrew:
        if request.project is not None:
            return await self._factory.build_project(request.project, dry_run=request.dry_run)
        return await self._factory.build(request.document, dry_run=request.dry_run,
                                         base_dir=self._base_dir(request))

    def _base_dir(self, request: RunRequest) -> Path | None:
        """The crew's folder: its project's, else its crew file's (None: none)."""
        if request.project is not None:
            return request.project.project.spec.root
        crew_id = request.crew_id
        if crew_id is not None and crew_id.startswith(PROJECT_ID_PREFIX):
            return Path(crew_id.removeprefix(PROJECT_ID_PREFIX))
        return self._services.library.base_dir_of(crew_id)

    async def _stream_in_place(
        self, built: BuiltCrew, state: RunState, request: RunRequest, recorder: RunRecorder
    ) -> CrewOutput:
        """Streams the run with its project's folder as the working folder (for a project's
        crew) and, in a dry run, its search tools sent to the simulator too."""
        from desktop_app.engine.toolkit.simulated import simulated_services_here

        project = request.project
        lease = await self._folders.enter(project.project.spec.root) if project else None
        try:
            if lease is not None and lease.warning is not None:
                warn(state, recorder, lease.warning, 0)
            root = built.simulator_root
            with simulated_services_here(root) if root else contextlib.nullcontext():
                return await self._stream(built, state, request, recorder)
        finally:
            if lease is not None:
                await self._folders.leave(lease)

    async def _stream(
        self, built: BuiltCrew, state: RunState, request: RunRequest, recorder: RunRecorder
    ) -> CrewOutput:
        stream = built.crew.stream_events(dict(request.inputs), mode=request.mode,
                                          reuse=request.reuse)
        try:
            await self._consume(stream, state, recorder)
            return stream.value()
        finally:
            await stream.aclose()  # cancels the run and closes its HTTP stream if it still goes

    async def _consume(
        self, stream: RunEventStream[CrewOutput], state: RunState, recorder: RunRecorder
    ) -> None:
        events = cast("AsyncGenerator[RunEvent, None]", stream.__aiter__())
        async with contextlib.aclosing(events):
            handled = 0
            async for event in events:
                if event.kind in ("approval_requested", "approval_decided"):
                    self._approvals.show(state, event)
                elif event.kind == "task_finished":
                    output = event.output
                    await recorder.task_output(
                        event.task_index, output.raw, event.task_name, event.agent_role
                    )
                    if event.reused:  # a fork or a resume: shown in the panel only
                        state.add_note(reused_line(event.task_index, event.task_name))
                else:
                    _apply(state, event, recorder)
                handled += 1
                if handled % YIELD_EVERY == 0:
                    await asyncio.sleep(0)

    # -- housekeeping ------------------------------------------------------------------

    def _on_task_done(self, run_id: str, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(run_id, None)
        state = next((s for s in self._runs if s.run_id == run_id), None)
        if state is not None:
            if not state.status.is_terminal:  # cancelled before its task took a first step
                state.set_status(RunStatus.CANCELLED)
            self._runs.remove(state)  # ended: the views and the history keep it from here
            self.runEnded.emit(state)
        self.activeCountChanged.emit(len(self._tasks))

    def _ensure_autoflush(self) -> None:
        if self._autoflush is None or self._autoflush.done():
            self._autoflush = asyncio.ensure_future(self._flush_while_active())

    async def _flush_while_active(self) -> None:
        history = self._services.history
        while True:
            await asyncio.sleep(AUTOFLUSH_INTERVAL)
            try:
                await history.flush()
            except Exception:
                log.exception("could not write streamed text to the history")
            if not self._tasks:
                return
