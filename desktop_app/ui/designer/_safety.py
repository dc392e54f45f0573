"""`SafetyFields`: the crew page's approval, "run unsandboxed", workspace and allowed files.

These are the crew's settings of what its tools may do (`CrewSettings.approval`,
`allow_unsandboxed`, `workspace`, `allowed_paths`):

* Approval: before a tool runs code, reaches the network, writes a file, reads outside the
  crew's folder or calls an MCP tool, Ask (the run's panel shows Run / Deny / Always), run it
  Always, or Never run it. A crew opened from a file starts at Ask.
* Run model code unsandboxed: lets code run where no OS sandbox works on this machine.
* Workspace: the folder file tools and knowledge are confined to (empty: the crew file's).
* Allowed files outside the folder: files or folders the crew may read by name.

A CrewAI project's approval is also kept in the app settings by crew id (`keep_approval`,
`kept_approval`), since its YAML has no such field. Like every field of the page, each change
is one undoable step of the `CrewEditor`; the page
shows the document back with `show_settings`. Folders and files are chosen in dialogs opened without
a nested event loop (`choose_path`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents.model import CrewDocument
from desktop_app.engine.approval import Policy
from desktop_app.ui.designer import _edits
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.widgets.ask import choose_path
from desktop_app.ui.widgets.protocols import ServicesLike
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["APPROVAL_CHOICES", "SafetyFields", "keep_approval", "kept_approval"]

APPROVAL_CHOICES: tuple[tuple[str, str], ...] = (
    ("Ask before each call", "ask"),
    ("Always run", "always"),
    ("Never run", "never"),
)
"""The approval box's items: label and `CrewSettings.approval` value."""

UNSANDBOXED_WARNING = (
    "⚠ Code the model writes then runs with your files, keys and network where no OS "
    "sandbox works on this machine."
)


