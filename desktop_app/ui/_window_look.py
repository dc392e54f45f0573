"""The main window's icons: its toolbar, its menus and its tabs, from `_icons`' one set.

Kept apart from `main_window` (which calls `dress_shell` once its actions exist and
`dress_views` once the views are attached) so the window's logic stays about behaviour.
The toolbar shows each command's icon with its text beside it: icons alone would have to be
learned, text alone is what the issue called "a developer's tool".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar

from desktop_app.ui import _icons, _theme, _welcome_designer

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

__all__ = ["MENU_ICONS", "dress_shell", "dress_views", "run_on_simulator"]

MENU_ICONS = {
    "newCrewAction": "new", "openCrewFileAction": "open", "importAction": "import",
    "exportAction": "export", "saveAsAction": "save-as", "aboutAction": "help",
    "showDesigner": "designer", "showDashboard": "dashboard", "showHistory": "history",
}
"""The menus' actions (by object name) and their icons."""


def dress_shell(window: MainWindow) -> None:
    """Icons on the window's own actions, menus and toolbar (New, Open | Run, Stop | ...).

    The system's theme is shown first, so the icons are drawn once in their final colours
    (the settings, read later, may still choose another theme).
    """
    _theme.apply_theme("system")
    for action, name in ((window.run_action, "run"), (window.stop_all_action, "stop"),
                         (window.settings_action, "settings"), (window.memory_action, "memory"),
                         (window.open_project_action, "open"), (window.quit_action, "quit")):
        _icons.use(action, name, "accent" if name == "run" else "text")
    for object_name, name in MENU_ICONS.items():
        found = window.findChild(QAction, object_name)
        if found is not None:
            _icons.use(found, name)
    toolbar = window.findChild(QToolBar, "MainToolbar")
    if toolbar is None:
        return
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.setIconSize(_icons.icon_size(toolbar))
    toolbar.clear()  # the same commands, in the order of work: files, runs, settings
    for object_name in ("newCrewAction", "openCrewFileAction"):
        found = window.findChild(QAction, object_name)
        if found is not None:
            toolbar.addAction(found)
    toolbar.addSeparator()
    toolbar.addActions([window.run_action, window.stop_all_action])
    toolbar.addSeparator()
    toolbar.addActions([window.memory_action, window.settings_action])


def dress_views(window: MainWindow) -> None:
    """Icons on the Designer, Dashboard and History tabs and the designer's Save."""
    for page, name in ((window.designer, "designer"), (window.dashboard, "dashboard"),
                       (window.history, "history")):
        _icons.use_tab(window.tabs, page, name)
    for action in window.file_menu.actions():
        if action.text() == "Save":
            _icons.use(action, "save")
    _connect_welcome(window)


def _connect_welcome(window: MainWindow) -> None:
    """The designer's welcome page: shown after a start with no crew open, and from View."""
    designer = window.designer
    designer.welcome.simulateRequested.connect(
        lambda crew_id: window.spawn(run_on_simulator(window, crew_id)))
    window.started.connect(lambda: window.spawn(_welcome_designer.show_if_empty(designer)))
    action = QAction("&Welcome and examples", window)
    action.setObjectName("showWelcome")
    _icons.use(action, "welcome")
    action.triggered.connect(lambda: _show_welcome(window))
    window.view_menu.insertAction(window.view_menu.actions()[0], action)


def _show_welcome(window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.designer)
    window.spawn(_welcome_designer.show_welcome(window.designer))


async def run_on_simulator(window: MainWindow, crew_id: str) -> None:
    """Runs a crew on the offline simulator (the welcome cards' button): ticks the dashboard's
    dry run, then runs it as the designer's Run does (or the dashboard says why not)."""
    window.dashboard.dry_run.setChecked(True)
    await window.run_from_designer(crew_id)
