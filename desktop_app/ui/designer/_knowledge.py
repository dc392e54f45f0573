"""`KnowledgeList`: the knowledge sources of a crew or an agent, with Add file…, Add text…, Remove.

The list never changes the document itself: it emits `sourcesEdited` with the new list, and
its page sends that to the `CrewEditor` as one undoable step; the page shows the document's
list back with `show_sources`. Files are chosen and texts typed in window-modal dialogs opened
without a nested event loop (`ask.finished`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.documents import KnowledgeSourceSpec, kind_of_file
from desktop_app.ui.widgets.ask import choose_path, finished
from desktop_app.ui.widgets.tasks import TaskOwner

FILE_FILTER = "Knowledge files (*.txt *.md *.markdown *.csv *.json *.pdf);;All files (*)"
"""The files offered by Add file…; any other file is read as text."""


def describe(spec: KnowledgeSourceSpec) -> str:
    """A source as one line of the list: its kind, then its file name or its first words."""
    return f"{'text' if spec.kind == 'string' else spec.kind}: {spec.label()}"


class KnowledgeList(QWidget):
    """Edits a list of knowledge sources.

    Attributes:
        list_widget: One line per source (the file's path or the whole text as tooltip).
        start_dir: Where Add file… starts (the last folder a file came from).

    Signals:
        sourcesEdited(object): The user changed the list (a new list of `KnowledgeSourceSpec`).
    """

    sourcesEdited = Signal(object)

    def __init__(self, name: str, tasks: TaskOwner, parent: QWidget | None = None) -> None:
        """Builds the list and its buttons.

        Args:
            name: Prefix of the widgets' object names (``crew``, ``agents``).
            tasks: Owns the dialogs' tasks (the view's, cancelled when it closes).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._tasks = tasks
        self._specs: list[KnowledgeSourceSpec] = []
        self.start_dir: Path | None = None
        self.list_widget = QListWidget()
        self.list_widget.setObjectName(f"{name}_knowledge")
        self.list_widget.setMaximumHeight(96)
        self.list_widget.currentRowChanged.connect(self._on_list_widget_current_row_changed)
        self.add_file_button = self._button("Add file…", f"{name}_add_knowledge_file")
        self.add_file_button.clicked.connect(lambda: self._tasks.spawn(self.add_file()))
        self.add_text_button = self._button("Add text…", f"{name}_add_knowledge_text")
        self.add_text_button.clicked.connect(lambda: self._tasks.spawn(self.add_text()))
        self.remove_button = self._button("Remove", f"{name}_remove_knowledge")
        self.remove_button.clicked.connect(self.remove_selected)
        self.remove_button.setEnabled(False)
        buttons = QHBoxLayout()
        for button in (self.add_file_button, self.add_text_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.list_widget)
        column.addLayout(buttons)

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        return button

    def sources(self) -> list[KnowledgeSourceSpec]:
        """The sources shown."""
        return list(self._specs)

    def lines(self) -> list[str]:
        """The lines of the list, as shown."""
        return [self.list_widget.item(row).text() for row in range(self.list_widget.count())]

    def show_sources(self, specs: Sequence[KnowledgeSourceSpec]) -> None:
        """Shows ``specs`` (the document's), keeping the selection where it can."""
        if list(specs) == self._specs:
            return
        self._specs = list(specs)
        row = self.list_widget.currentRow()
        blocked = self.list_widget.blockSignals(True)
        try:
            self.list_widget.clear()
            for spec in self._specs:
                self.list_widget.addItem(describe(spec))
                item = self.list_widget.item(self.list_widget.count() - 1)
                item.setToolTip(spec.path or spec.content or "")
            self.list_widget.setCurrentRow(min(row, len(self._specs) - 1))
        finally:
            self.list_widget.blockSignals(blocked)
        self.remove_button.setEnabled(self.list_widget.currentRow() >= 0)

    async def add_file(self, path: Path | None = None) -> bool:
        """Adds a file source (its kind from the file's suffix); asks for the file when
        ``path`` is None.

        Returns:
            True when a source was added.
        """
        if path is None:
            path = await choose_path(
                self, "Add a knowledge file", name_filter=FILE_FILTER, start=self.start_dir
            )
            if path is None:
                return False
        self.start_dir = path.parent
        spec = KnowledgeSourceSpec(kind=kind_of_file(path.name), path=str(path))
        self.sourcesEdited.emit([*self._specs, spec])
        return True

    async def add_text(self, text: str | None = None) -> bool:
        """Adds a text source; asks for the text when ``text`` is None.

        Returns:
            True when a source was added (an empty text adds nothing).
        """
        if text is None:
            dialog = QInputDialog(self)
            dialog.setObjectName("knowledgeTextDialog")
            dialog.setWindowTitle("Add knowledge text")
            dialog.setLabelText("A text the agents may draw on (facts, a policy, notes):")
            dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
            if await finished(dialog) != QDialog.DialogCode.Accepted:
                return False
            text = dialog.textValue()
        if not text.strip():
            return False
        self.sourcesEdited.emit([*self._specs, KnowledgeSourceSpec(kind="string", content=text)])
        return True

    def remove_selected(self) -> None:
        """Removes the selected source."""
        row = self.list_widget.currentRow()
        if 0 <= row < len(self._specs):
            self.sourcesEdited.emit(self._specs[:row] + self._specs[row + 1 :])

    def _on_list_widget_current_row_changed(self, row: int) -> None:
        self.remove_button.setEnabled(row >= 0)
