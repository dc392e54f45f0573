"""The main window's menu bar: File, Edit, View, Run and Help, with their shortcuts.

Built once with the window's shell (`build_menus`, only PySide6 needed); the entries that act
on a view do nothing until the views are attached, and `attach_views` adds the designer's own
Undo, Redo and Save actions (their shortcuts work where the designer has the focus, so they
never clash with a text field's own undo).

- File: New crew (Ctrl+N), Open crew file… (Ctrl+O), Open CrewAI project… (Ctrl+Shift+O),
  Import CrewAI project…, Export as CrewAI project… (Ctrl+Shift+E), Save (Ctrl+S),
  Save as new… (Ctrl+Shift+S), Settings…, Memory and knowledge…, Quit.
- Edit: Undo, Redo (the designer's), Cut, Copy, Paste (to the focused field).
- View: Designer, Dashboard, History (Ctrl+1..3); Theme: system, light or dark.
- Run: Run (Ctrl+Enter), Stop all runs.
- Help: About CrewDesk (version, the documentation, a `crewdesk doctor` summary).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

if TYPE_CHECKING:
    from desktop_app.ui.designer import DesignerView
    from desktop_app.ui.main_window import MainWindow

__all__ = ["THEMES", "apply_theme", "attach_views", "build_menus"]

THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
"""The theme choices, by the name settings keep."""

_Key = QKeySequence.StandardKey


def build_menus(window: MainWindow) -> None:
    """Adds the menus to ``window``'s menu bar (its existing actions included).

    Expects ``window`` to hold ``open_project_action``, ``settings_action``,
    ``memory_action``, ``quit_action``, ``run_action`` and ``stop_all_action``.
    """
    bar = window.menuBar()
    window.file_menu = _file_menu(window, bar.addMenu("&File"))
    window.edit_menu = _edit_menu(window, bar.addMenu("&Edit"))
    window.view_menu = _view_menu(window, bar.addMenu("&View"))
    run_menu = bar.addMenu("&Run")
    run_menu.addAction(window.run_action)
    run_menu.addAction(window.stop_all_action)
    help_menu = bar.addMenu("&Help")
    about = _action(window, "&About CrewDesk…", "aboutAction", None, lambda: _about(window))
    help_menu.addAction(about)


def _action(window: MainWindow, text: str, name: str, keys: QKeySequence | str | None,
            slot: Callable[[], object]) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if keys is not None:
        action.setShortcut(QKeySequence(keys))
    action.triggered.connect(slot)
    return action


def _on_designer(window: MainWindow,
                 make: Callable[[DesignerView], Coroutine[Any, Any, Any]]) -> Callable[[], None]:
    """A slot that shows the designer and runs ``make(designer)`` (once the views exist)."""

    def slot() -> None:
        if window.attached:
            window.tabs.setCurrentWidget(window.designer)
            window.spawn(make(window.designer))

    return slot


def _file_menu(window: MainWindow, menu: QMenu) -> QMenu:
    from desktop_app.ui.designer import _view_files

    for text, name, keys, make in (
        ("&New crew", "newCrewAction", QKeySequence(_Key.New),
         lambda view: view.new_crew()),
        ("&Open crew file…", "openCrewFileAction", QKeySequence(_Key.Open),
         _view_files.choose_file),
    ):
        menu.addAction(_action(window, text, name, keys, _on_designer(window, make)))
    window.open_project_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
    menu.addAction(window.open_project_action)
    menu.addSeparator()
    menu.addAction(_action(window, "&Import CrewAI project…", "importAction", None,
                           _on_designer(window, _view_files.choose_import)))
    menu.addAction(_action(window, "&Export as CrewAI project…", "exportAction",
                           "Ctrl+Shift+E", _on_designer(window, _view_files.choose_export)))
    menu.addSeparator()
    window.save_as_action = _action(window, "Save as &new…", "saveAsAction",
                                    QKeySequence(_Key.SaveAs),
                                    _on_designer(window, lambda view: view.save_as()))
    menu.addAction(window.save_as_action)
    menu.addSeparator()
    menu.addAction(window.settings_action)
    menu.addAction(window.memory_action)
    menu.addSeparator()
    menu.addAction(window.quit_action)
    return menu


def _edit_menu(window: MainWindow, menu: QMenu) -> QMenu:
    for text, name, key, method in (
        ("Cu&t", "cutAction", _Key.Cut, "cut"),
        ("&Copy", "copyAction", _Key.Copy, "copy"),
        ("&Paste", "pasteAction", _Key.Paste, "paste"),
    ):
        menu.addAction(_action(window, text, name, QKeySequence(key),
                               lambda *_checked, method=method: _to_focus(method)))
    return menu


def _to_focus(method: str) -> None:
    """Calls ``cut``/``copy``/``paste`` on the focused widget, when it has that method."""
    widget = QApplication.focusWidget()
    call = getattr(widget, method, None)
    if callable(call):
        call()


def _view_menu(window: MainWindow, menu: QMenu) -> QMenu:
    for index, (text, name) in enumerate((("&Designer", "showDesigner"),
                                          ("Das&hboard", "showDashboard"),
                                          ("&History", "showHistory"))):
        menu.addAction(_action(window, text, name, f"Ctrl+{index + 1}",
                               lambda *_checked, index=index: window.tabs.setCurrentIndex(index)))
    menu.addSeparator()
    themes = menu.addMenu("&Theme")
    group = QActionGroup(window)
    window.theme_actions = {}
    for name, text in THEMES.items():
        action = _action(window, text, f"theme_{name}", None,
                         lambda *_checked, name=name: window.choose_theme(name))
        action.setCheckable(True)
        action.setChecked(name == "system")
        group.addAction(action)
        themes.addAction(action)
        window.theme_actions[name] = action
    return menu


def attach_views(window: MainWindow) -> None:
    """Puts the designer's Undo, Redo and Save in the menus (called by `attach`)."""
    designer = window.designer
    first = window.edit_menu.actions()[0]  # Cut: the designer's history goes above it
    window.edit_menu.insertActions(first, [designer.undo_action, designer.redo_action])
    window.edit_menu.insertSeparator(first)
    save = next((action for action in designer.actions() if action.text() == "Save"), None)
    if save is not None:
        window.file_menu.insertAction(window.save_as_action, save)


def apply_theme(name: str) -> None:
    """Shows the light or dark theme, or the system's (``system``): see `_theme`."""
    from desktop_app.ui import _theme

    _theme.apply_theme(name)


def _about(window: MainWindow) -> None:
    from desktop_app.ui._about import AboutDialog

    dialog = AboutDialog(window)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    window.about_dialog = dialog