class SafetyFields(QObject):
    """The approval box, the unsandboxed checkbox, the workspace and the allowed files
    (the page lays out `approval_box`, `unsandboxed_row`, `workspace_row`, `allowed_row`).

    Attributes:
        approval_box: Ask / Always / Never.
        unsandboxed_box: "Run model code unsandboxed".
        workspace_edit: The workspace folder (read-only; Choose… and Clear change it).
        allowed_list: The allowed files and folders outside it.
    """

    def __init__(self, editor: CrewEditor, tasks: TaskOwner, page: QWidget) -> None:
        """Builds the fields.

        Args:
            editor: The crew being designed.
            tasks: Owns the tasks of the file dialogs (the view's).
            page: The page that shows them (the Qt parent, and the dialogs' window).
        """
        super().__init__(page)
        self._page = page
        self._editor = editor
        self._tasks = tasks
        self.approval_box = QComboBox()
        self.approval_box.setObjectName("crew_approval")
        for label, value in APPROVAL_CHOICES:
            self.approval_box.addItem(label, value)
        self.approval_box.setToolTip(
            "Before a tool runs code, reaches the network, writes a file, reads outside the "
            "crew's folder or calls an MCP tool")
        self.approval_box.activated.connect(self._on_approval_box_activated)
        self.unsandboxed_box = QCheckBox("Run model code unsandboxed")
        self.unsandboxed_box.setObjectName("crew_allow_unsandboxed")
        self.unsandboxed_box.toggled.connect(self._on_unsandboxed_box_toggled)
        self.unsandboxed_warning = QLabel(UNSANDBOXED_WARNING)
        self.unsandboxed_warning.setWordWrap(True)
        self.unsandboxed_warning.setStyleSheet("color: #b45309;")
        self.workspace_row = self._build_workspace()
        self.allowed_row = self._build_allowed()
        self.unsandboxed_row = QWidget()
        column = QVBoxLayout(self.unsandboxed_row)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.unsandboxed_box)
        column.addWidget(self.unsandboxed_warning)

    def _build_workspace(self) -> QWidget:
        self.workspace_edit = QLineEdit()
        self.workspace_edit.setObjectName("crew_workspace")
        self.workspace_edit.setReadOnly(True)
        self.workspace_edit.setPlaceholderText("the crew file's folder")
        self.workspace_button = _button("Choose…", "crew_choose_workspace")
        self.workspace_button.clicked.connect(lambda: self._tasks.spawn(self.choose_workspace()))
        self.workspace_clear = _button("Clear", "crew_clear_workspace")
        self.workspace_clear.clicked.connect(lambda: self.set_workspace(None))
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        for widget in (self.workspace_edit, self.workspace_button, self.workspace_clear):
            line.addWidget(widget)
        line.setStretch(0, 1)
        return row

    def _build_allowed(self) -> QWidget:
        self.allowed_list = QListWidget()
        self.allowed_list.setObjectName("crew_allowed_paths")
        self.allowed_list.setMaximumHeight(72)
        self.add_file_button = _button("Add file…", "crew_allow_file")
        self.add_file_button.clicked.connect(lambda: self._tasks.spawn(self.add_allowed()))
        self.add_folder_button = _button("Add folder…", "crew_allow_folder")
        self.add_folder_button.clicked.connect(
            lambda: self._tasks.spawn(self.add_allowed(directory=True)))
        self.remove_allowed_button = _button("Remove", "crew_remove_allowed")
        self.remove_allowed_button.clicked.connect(self.remove_selected_allowed)
        buttons = QHBoxLayout()
        for button in (self.add_file_button, self.add_folder_button, self.remove_allowed_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QWidget()
        column = QVBoxLayout(row)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.allowed_list)
        column.addLayout(buttons)
        return row

    # -- showing the document ----------------------------------------------------------

    def show_settings(self, doc: CrewDocument) -> None:
        """Shows the document's settings (signals blocked: showing is no edit)."""
        settings = doc.settings
        index = max(0, self.approval_box.findData(settings.approval))
        if self.approval_box.currentIndex() != index:
            self.approval_box.setCurrentIndex(index)
        blocked = self.unsandboxed_box.blockSignals(True)
        self.unsandboxed_box.setChecked(settings.allow_unsandboxed)
        self.unsandboxed_box.blockSignals(blocked)
        self.unsandboxed_warning.setVisible(settings.allow_unsandboxed)
        self.workspace_edit.setText(settings.workspace or "")
        self.workspace_clear.setEnabled(settings.workspace is not None)
        if self.allowed_paths() != settings.allowed_paths:
            self.allowed_list.clear()
            self.allowed_list.addItems(settings.allowed_paths)
        self.remove_allowed_button.setEnabled(bool(settings.allowed_paths))

    def allowed_paths(self) -> list[str]:
        """The allowed files and folders, as shown."""
        return [self.allowed_list.item(row).text() for row in range(self.allowed_list.count())]

    # -- edits -------------------------------------------------------------------------

    def set_approval(self, value: str) -> None:
        """Sets the crew's approval ("ask", "always" or "never") as one undoable step."""
        self._set("approval", value, "Change approval")

    def set_workspace(self, folder: Path | str | None) -> None:
        """Sets (None: clears) the workspace folder as one undoable step."""
        self._set("workspace", None if folder is None else str(folder), "Change workspace")

    async def choose_workspace(self) -> bool:
        """Asks for the workspace folder; returns whether one was chosen."""
        current = self._editor.document.settings.workspace
        folder = await choose_path(self._page, "Choose the crew's workspace folder", directory=True,
                                   start=Path(current) if current else None)
        if folder is None:
            return False
        self.set_workspace(folder)
        return True

    async def add_allowed(self, path: Path | None = None, *, directory: bool = False) -> bool:
        """Adds an allowed file (or folder); asks for it when `path` is None."""
        if path is None:
            what = "folder" if directory else "file"
            path = await choose_path(self._page, f"Allow a {what} outside the workspace",
                                     directory=directory)
            if path is None:
                return False
        paths = self._editor.document.settings.allowed_paths
        if str(path) in paths:
            return False
        self._set("allowed_paths", [*paths, str(path)], "Allow a path")
        return True

    def remove_selected_allowed(self) -> None:
        """Removes the selected allowed path (the last one when none is selected)."""
        paths = list(self._editor.document.settings.allowed_paths)
        if not paths:
            return
        row = self.allowed_list.currentRow()
        del paths[row if 0 <= row < len(paths) else -1]
        self._set("allowed_paths", paths, "Remove an allowed path")

    def _set(self, name: str, value: Any, text: str) -> None:
        if getattr(self._editor.document.settings, name) != value:
            self._editor.edit(text, lambda doc: _edits.set_value(doc, ("settings", name), value))

    def _on_approval_box_activated(self, _index: int) -> None:
        self.set_approval(str(self.approval_box.currentData()))

    def _on_unsandboxed_box_toggled(self, on: bool) -> None:
        self._set("allow_unsandboxed", on,
                  "Run model code unsandboxed" if on else "Run model code sandboxed only")


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    return button


async def kept_approval(
    services: ServicesLike, crew_id: str, document: CrewDocument
) -> CrewDocument:
    """The document with the approval the app settings keep for the crew (a CrewAI
    project's: its YAML has no such field), when they keep one."""
    loaded = await services.settings.aload()
    kept = loaded.settings.crew_approvals.get(crew_id)
    if kept is None or kept == document.settings.approval:
        return document
    settings = document.settings.model_copy(update={"approval": kept})
    return document.model_copy(update={"settings": settings})


async def keep_approval(services: ServicesLike, crew_id: str, approval: Policy) -> None:
    """Keeps a CrewAI project's approval, chosen on the crew page, in the app settings
    (where its runs read it; the project's files cannot keep it)."""
    loaded = await services.settings.aload()
    if loaded.settings.crew_approvals.get(crew_id) != approval:
        settings = loaded.settings.model_copy(deep=True)
        settings.crew_approvals[crew_id] = approval
        await services.save_settings(settings)
