"""Issue 14, defect 8: the window fits a 1280x720 screen, keeps its splitters, and has full
menus (File, Edit, View, Run, Help) with an About box."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QSplitter
from pytestqt.qtbot import QtBot
from test_app_support import close_window, wait_until

from desktop_app import __version__
from desktop_app.storage.paths import AppPaths
from desktop_app.ui._about import AboutDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import AppServices

Arun = Callable[..., Any]

SCREEN_ROOM = QSize(1280 - 16, 720 - 40)
"""A 1280x720 screen less a window frame and title bar."""


async def _window(qtbot: QtBot) -> MainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    window = MainWindow(AppServices(AppPaths.from_env()))
    qtbot.addWidget(window)
    window.show()
    await window.start()
    return window


async def _settle() -> None:
    """Lets Qt lay out and paint, on the running loop: `QApplication.processEvents()` inside a
    coroutine would run other tasks' steps re-entrantly, and outside one would fire the loop's
    callbacks while it is not running (either leaves tasks that never wake)."""
    await asyncio.sleep(0.05)


def _actions(window: MainWindow, menu_title: str) -> dict[str, QAction]:
    [menu] = [action.menu() for action in window.menuBar().actions()
              if action.text() == menu_title]
    assert isinstance(menu, QMenu)
    return {action.text(): action for action in menu.actions() if not action.isSeparator()}


def test_the_window_fits_a_1280x720_screen_and_nothing_is_clipped(
    qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> MainWindow:
        window = await _window(qtbot)
        await window.designer.open_crew("example:research_writer")
        return window

    window = arun(scenario())
    hint = window.minimumSizeHint()
    assert hint.width() <= SCREEN_ROOM.width() and hint.height() <= SCREEN_ROOM.height(), hint
    window.resize(SCREEN_ROOM)
    for view in (window.designer, window.dashboard, window.history):
        window.tabs.setCurrentWidget(view)
        arun(_settle())
        needed = view.minimumSizeHint()
        assert view.width() >= needed.width() and view.height() >= needed.height(), (
            type(view).__name__, view.size(), needed)
        for page in (window.designer.crew_page, window.designer.agents_page):
            if view is window.designer:
                window.designer.tabs.setCurrentWidget(page)
                arun(_settle())
                assert page.width() >= page.minimumSizeHint().width()
    arun(close_window(window))


def test_the_menus_hold_every_command_with_its_shortcut(qtbot: QtBot, arun: Arun) -> None:
    window = arun(_window(qtbot))
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Run", "&Help"]
    file_menu = _actions(window, "&File")
    standard = QKeySequence.StandardKey
    for text, key in (("&New crew", standard.New), ("&Open crew file…", standard.Open),
                      ("Save", standard.Save), ("&Quit", standard.Quit)):
        assert file_menu[text].shortcut() == QKeySequence(key), text
    assert file_menu["Open CrewAI &project…"].shortcut() == QKeySequence("Ctrl+Shift+O")
    assert {"&Import CrewAI project…", "&Export as CrewAI project…", "Save as &new…",
            "&Settings…"} <= set(file_menu)
    edit = _actions(window, "&Edit")
    assert edit["Undo"] is window.designer.undo_action
    assert edit["Redo"] is window.designer.redo_action
    assert {"Cu&t", "&Copy", "&Paste"} <= set(edit)
    view = _actions(window, "&View")
    for text, widget, keys in (("&History", window.history, "Ctrl+3"),
                               ("&Designer", window.designer, "Ctrl+1"),
                               ("Das&hboard", window.dashboard, "Ctrl+2")):
        assert view[text].shortcut() == QKeySequence(keys)
        view[text].trigger()
        assert window.tabs.currentWidget() is widget
    assert _actions(window, "&Run")["&Run"] is window.run_action
    # File › New crew opens a new crew in the designer.
    window.tabs.setCurrentWidget(window.history)

    async def new_crew() -> None:  # as a menu click does: inside the running loop
        file_menu["&New crew"].trigger()
        await wait_until(lambda: window.designer.editor.crew_id is None
                         and window.designer.editor.document.name == "New crew")

    arun(new_crew())
    assert window.tabs.currentWidget() is window.designer
    # Edit › Copy copies the focused field's selection.
    edit_line = window.designer.crew_page.name_edit
    edit_line.setFocus()
    qtbot.waitUntil(edit_line.hasFocus)
    edit_line.selectAll()
    edit["&Copy"].trigger()
    assert QApplication.clipboard().text() == "New crew"
    window.designer.editor.mark_saved("whatever")  # nothing to ask about at close
    arun(close_window(window))


def test_help_about_names_the_version_the_docs_and_the_doctor(
    qtbot: QtBot, arun: Arun
) -> None:
    window = arun(_window(qtbot))
    _actions(window, "&Help")["&About CrewDesk…"].trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    labels = "\n".join(label.text() for label in dialog.findChildren(type(dialog.doctor_label)))
    assert f"CrewDesk {__version__}" in labels
    assert "ARCHITECTURE.md" in labels  # the docs of this source checkout
    arun(wait_until(lambda: "crewdesk doctor" in dialog.doctor_label.text()))
    summary = dialog.doctor_label.text()
    assert "sandbox:" in summary and "packages:" in summary, summary
    dialog.close()
    arun(close_window(window))


def test_splitters_and_the_theme_are_remembered_between_sessions(
    qtbot: QtBot, arun: Arun
) -> None:
    window = arun(_window(qtbot))
    window.resize(1264, 680)
    window.tabs.setCurrentWidget(window.dashboard)
    arun(_settle())
    splitter = window.findChild(QSplitter, "dashboardSplitter")
    assert splitter is not None
    for name in ("historySplitter", "designerSplitter", "canvasSplitter"):
        assert window.findChild(QSplitter, name) is not None, name
    splitter.setSizes([420, 800])
    arun(_settle())
    side = splitter.sizes()[0]

    async def choose_dark() -> None:  # as a menu click does: inside the running loop
        window.theme_actions["dark"].trigger()
        await wait_until(lambda: window.services.current_settings.theme == "dark")

    arun(choose_dark())
    arun(close_window(window))

    again = arun(_window(qtbot))
    assert again.services.current_settings.theme == "dark"
    assert again.theme_actions["dark"].isChecked()
    again.resize(1264, 680)
    again.tabs.setCurrentWidget(again.dashboard)
    arun(_settle())
    restored = again.findChild(QSplitter, "dashboardSplitter")
    assert restored is not None and restored.sizes()[0] == side

    async def choose_system() -> None:
        again.theme_actions["system"].trigger()
        await wait_until(lambda: again.services.current_settings.theme == "system")

    arun(choose_system())
    arun(close_window(again))


def test_the_layout_holds_still_between_crews_and_tabs(qtbot: QtBot, arun: Arun) -> None:
    """Opening another crew or coming back to a tab moves no splitter and resizes no view."""
    window = arun(_window(qtbot))
    window.resize(SCREEN_ROOM)
    designer = window.designer

    async def layout() -> list[object]:
        await _settle()
        sizes: list[object] = [designer.size(), designer.tabs.size()]
        sizes += [splitter.sizes() for splitter in designer.findChildren(QSplitter)
                  if splitter.isVisible()]
        return sizes

    async def open_crews() -> list[list[object]]:
        window.tabs.setCurrentWidget(designer)
        seen = []
        for crew in ("example:research_writer", "example:managed_launch",
                     "example:python_data_analyst", "example:topic_briefs"):
            assert await designer.open_crew(crew), designer.status()
            seen.append(await layout())
            window.tabs.setCurrentWidget(window.dashboard)
            await _settle()
            window.tabs.setCurrentWidget(designer)
            seen.append(await layout())
        return seen

    seen = arun(open_crews())
    assert all(sizes == seen[0] for sizes in seen), seen
    arun(close_window(window))
