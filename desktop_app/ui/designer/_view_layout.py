"""The designer's toolbar and layout: the buttons and shortcuts above the canvas, the canvas
beside the tabs (its inspector), and the crew list beside the editor (splitters).

Built for `DesignerView` (which calls these once from its constructor), kept apart from the
view's logic of showing, opening and saving crews.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui import _icons, _welcome_designer
from desktop_app.ui._welcome import WelcomeView
from desktop_app.ui.designer import _view_files

if TYPE_CHECKING:
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["build_toolbar", "lay_out"]

_BUTTON_ICONS = {"save": "save", "saveAs": "save-as", "export": "export", "undo": "undo",
                 "redo": "redo", "run": "run"}


def build_toolbar(view: DesignerView) -> QHBoxLayout:
    """The row of Save, Save as new, Export, Undo, Redo and Run (and their shortcuts)."""
    row = QHBoxLayout()
    view.undo_action = view.editor.undo_stack.createUndoAction(view, "Undo")
    view.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
    view.redo_action = view.editor.undo_stack.createRedoAction(view, "Redo")
    redo_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
    for extra in ("Ctrl+Shift+Z", "Ctrl+Y"):
        if QKeySequence(extra) not in redo_keys:
            redo_keys.append(QKeySequence(extra))
    view.redo_action.setShortcuts(redo_keys)
    for action in (view.undo_action, view.redo_action):
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        view.addAction(action)
    save = QAction("Save", view, shortcut=QKeySequence(QKeySequence.StandardKey.Save))
    save.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    save.triggered.connect(lambda: view.spawn(view.save()))
    view.addAction(save)
    view.buttons = {}
    for text, name, slot in (
        ("Save", "save", lambda: view.spawn(view.save())),
        ("Save as new", "saveAs", lambda: view.spawn(view.save_as())),
        ("Export CrewAI…", "export", lambda: view.spawn(_view_files.choose_export(view))),
        ("Undo", "undo", view.undo_action.trigger),
        ("Redo", "redo", view.redo_action.trigger),
        ("Run", "run", lambda: view.spawn(view.run())),
    ):
        button = QPushButton(text)
        button.setObjectName(name)
        _icons.use(button, _BUTTON_ICONS[name], "accent" if name == "run" else "text")
        button.clicked.connect(slot)
        view.buttons[name] = button
        row.addWidget(button)
    view.undo_action.enabledChanged.connect(view.buttons["undo"].setEnabled)
    view.redo_action.enabledChanged.connect(view.buttons["redo"].setEnabled)
    view.buttons["undo"].setEnabled(False)
    view.buttons["redo"].setEnabled(False)
    row.addStretch(1)
    return row

def lay_out(view: DesignerView, toolbar: QHBoxLayout) -> None:
    """The crew list beside the banners, the toolbar, the canvas beside the tabs, the status."""
    work = QSplitter()
    work.setObjectName("canvasSplitter")
    work.addWidget(view.canvas)
    work.addWidget(view.tabs)
    work.setStretchFactor(0, 3)
    work.setStretchFactor(1, 2)
    work.setSizes([580, 450])  # the inspector wide enough for its forms
    for page in (view.agents_page, view.tasks_page):
        inner = page.findChild(QSplitter)
        if inner is not None:
            inner.setSizes([130, 320])  # as an inspector, the form matters more than the list
    right = QWidget()
    column = QVBoxLayout(right)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(view.recovery_banner)
    column.addWidget(view.example_banner)
    column.addWidget(view.project_panel)
    column.addLayout(toolbar)
    column.addWidget(work, 1)
    column.addWidget(view.status_label)
    view.welcome = WelcomeView()
    view.pages = QStackedWidget()
    view.pages.addWidget(right)  # 0: the open crew
    view.pages.addWidget(view.welcome)  # 1: when none is open (see ui._welcome_designer)
    _welcome_designer.install(view)
    splitter = QSplitter()
    splitter.setObjectName("designerSplitter")  # named splitters are remembered (settings)
    splitter.addWidget(view.crew_list)
    splitter.addWidget(view.pages)
    splitter.setStretchFactor(1, 4)
    layout = QVBoxLayout(view)
    layout.addWidget(splitter)
