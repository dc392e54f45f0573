"""`FlowController`: runs the flows of Flow projects on the qasync loop, several at once.

`load_flow_project` (blocking; a worker thread) loads a trusted project's code and reads its
Flow class's graph. `FlowController.start` makes a `FlowRunState` and a task it owns that
makes the flow (the project's code, in a worker thread) and consumes
`Flow.run_events(inputs)`, applying each event to the state and the history. `stop`
cancels the task: the stream is closed, which cancels the flow and the crews its steps run.
`aclose` cancels every run (the window's close).

A dry run (or the simulator as default provider) sends every model call of the flow to the
offline simulator: a flow's crews are made by the project's own code inside its steps, so
the run's task is given the target through its context (`engine.llm.force_llm_target_here`),
which its steps and their crews inherit; runs beside it keep their providers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.engine.flow import FlowGraph
from desktop_app.ui.controllers._flow_recorder import FlowRecorder
from desktop_app.ui.controllers.flow_state import FlowRunState, FlowStatus

if TYPE_CHECKING:
    from desktop_app.compat.projects import LoadedProject
    from desktop_app.storage.settings import Settings
    from desktop_app.ui.controllers._project_folder import ProjectFolders
    from desktop_app.ui.services import AppServices

__all__ = ["REAL_RUN_NOTE", "FlowController", "FlowProject", "load_flow_project"]

REAL_RUN_NOTE = ("No provider is set up in Settings: this flow's models go where its code "
                 "points them, with keys from the project's .env or the environment. Check "
                 "Dry run to send them to the simulator.")


@dataclass
class FlowProject:
    """A Flow project open in the app.

    Attributes:
        root: Its folder.
        name: Its Flow class's name (the folder's name until its code is loaded).
        project: Its loaded code (None: untrusted, or its code failed).
        flow_class: Its Flow class.
        graph: The class's graph.
        crews: The crews each step names in its source.
        error: Why its code could not be loaded; "" when it was.
    """

    root: Path
    name: str
    project: LoadedProject | None = None
    flow_class: type | None = None
    graph: FlowGraph | None = None
    crews: dict[str, list[str]] = field(default_factory=dict)
    error: str = ""

    @property
    def persists(self) -> bool:
        """Whether a step (or the class) has `@persist`: a run can be resumed by state id."""
        from desktop_app.engine.flow.persistence import method_persist

        cls, graph = self.flow_class, self.graph
        return cls is not None and graph is not None and any(
            method_persist(step.mark, cls) is not None for step in graph.steps.values())


def load_flow_project(root: Path, trusted: bool) -> FlowProject:
    """Loads a Flow project (blocking): its code when trusted, and its Flow class's graph.

    Untrusted, or when its code fails, the graph is read from ``main.py``'s source alone
    (`ui.flows._static`), with the reason kept (`FlowProject.error`): it shows, but does not
    run.
    """
    from desktop_app.compat.projects import ProjectError, load, locate
    from desktop_app.engine.flow import graph_of

    opened = FlowProject(root, root.name)
    try:
        spec = locate(root)
    except ProjectError as exc:
        opened.error = str(exc)
        return opened
    if not trusted:
        _read_statically(opened, spec.entry, (
            "Opened without running its code: the graph is read from its source. Trust the "
            "folder (open it again) to run it."))
        return opened
    try:
        project = load(spec)
        cls = project.flow_class()
        graph = graph_of(cls)
    except (ProjectError, ValueError) as exc:
        _read_statically(opened, spec.entry, str(exc))
        return opened
    opened.project, opened.flow_class = project, cls
    _with_graph(opened, graph)
    return opened


def _read_statically(opened: FlowProject, main_py: Path, why: str) -> None:
    from desktop_app.ui.flows._static import static_graph

    opened.error = why
    graph = static_graph(main_py)
    if graph is not None:
        _with_graph(opened, graph)


def _with_graph(opened: FlowProject, graph: FlowGraph) -> None:
    from desktop_app.ui.flows._static import crews_by_step

    opened.graph, opened.name = graph, graph.name
    opened.crews = crews_by_step(graph)


def _make_flow(opened: FlowProject) -> Any:
    """A fresh instance of the project's Flow class (its `__init__` is the project's code)."""
    assert opened.project is not None and opened.flow_class is not None
    cls = opened.flow_class
    with opened.project.activated():
        return cls()


class FlowController(QObject):
    """Owns the tasks of the app's flow runs.

    Signals:
        runStarted(object): A `FlowRunState` was made (its panel can show it).
        runEnded(object): A run's task ended (its state says how).
    """

    runStarted = Signal(object)
    runEnded = Signal(object)

    def __init__(self, services: AppServices, folders: ProjectFolders | None = None,
                 parent: QObject | None = None) -> None:
        """Creates a controller on the app's services (history, settings, simulator);
        `folders` lends the working folder to a running project (the run controller's)."""
        super().__init__(parent)
        self._services = services
        self._folders = folders
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._states: dict[str, FlowRunState] = {}

    def active_runs(self) -> list[FlowRunState]:
        """The runs whose tasks still go on."""
        return [self._states[run_id] for run_id in self._tasks]

    def start(self, opened: FlowProject, inputs: dict[str, Any] | None = None,
              *, dry_run: bool = False) -> FlowRunState:
        """Starts a run of the project's flow; returns its state at once.

        Raises:
            ValueError: The project's code is not loaded (untrusted, or it failed).
        """
        if opened.graph is None or opened.project is None:
            raise ValueError(opened.error or f"{opened.name}: its code is not loaded")
        state = FlowRunState(uuid.uuid4().hex, opened.graph, inputs or {}, dry_run=dry_run)
        task = asyncio.ensure_future(self._run(state, opened))
        self._tasks[state.run_id] = task
        self._states[state.run_id] = state
        task.add_done_callback(functools.partial(self._on_task_done, state.run_id))
        self.runStarted.emit(state)
        return state

    def stop(self, run_id: str) -> None:
        """Cancels a run (its crews' streams close)."""
        task = self._tasks.get(run_id)
        if task is not None:
            task.cancel()

    async def wait(self, state: FlowRunState) -> None:
        """Waits until a run's task has ended."""
        task = self._tasks.get(state.run_id)
        if task is not None:
            await asyncio.wait([task])

    async def aclose(self) -> None:
        """Cancels every run and waits for their tasks (the window closes)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def _on_task_done(self, run_id: str, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(run_id, None)
        state = self._states.pop(run_id, None)
        if state is not None:
            with contextlib.suppress(RuntimeError):  # the window went first (tests, shutdown)
                self.runEnded.emit(state)

    async def _run(self, state: FlowRunState, opened: FlowProject) -> None:
        recorder = FlowRecorder(self._services.history, state, str(opened.root))
        await recorder.start()
        lease = await self._folders.enter(opened.root) if self._folders else None
        if lease is not None and lease.warning:
            state.note(lease.warning)
        try:
            with await self._target(state):
                await self._consume(state, opened, recorder)
        except asyncio.CancelledError:
            state.set_status(FlowStatus.CANCELLED)
        except Exception as exc:  # noqa: BLE001 - the flow's or the project's own error
            if not state.ended:
                state.error = f"{type(exc).__name__}: {exc}"
                state.set_status(FlowStatus.FAILED)
        finally:
            if lease is not None and self._folders is not None:
                await self._folders.leave(lease)
            await recorder.finish()

    async def _consume(self, state: FlowRunState, opened: FlowProject,
                       recorder: FlowRecorder) -> None:
        from desktop_app.compat.projects import keep_hook_installed

        await asyncio.to_thread(keep_hook_installed)  # steps may import crewai as they run
        flow = await asyncio.to_thread(_make_flow, opened)
        flow.human_feedback_handler = state.ask  # `@human_feedback` asks in the run's panel
        stream = flow.run_events(state.inputs or None)  # typed, whatever stream_events means
        try:
            async for event in stream:
                state.apply(event)
                await recorder.on_event(event)
        finally:
            await stream.aclose()

    async def _target(self, state: FlowRunState) -> contextlib.AbstractContextManager[None]:
        """Where the run's models go: the simulator for a dry run (or the simulator as
        default provider), else the configured providers (`_flow_routes`)."""
        settings = self._services.current_settings
        default = next((p for p in settings.providers if p.id == settings.default_provider),
                       None)
        on_simulator = default is not None and default.kind == "simulator"
        if not (state.dry_run or on_simulator):
            return await self._routed(state, settings)
        from desktop_app.engine.llm import force_llm_target_here
        from desktop_app.ui.controllers.crew_factory import SIMULATOR_KEY
        from desktop_app.ui.services import SIMULATOR_MODEL

        base_url = await self._services.simulator.base_url()
        model = default.default_model if on_simulator and default is not None else ""
        return force_llm_target_here(model or SIMULATOR_MODEL, base_url, SIMULATOR_KEY)

    async def _routed(self, state: FlowRunState, settings: Settings
                      ) -> contextlib.AbstractContextManager[None]:
        """A real run: each model to the provider that serves it, with its key."""
        from desktop_app.engine import register_secrets
        from desktop_app.engine.llm import route_llm_targets_here
        from desktop_app.ui.controllers._flow_routes import flow_router, provider_keys

        if not settings.providers:
            state.note(REAL_RUN_NOTE)
            return contextlib.nullcontext()
        keys = await asyncio.to_thread(provider_keys, settings, self._services.secrets)
        register_secrets(keys.values())  # masked in whatever the run shows or keeps
        return route_llm_targets_here(flow_router(settings, keys))
