"""The designer's bars: the crew list on the left, the recovery and read-only banners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.crew_library import CrewEntry, RecoveryEntry
from desktop_app.ui._theme import themed_sheet

ID_ROLE = Qt.ItemDataRole.UserRole
"""The list items' data role holding the crew id."""

DIRTY_MARK = "•"
"""Marks a crew with unsaved changes, in the list and in the title."""


class CrewList(QWidget):
    """The crews of the library and the examples, with New / Delete / Open / Import buttons.

    Signals:
        crewActivated(str): The user picked the crew with this id.
        newRequested(): New crew.
        deleteRequested(str): Delete the crew with this id.
        openFileRequested(): Open a crew file from disk.
        importRequested(): Import a CrewAI project.
    """

    crewActivated = Signal(str)
    newRequested = Signal()
    deleteRequested = Signal(str)
    openFileRequested = Signal()
    importRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty list; `show_entries` fills it."""
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("crewList")
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_clicked)
        self._entries: list[CrewEntry] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Crews"))
        layout.addWidget(self.list)
        row = QGridLayout()  # two by two: the list stays narrow beside the editor
        for position, (text, name, signal) in enumerate((
            ("New", "newCrew", self.newRequested),
            ("Delete", "deleteCrew", None),
            ("Open file…", "openFile", self.openFileRequested),
            ("Import CrewAI…", "importCrewai", self.importRequested),
        )):
            button = QPushButton(text)
            button.setObjectName(name)
            if signal is None:
                button.clicked.connect(self._on_delete_button_clicked)
            else:
                button.clicked.connect(signal.emit)
            row.addWidget(button, position // 2, position % 2)
        layout.addLayout(row)

    def show_entries(
        self, entries: Sequence[CrewEntry], current: str | None, draft_title: str | None
    ) -> None:
        """Lists the crews; `current` is marked when `draft_title` says it is unsaved.

        Args:
            entries: The library's crews and examples.
            current: The id of the crew open in the editor, if saved.
            draft_title: The title of the open crew when it has unsaved changes (or is new).
        """
        self._entries = list(entries)
        self.list.clear()
        if current is None and draft_title is not None:
            item = QListWidgetItem(f"{DIRTY_MARK} {draft_title} (not saved)")
            item.setData(ID_ROLE, "")
            self.list.addItem(item)
            self.list.setCurrentItem(item)
        for entry in entries:
            text = entry.name + (" (example)" if entry.is_example else "")
            if entry.id == current and draft_title is not None:
                text = f"{DIRTY_MARK} {text}"
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, entry.id)
            self.list.addItem(item)
            if entry.id == current:
                self.list.setCurrentItem(item)

    def texts(self) -> list[str]:
        """The lines shown (tests and accessibility)."""
        return [self.list.item(row).text() for row in range(self.list.count())]

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        crew_id = item.data(ID_ROLE)
        if crew_id:
            self.crewActivated.emit(str(crew_id))

    def _on_delete_button_clicked(self) -> None:
        item = self.list.currentItem()
        crew_id = item.data(ID_ROLE) if item is not None else None
        if crew_id:
            self.deleteRequested.emit(str(crew_id))


class Banner(QFrame):
    """A line of text with buttons across the top of the designer, hidden when not needed."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        """Builds a hidden banner."""
        super().__init__(parent)
        self.setObjectName(name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        themed_sheet(self, f"#{name} {{ background: #fff6d5; }} QLabel {{ color: #713f12; }}",
                     f"#{name} {{ background: #3d3415; }} QLabel {{ color: #fde68a; }}")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.row = QHBoxLayout(self)
        self.row.addWidget(self.label, 1)
        self.hide()

    def add_button(self, text: str, name: str) -> QPushButton:
        """Adds a button at the end of the banner."""
        button = QPushButton(text)
        button.setObjectName(name)
        self.row.addWidget(button)
        return button


class RecoveryBanner(Banner):
    """Offers the recovery copies of unsaved edits found at start.

    Signals:
        restoreRequested(str): Open the recovered edits of this id.
        discardRequested(str): Throw away the recovery copy of this id.
    """

    restoreRequested = Signal(str)
    discardRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds a hidden banner."""
        super().__init__("recoveryBanner", parent)
        self.choice = QComboBox()
        self.choice.setObjectName("recoveryChoice")
        self.row.insertWidget(1, self.choice)
        self.restore_button = self.add_button("Restore", "restoreRecovery")
        self.discard_button = self.add_button("Discard", "discardRecovery")
        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        self.discard_button.clicked.connect(self._on_discard_button_clicked)

    def show_entries(self, entries: Sequence[RecoveryEntry]) -> None:
        """Offers these recovery copies, or hides the banner when there are none."""
        self.choice.clear()
        for entry in entries:
            when = datetime.fromtimestamp(entry.saved_at).strftime("%Y-%m-%d %H:%M")
            self.choice.addItem(f"{entry.document.name or 'Untitled'} ({when})", entry.id)
        count = len(entries)
        self.label.setText(
            f"Unsaved edits of {count} crew{'s' if count != 1 else ''} were recovered "
            "from the last session."
        )
        self.setVisible(count > 0)

    def _on_restore_button_clicked(self) -> None:
        crew_id = self.choice.currentData()
        if crew_id:
            self.restoreRequested.emit(str(crew_id))

    def _on_discard_button_clicked(self) -> None:
        crew_id = self.choice.currentData()
        if crew_id:
            self.discardRequested.emit(str(crew_id))
