"""Flows in the main window: opening a Flow project, its view in the designer area, its
runs' panels on the dashboard.

`ProjectOpener.open` hands a ``crewai create flow`` folder here (`is_flow_folder`): the trust
question is the crews' one, the code loads in a worker thread (`load_flow_project`), and the
graph opens as a tab of the designer's area. `FlowSupport` (one per window, a child object
found by name) owns the `FlowController` and puts each run's `FlowPanel` above the
dashboard's crew runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QBoxLayout, QTabWidget, QWidget

from desktop_app.ui.controllers.flow_controller import (
    FlowController,
    FlowProject,
    load_flow_project,
)
from desktop_app.ui.controllers.flow_state import FlowRunState
from desktop_app.ui.flows._design import FlowDesignView
from desktop_app.ui.flows.flow_panel import FlowPanel

if TYPE_CHECKING:
    from desktop_app.storage.history import RunRecord
    from desktop_app.ui.main_window import MainWindow

__all__ = ["FlowSupport", "active_flows", "close_flows", "flows_of", "is_flow_folder",
           "open_flow", "rerun_flow"]

_NAME = "flowSupport"
MAX_ENDED = 20
"""Ended flow runs whose panels the dashboard keeps (older ones are in History)."""


def is_flow_folder(folder: Path) -> bool:
    """Whether the folder is a Flow project (``[tool.crewai] type = "flow"``; blocking)."""
    from desktop_app.compat.projects import ProjectError, locate

    try:
        return locate(folder).kind == "flow"
    except (ProjectError, OSError, ValueError):
        return False


class FlowSupport(QObject):
    """The window's flows: open Flow projects' views and the dashboard's flow panels.

    Attributes:
        controller: Runs the flows.
        views: The designer-area view of each open Flow project, by folder.
        panels: The dashboard panel of each flow run, by run id.
    """

    def __init__(self, window: MainWindow) -> None:
        """Attaches to `window` (its designer's tabs, its dashboard)."""
        super().__init__(window)
        self.setObjectName(_NAME)
        self.window = window
        folders = getattr(window.controller, "_folders", None)  # one working folder per app
        self.controller = FlowController(window.services, folders, self)
        self.controller.runStarted.connect(self._on_controller_runStarted)
        self.views: dict[Path, FlowDesignView] = {}
        self.panels: dict[str, FlowPanel] = {}
        self.projects: dict[Path, FlowProject] = {}
        self.runs = QTabWidget()  # one tab per flow run, the newest first
        self.runs.setObjectName("flowRuns")
        self.runs.setDocumentMode(True)
        self.runs.hide()
        holder = window.dashboard.runs.layout()  # under the summary, above the crew runs
        if isinstance(holder, QBoxLayout):
            holder.insertWidget(1, self.runs, 2)
        window.closed.connect(self._on_window_closed)
        window.stop_all_action.triggered.connect(self._on_stop_all)
        window.dashboard.stop_all_button.clicked.connect(self._on_stop_all)
        self._tasks: set[asyncio.Task[Any]] = set()

    def show_project(self, opened: FlowProject) -> FlowDesignView:
        """Shows a Flow project as a tab of the designer's area (replacing an older one)."""
        tabs = self.window.designer.tabs
        old = self.views.pop(opened.root, None)
        if old is not None:
            tabs.removeTab(tabs.indexOf(old))
            old.deleteLater()
        view = FlowDesignView(opened)
        view.runRequested.connect(self._on_view_runRequested)
        self.views[opened.root] = view
        self.projects[opened.root] = opened
        tabs.setCurrentIndex(tabs.addTab(view, f"Flow: {opened.name}"))
        self.window.tabs.setCurrentWidget(self.window.designer)
        return view

    def run(self, opened: FlowProject, inputs: dict[str, Any] | None = None,
            *, dry_run: bool = False) -> FlowRunState:
        """Runs a Flow project on the dashboard; returns the run's state."""
        self.window.tabs.setCurrentWidget(self.window.dashboard)
        return self.controller.start(opened, inputs, dry_run=dry_run)

    def _on_view_runRequested(self, opened: FlowProject, inputs: dict[str, Any],
                              dry_run: bool) -> None:
        try:
            self.run(opened, inputs, dry_run=dry_run)
        except ValueError as exc:
            self.views[opened.root].say(str(exc))

    def _on_controller_runStarted(self, state: FlowRunState) -> None:
        opened = next((p for p in self.projects.values() if p.graph is state.graph), None)
        panel = FlowPanel(state, opened.crews if opened else None)
        panel.stopRequested.connect(self.controller.stop)
        panel.closeRequested.connect(self._on_panel_closeRequested)
        state.statusChanged.connect(lambda status, p=panel: self._retitle(p, status))
        self.panels[state.run_id] = panel
        self.runs.insertTab(0, panel, f"{state.flow_name} · starting")
        self.runs.setCurrentIndex(0)
        self.runs.show()
        self._let_go_oldest_ended()

    def _retitle(self, panel: FlowPanel, status: str) -> None:
        index = self.runs.indexOf(panel)
        if index >= 0:
            self.runs.setTabText(index, f"{panel.state.flow_name} · {status}")

    def _let_go_oldest_ended(self) -> None:
        """Keeps the panels of runs still going and of the latest `MAX_ENDED` ended ones."""
        ended = [run_id for run_id, panel in self.panels.items() if panel.state.ended]
        for run_id in ended[:max(0, len(ended) - MAX_ENDED)]:
            self._on_panel_closeRequested(run_id)

    def _on_panel_closeRequested(self, run_id: str) -> None:
        panel = self.panels.pop(run_id, None)
        if panel is not None:
            self.runs.removeTab(self.runs.indexOf(panel))
            panel.deleteLater()
        self.runs.setVisible(bool(self.panels))

    def _on_stop_all(self) -> None:
        for state in self.controller.active_runs():
            self.controller.stop(state.run_id)

    def _on_window_closed(self) -> None:
        task = asyncio.ensure_future(self.controller.aclose())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def active_flows(window: MainWindow) -> int:
    """How many flow runs of the window still go on (closing asks before stopping them)."""
    found = window.findChild(FlowSupport, _NAME)
    return len(found.controller.active_runs()) if isinstance(found, FlowSupport) else 0


async def close_flows(window: MainWindow) -> None:
    """Cancels the window's flow runs and waits until their ends are recorded."""
    found = window.findChild(FlowSupport, _NAME)
    if isinstance(found, FlowSupport):
        await found.controller.aclose()


def flows_of(window: MainWindow) -> FlowSupport:
    """The window's `FlowSupport`, made on first use."""
    found = window.findChild(FlowSupport, _NAME)
    return found if isinstance(found, FlowSupport) else FlowSupport(window)


async def open_flow(parent: QWidget | None, folder: Path,
                    trust_for: Callable[[Path], Awaitable[str]]) -> FlowProject | None:
    """Opens a Flow project in `parent`'s window (asking about trust as for crews).

    Returns:
        The open project (maybe with an error to show), or None when cancelled.
    """
    from desktop_app.ui.main_window import MainWindow

    window = parent.window() if parent is not None else None
    if not isinstance(window, MainWindow):
        raise RuntimeError("a Flow project opens in the main window")
    choice = await trust_for(folder)
    if choice == "cancel":
        return None
    opened = await asyncio.to_thread(load_flow_project, folder, choice == "trust")
    flows_of(window).show_project(opened)
    return opened


async def rerun_flow(parent: QWidget, record: RunRecord) -> FlowRunState | None:
    """History's "Run again" on a flow run: the same inputs (and dry run or not); a flow
    with `@persist` resumes from the state the run saved (its state id given as ``id``).

    Returns:
        The new run, or None (said on the dashboard) when its project is not open.
    """
    from desktop_app.ui.controllers._flow_recorder import STATE_ID_KIND
    from desktop_app.ui.main_window import MainWindow

    window = parent.window()
    if not isinstance(window, MainWindow):
        return None
    flows = flows_of(window)
    root = Path(str(record.crew_snapshot.get("project", "")))
    opened = flows.projects.get(root)
    if opened is None or opened.project is None:
        window.dashboard.show_message(
            f"Open the Flow project {root} first (File › Open CrewAI project…), trusting its "
            "code, to run it again.")
        return None
    inputs = dict(record.inputs)
    state_id = next((s.text for s in record.segments if s.kind == STATE_ID_KIND), None)
    if opened.persists and state_id:
        inputs["id"] = state_id
        window.dashboard.show_message(f"Resuming flow {opened.name} from its saved state "
                                      f"{state_id}.")
    return flows.run(opened, inputs, dry_run=record.mode == "flow dry run")
