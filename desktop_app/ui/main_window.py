"""`MainWindow`: the Designer, Dashboard and History tabs, Settings, and a careful close.

The window comes up in two steps so that it shows fast: the shell (menus, toolbar, empty
tabs) needs only PySide6; `attach(services)` then imports and builds the views and the
`RunController` (pydantic models, YAML, the crew documents), which `desktop_app.ui.app`
does after the first paint.

The window owns the `RunController`. Closing it asks first when crews are running or the
designer has unsaved changes, then cancels every run, waits briefly for them to be recorded,
flushes the history and closes the services, with a time limit, so exit never hangs (the
start and close sequences are `_window_life.py`'s).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui import _menus, _window_life, _window_look
from desktop_app.ui._provider_banner import ProviderBanner
from desktop_app.ui._window_life import SHUTDOWN_LIMIT_S
from desktop_app.ui.qt import asyncSlot

if TYPE_CHECKING:
    from desktop_app.ui.controllers.run_controller import RunController
    from desktop_app.ui.dashboard import DashboardView
    from desktop_app.ui.designer import DesignerView
    from desktop_app.ui.history import HistoryView
    from desktop_app.ui.history._resume import ResumeDialog
    from desktop_app.ui.memory import MemoryDialog
    from desktop_app.ui.projects._opener import ProjectOpener
    from desktop_app.ui.projects._session import OpenProject
    from desktop_app.ui.services import AppServices
    from desktop_app.ui.settings import SettingsDialog

__all__ = ["SHUTDOWN_LIMIT_S", "MainWindow", "ProviderBanner"]

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """CrewDesk's main window.

    Signals:
        started(): `start()` has loaded the settings, the crews and the history.
        closed(): The window finished closing (runs stopped, history flushed).
    """

    started = Signal()
    closed = Signal()

    services: AppServices
    controller: RunController
    designer: DesignerView
    dashboard: DashboardView
    history: HistoryView
    project_opener: ProjectOpener
    file_menu: QMenu
    edit_menu: QMenu
    view_menu: QMenu
    save_as_action: QAction
    theme_actions: dict[str, QAction]
    about_dialog: QDialog
    resume_offer: ResumeDialog | None  # set by `start`

    def __init__(self, services: AppServices | None = None, parent: QWidget | None = None) -> None:
        """Builds the window's shell, and its views too when `services` are given.

        Args:
            services: The app's services; None to `attach` them later.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._attached = False
        self._closing = False
        self._closed = False
        self.setWindowTitle("CrewDesk")
        self.resize(1280, 800)
        self._build_shell()
        self._build_actions()
        if services is not None:
            self.attach(services)

    # -- building ----------------------------------------------------------------------

    def _build_shell(self) -> None:
        self.banner = ProviderBanner()
        self.tabs = QTabWidget()
        self.loading = QLabel("Loading…")
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self.loading, "Dashboard")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)  # the room goes to the views (1280x720 screens)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Starting…")

    @property
    def attached(self) -> bool:
        """Whether the views are built (`attach` was called)."""
        return self._attached

    def attach(self, services: AppServices) -> None:
        """Builds the views and the run controller on `services` (call once)."""
        from desktop_app.ui.controllers.run_controller import RunController
        from desktop_app.ui.dashboard import DashboardView
        from desktop_app.ui.designer import DesignerView
        from desktop_app.ui.history import HistoryView
        from desktop_app.ui.history._fork import attach_forks
        from desktop_app.ui.projects._opener import ProjectOpener

        if self._attached:
            raise RuntimeError("the window already has its services")
        self.services = services
        self.controller = RunController(services, parent=self)
        self.designer = DesignerView(services)
        self.dashboard = DashboardView(services, self.controller)
        self.history = HistoryView(services)
        self.tabs.removeTab(0)
        self.loading.deleteLater()
        self.tabs.addTab(self.designer, "Designer")
        self.tabs.addTab(self.dashboard, "Dashboard")
        self.tabs.addTab(self.history, "History")
        self.tabs.setCurrentWidget(self.dashboard)
        self.project_opener = ProjectOpener(services, self)
        self.designer.import_handler = self.open_project
        _menus.attach_views(self)
        attach_forks(self)  # History's "Fork here" runs through the controller
        _window_look.dress_views(self)
        self._attached = True
        self._connect()

    def _build_actions(self) -> None:
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.run_action = QAction("&Run", self)
        self.run_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.run_action.setToolTip("Run the crew open in the designer, or the crews checked "
                                   "on the dashboard")
        self.stop_all_action = QAction("Stop &all runs", self)
        self.memory_action = QAction("&Memory and knowledge…", self)
        self.memory_action.setToolTip("Look into, search, reset or delete the crews' stores")
        self.open_project_action = QAction("Open CrewAI &project…", self)
        self.open_project_action.setToolTip(
            "Open a CrewAI project folder: see its crew in the designer and run it")
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        _menus.build_menus(self)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("MainToolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.settings_action)
        toolbar.addAction(self.memory_action)
        toolbar.addAction(self.stop_all_action)
        _window_look.dress_shell(self)
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        self.memory_action.triggered.connect(self._on_memory_action_triggered)
        self.open_project_action.triggered.connect(self._on_open_project_action_triggered)
        self.stop_all_action.triggered.connect(self._on_stop_all_action_triggered)
        self.run_action.triggered.connect(self._on_run_action_triggered)
        self.quit_action.triggered.connect(self.close)

    def _connect(self) -> None:
        self.banner.settingsRequested.connect(self._on_banner_settingsRequested)
        self.banner.simulatorRequested.connect(self._on_banner_simulatorRequested)
        self.dashboard.settingsRequested.connect(self._on_dashboard_settingsRequested)
        self.designer.runRequested.connect(self._on_designer_runRequested)
        self.designer.dirtyChanged.connect(self._on_designer_dirtyChanged)
        self.designer.crew_page.memoryRequested.connect(self._on_crew_page_memoryRequested)
        self.designer.project_panel.trustChangeRequested.connect(
            self._on_project_panel_trustChangeRequested)
        self.history.rerunRequested.connect(self._on_history_rerunRequested)
        self.tabs.currentChanged.connect(self._on_tabs_currentChanged)
        self.controller.runEnded.connect(self._on_controller_runEnded)
        self.controller.crewSettingsSaved.connect(self.designer.take_saved_always)
        self.controller.activeCountChanged.connect(self._on_controller_activeCountChanged)

    # -- starting ----------------------------------------------------------------------

    async def start(self) -> None:
        """Loads settings, marks interrupted runs, fills the dashboard, restores geometry.

        When the designer found unsaved edits of the last session (a crash), its tab is
        shown, with its offer to restore them.
        """
        await _window_life.start(self)

    # -- commands ----------------------------------------------------------------------

    def open_settings(self, provider_id: str = "") -> SettingsDialog:
        """Opens the settings dialog (window-modal, no nested event loop).

        Args:
            provider_id: The provider to show first (a run's refused key); "" for the first.
        """
        from desktop_app.ui.settings import SettingsDialog

        dialog = SettingsDialog(self.services, self, provider_id=provider_id)
        dialog.settingsChanged.connect(self._on_settings_dialog_settingsChanged)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def open_memory(self, crew_name: str | None = None) -> MemoryDialog:
        """Opens the crews' memory and knowledge stores (window-modal, no nested loop).

        Args:
            crew_name: The crew whose stores to select first; None for none.
        """
        from desktop_app.ui.memory import MemoryDialog

        dialog = MemoryDialog(self.services, crew_name, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    async def apply_settings(self) -> None:
        """Rereads the settings after the dialog saved them and applies what changed."""
        settings = await self.services.reload_settings()
        self.controller.set_concurrency_limit(settings.concurrency_limit)
        self.banner.setVisible(not self.services.has_provider())

    async def use_simulator(self) -> None:
        """Makes the offline simulator the default provider (the banner's second button)."""
        await self.services.use_simulator_provider()
        self.banner.hide()
        self.statusBar().showMessage(
            "Runs use the offline simulator. Add a real provider in Settings any time.", 10_000
        )

    async def open_project(self, folder: Path) -> OpenProject | None:
        """Opens a CrewAI project folder in the designer (asking about trust once per
        folder) and lists it on the dashboard; a project that cannot be opened is said so
        in the designer, and the app goes on.

        Returns:
            The open project, or None (cancelled, or it cannot be opened).
        """
        from desktop_app.compat.projects import ProjectError
        from desktop_app.documents.errors import CrewFileError

        try:
            opened = await self.project_opener.open(folder)
        except (CrewFileError, ProjectError) as exc:
            self.designer.show_project_error(folder, str(exc))
            self.tabs.setCurrentWidget(self.designer)
            return None
        if opened is None or not await self.designer.show_project(opened):
            return None
        self.tabs.setCurrentWidget(self.designer)
        await self.dashboard.load_crews()
        if opened.error:
            self.dashboard.show_message(f"{opened.document.name}: {opened.error}")
        return opened

    async def reconsider_trust(self, folder: Path) -> OpenProject | None:
        """Forgets the trust answer for a project folder and opens it again (asking)."""
        await self.project_opener.forget_trust(folder)
        return await self.open_project(folder)

    async def choose_project(self) -> OpenProject | None:
        """Asks for a CrewAI project folder, then opens it (`open_project`)."""
        from desktop_app.ui.widgets.ask import choose_path

        folder = await choose_path(self, "Open a CrewAI project folder", directory=True)
        return None if folder is None else await self.open_project(folder)

    async def run_from_designer(self, crew_id: str) -> None:
        """Shows the dashboard and runs the crew the designer asked for."""
        self.tabs.setCurrentWidget(self.dashboard)
        await self.dashboard.run_crew(crew_id)

    async def rerun_from_history(self, run_id: str) -> None:
        """Shows the dashboard and runs a past run again."""
        self.tabs.setCurrentWidget(self.dashboard)
        await self.dashboard.rerun(run_id)

    def choose_theme(self, name: str) -> None:
        """Shows the theme ``name`` (system, light, dark) and keeps it in the settings."""
        self.show_theme(name)
        if self._attached:
            settings = self.services.current_settings.model_copy(deep=True)
            settings.theme = name  # type: ignore[assignment]  # one of _menus.THEMES
            self._spawn(self.services.save_settings(settings))

    def show_theme(self, name: str) -> None:
        """Shows the theme ``name`` (system, light, dark) without saving it."""
        _menus.apply_theme(name)
        self.theme_actions[name].setChecked(True)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Runs `coro` as a task of the window (menus' commands; failures shown)."""
        self._spawn(coro)

    # -- closing -----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        """Closes after `shutdown()` has run; until then the event is ignored."""
        if self._closed:
            event.accept()
            return
        if not self._attached:  # closed while starting: nothing to stop or save yet
            self._closed = True
            event.accept()
            self.closed.emit()
            return
        event.ignore()
        if not self._closing:
            self._closing = True
            self._spawn(self._close_when_agreed())

    async def _close_when_agreed(self) -> None:
        try:
            if await _window_life.close_when_agreed(self, self._tasks):
                self._closed = True
                self.close()
                self.closed.emit()
        finally:
            self._closing = False

    async def confirm_close(self) -> bool:
        """Asks about unsaved designer changes and running crews; False keeps the window."""
        return await _window_life.confirm_close(self)

    async def shutdown(self) -> None:
        """Cancels the runs, saves the window's geometry, flushes and closes the services."""
        await _window_life.shutdown(self)

    # -- slots -------------------------------------------------------------------------

    def _on_settings_action_triggered(self) -> None:
        if self._attached:
            self.open_settings()

    def _on_open_project_action_triggered(self) -> None:
        if self._attached:
            self._spawn(self.choose_project())

    def _on_project_panel_trustChangeRequested(self, folder: str) -> None:
        self._spawn(self.reconsider_trust(Path(folder)))

    def _on_memory_action_triggered(self) -> None:
        if self._attached:
            self.open_memory()

    def _on_crew_page_memoryRequested(self) -> None:
        self.open_memory(self.designer.editor.document.name)

    def _on_banner_settingsRequested(self) -> None:
        self.open_settings()

    def _on_dashboard_settingsRequested(self, provider_id: str) -> None:
        self.open_settings(provider_id)

    def _on_run_action_triggered(self) -> None:
        if not self._attached:
            return
        if self.tabs.currentWidget() is self.designer:
            self._spawn(self.designer.run())  # it asks the window to run it (runRequested)
        else:
            self.tabs.setCurrentWidget(self.dashboard)
            self._spawn(self.dashboard.run_checked())

    def _on_stop_all_action_triggered(self) -> None:
        if self._attached:
            self.controller.stop_all()

    @asyncSlot()
    async def _on_settings_dialog_settingsChanged(self) -> None:
        await self.apply_settings()

    @asyncSlot()
    async def _on_banner_simulatorRequested(self) -> None:
        await self.use_simulator()

    @asyncSlot(str)
    async def _on_designer_runRequested(self, crew_id: str) -> None:
        await self.run_from_designer(crew_id)

    @asyncSlot(str)
    async def _on_history_rerunRequested(self, run_id: str) -> None:
        await self.rerun_from_history(run_id)

    def _on_designer_dirtyChanged(self, dirty: bool) -> None:
        self.tabs.setTabText(self.tabs.indexOf(self.designer), "Designer •" if dirty else "Designer")

    def _on_tabs_currentChanged(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.history:
            self._spawn(self.history.refresh())
        elif self.tabs.currentWidget() is self.dashboard:
            self._spawn(self.dashboard.load_crews())

    def _on_controller_runEnded(self, _state: object) -> None:
        if self.tabs.currentWidget() is self.history:
            self._spawn(self.history.refresh())

    def _on_controller_activeCountChanged(self, count: int) -> None:
        self.stop_all_action.setEnabled(count > 0)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Runs `coro` as a task this window owns (kept until it ends, failures shown).

        Nothing starts when no loop runs: Qt delivered a signal outside the asyncio loop (a
        run ending while the app shuts down); such a task would run its steps with no loop.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            log.debug("no running event loop: %r not started", coro)
            return
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.warning("window task failed: %s: %s", type(error).__name__, error)
            if shiboken6.isValid(self):  # a task may end after the window was deleted
                self.statusBar().showMessage(f"Failed: {error}", 10_000)
