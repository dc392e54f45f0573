"""`MemoryDialog`: the crews' memory and knowledge stores, to look into, search, reset, delete.

Each crew with memory or knowledge has a store file of each kind in the app's data folder
(``memory/`` and ``knowledge/``). The dialog lists them with the crew they belong to, their
items by kind, their size and path; shows the selected store's items (newest first, or the
best matches of a search); empties a store (Reset) or removes its file (Delete), after asking.
A store that a running crew holds cannot be deleted: the dialog says so.

Every file and SQLite call runs in a worker thread (`asyncio.to_thread`), in tasks the dialog
owns and cancels when it closes. Questions use `ask()` (no nested event loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.memory import StoredItem, StoreInUseError, delete_store, reset_store
from desktop_app.ui.memory._stores import (
    StoreRow,
    find_items,
    item_kinds,
    load_rows,
    size_text,
)
from desktop_app.ui.widgets.ask import ask
from desktop_app.ui.widgets.protocols import ServicesLike
from desktop_app.ui.widgets.tasks import TaskOwner

_Button = QMessageBox.StandardButton
_STORE_COLUMNS = ("Crew", "Store", "Kind", "Items", "Size", "File")
_ITEM_COLUMNS = ("Kind", "Text", "Saved")
_ALL_KINDS = "all kinds"


class MemoryDialog(QDialog):
    """Lists the memory and knowledge stores; searches, resets and deletes them.

    Attributes:
        stores_table: One line per store file.
        items_table: The selected store's items, or the matches of the search.

    Signals:
        storesChanged(): A store was reset or deleted.
    """

    storesChanged = Signal()

    def __init__(
        self, services: ServicesLike, crew_name: str | None = None, parent: QWidget | None = None
    ) -> None:
        """Builds the dialog; `refresh` (started when it opens) fills it.

        Args:
            services: Where the data folder (`paths.data_dir`) and the crews (`library`) are.
            crew_name: The crew whose stores to select first, if any.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("memoryDialog")
        self.setWindowTitle("Memory and knowledge")
        self.resize(900, 560)
        self._services = services
        self._crew_name = crew_name
        self._rows: list[StoreRow] = []
        self._tasks = TaskOwner(self._on_task_failed)
        self._first: asyncio.Task[list[StoreRow]] | None = None
        self._build()
        self.finished.connect(self._on_finished)

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.stores_table = _table("memoryStores", _STORE_COLUMNS)
        self.stores_table.itemSelectionChanged.connect(self._on_stores_table_selection_changed)
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("memorySearch")
        self.search_edit.setPlaceholderText("search the selected store (empty: newest items)")
        self.search_edit.returnPressed.connect(lambda: self._tasks.spawn(self.search()))
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("memoryKind")
        self.search_button = self._button("Search", "memorySearchButton")
        self.search_button.clicked.connect(lambda: self._tasks.spawn(self.search()))
        self.items_table = _table("memoryItems", _ITEM_COLUMNS)
        self.items_table.header().setStretchLastSection(False)
        self.items_table.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.refresh_button = self._button("Refresh", "memoryRefresh")
        self.refresh_button.clicked.connect(lambda: self._tasks.spawn(self.refresh()))
        self.reset_button = self._button("Reset…", "memoryReset")
        self.reset_button.setToolTip("Delete the store's items (of the kind chosen); keep the file")
        self.reset_button.clicked.connect(lambda: self._tasks.spawn(self.reset()))
        self.delete_button = self._button("Delete…", "memoryDelete")
        self.delete_button.setToolTip("Delete the store's file")
        self.delete_button.clicked.connect(lambda: self._tasks.spawn(self.delete()))
        self.status_label = QLabel()
        self.status_label.setObjectName("memoryStatus")
        self.status_label.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        for button in close.buttons():  # Enter searches; it must not press Close (issue 14)
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)
        self._layout(close)
        self._show_selection()

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAutoDefault(False)
        return button

    def _layout(self, close: QDialogButtonBox) -> None:
        search = QHBoxLayout()
        search.addWidget(self.search_edit, 1)
        search.addWidget(self.kind_box)
        search.addWidget(self.search_button)
        lower = QWidget()
        column = QVBoxLayout(lower)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(search)
        column.addWidget(self.items_table)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.stores_table)
        splitter.addWidget(lower)
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.reset_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)

    # -- showing -----------------------------------------------------------------------

    def status(self) -> str:
        """The last status message."""
        return self.status_label.text()

    def rows(self) -> list[StoreRow]:
        """The stores listed, in table order."""
        return list(self._rows)

    def selected(self) -> StoreRow | None:
        """The selected store, if any."""
        items = self.stores_table.selectedItems()
        if not items:
            return None
        return self._rows[self.stores_table.indexOfTopLevelItem(items[0])]

    def select(self, row: StoreRow | None) -> None:
        """Selects a store (by its file), or nothing."""
        paths = [shown.info.path for shown in self._rows]
        index = paths.index(row.info.path) if row is not None and row.info.path in paths else -1
        self.stores_table.clearSelection()
        line = self.stores_table.topLevelItem(index) if index >= 0 else None
        if line is not None:
            line.setSelected(True)

    def item_texts(self) -> list[str]:
        """The texts of the items shown."""
        lines = (
            self.items_table.topLevelItem(i) for i in range(self.items_table.topLevelItemCount())
        )
        return [line.toolTip(1) for line in lines if line is not None]

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    def _show_rows(self, rows: Sequence[StoreRow]) -> None:
        chosen = self.selected()
        self._rows = list(rows)
        blocked = self.stores_table.blockSignals(True)
        try:
            self.stores_table.clear()
            for row in self._rows:
                info = row.info
                self.stores_table.addTopLevelItem(
                    QTreeWidgetItem(
                        [
                            row.crew or "—",
                            info.name,
                            info.kind,
                            row.counts_text(),
                            size_text(info.size_bytes),
                            str(info.path),
                        ]
                    )
                )
            for column in range(len(_STORE_COLUMNS) - 1):
                self.stores_table.resizeColumnToContents(column)
            wanted = chosen or next((r for r in self._rows if r.crew == self._crew_name), None)
            self.select(wanted)
        finally:
            self.stores_table.blockSignals(blocked)
        self._show_selection()

    def _show_selection(self) -> None:
        row = self.selected()
        for widget in (
            self.reset_button,
            self.delete_button,
            self.search_button,
            self.search_edit,
            self.kind_box,
        ):
            widget.setEnabled(row is not None)
        self.kind_box.clear()
        kinds = item_kinds(row) if row is not None else ()
        self.kind_box.addItems([_ALL_KINDS, *kinds] if len(kinds) > 1 else list(kinds))
        self.items_table.clear()

    def _show_items(self, items: Sequence[StoredItem]) -> None:
        self.items_table.clear()
        for item in items:
            text = " ".join(item.text.split())
            saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.created_at))
            line = QTreeWidgetItem([item.kind, text[:200], saved])
            line.setToolTip(1, item.text)
            self.items_table.addTopLevelItem(line)

    def _on_stores_table_selection_changed(self) -> None:
        self._show_selection()
        if self.selected() is not None:
            self._tasks.spawn(self.search(""))

    def showEvent(self, event: QShowEvent) -> None:  # Qt override  # noqa: N802
        """Reads the stores the first time the dialog shows."""
        super().showEvent(event)
        if self._first is None:
            self._first = self._tasks.spawn(self.refresh())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override  # noqa: N802
        """Enter in the search box searches (its `returnPressed`); it never closes the dialog."""
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.search_edit.hasFocus():
            event.accept()
            return
        super().keyPressEvent(event)

    async def ready(self) -> None:
        """Waits until the stores read when the dialog first showed are listed."""
        if self._first is not None:
            await asyncio.shield(self._first)

    def _on_task_failed(self, error: BaseException) -> None:
        self._say(f"Failed: {error}")

    def _on_finished(self, _code: int) -> None:
        self._tasks.cancel_all()

    # -- commands ----------------------------------------------------------------------

    async def refresh(self) -> list[StoreRow]:
        """Reads the stores again (the crews' names from the library)."""
        names = [entry.name for entry in await self._services.library.alist()]
        if self._crew_name:
            names.append(self._crew_name)
        rows = await asyncio.to_thread(load_rows, self._services.paths.data_dir, names)
        self._show_rows(rows)
        if self.selected() is not None:
            await self.search("")
        if not rows:
            self._say(
                "No crew has memory or knowledge yet: turn memory on or add knowledge "
                "in the designer, then run the crew."
            )
        elif self._crew_name and self.selected() is None:
            self._say(
                f"“{self._crew_name}” has no stores yet: run it with memory or knowledge first."
            )
        return rows

    async def search(self, query: str | None = None) -> list[StoredItem]:
        """Shows the selected store's items that match ``query`` (the search box when None).

        Returns:
            The items shown (nothing when no store is selected).
        """
        row = self.selected()
        if row is None:
            return []
        text = self.search_edit.text() if query is None else query
        kind = self.kind_box.currentText()
        found = await asyncio.to_thread(
            find_items,
            row,
            text,
            None if kind in ("", _ALL_KINDS) else kind,
            self._services.paths.data_dir,
        )
        if self.selected() is row:
            self._show_items(found)
            what = f"matching “{text}”" if text.strip() else "(newest first)"
            self._say(f"{len(found)} item(s) of {row.info.name} {what}.")
        return found

    async def reset(self, *, confirm: bool = True) -> bool:
        """Empties the selected store (of the kind chosen, or all), after asking.

        Returns:
            True when items were deleted or there were none to delete.
        """
        row = self.selected()
        if row is None:
            return False
        kind = self.kind_box.currentText()
        item_kind = None if kind in ("", _ALL_KINDS) else kind
        what = f"the {item_kind} items" if item_kind else "every item"
        if (
            confirm
            and await ask(
                self,
                "Reset store",
                f"Delete {what} of the {row.info.kind} store of {_owner(row)}? The file stays.",
                _Button.Yes | _Button.No,
                _Button.No,
            )
            != _Button.Yes
        ):
            return False
        info = row.info
        removed = await asyncio.to_thread(
            reset_store,
            info.name,
            item_kind=item_kind,
            kind=info.kind,
            storage_dir=self._services.paths.data_dir,
        )
        await self.refresh()
        self._say(f"Deleted {removed} item(s) of {info.name}.")
        self.storesChanged.emit()
        return True

    async def delete(self, *, confirm: bool = True) -> bool:
        """Deletes the selected store's file, after asking; refused while a crew runs with it.

        Returns:
            True when the file was deleted.
        """
        row = self.selected()
        if row is None:
            return False
        info = row.info
        if (
            confirm
            and await ask(
                self,
                "Delete store",
                f"Delete the {info.kind} store of {_owner(row)} for good?\n{info.path}",
                _Button.Yes | _Button.No,
                _Button.No,
            )
            != _Button.Yes
        ):
            return False
        try:
            await asyncio.to_thread(
                delete_store, info.name, info.kind, self._services.paths.data_dir
            )
        except StoreInUseError:
            self._say(
                f"The {info.kind} store of {_owner(row)} is in use by a running crew: "
                "stop its run, then delete it."
            )
            return False
        await self.refresh()
        self._say(f"Deleted {info.path}.")
        self.storesChanged.emit()
        return True


def _owner(row: StoreRow) -> str:
    return f"“{row.crew}”" if row.crew else f"“{row.info.name}”"


def _table(name: str, columns: Sequence[str]) -> QTreeWidget:
    table = QTreeWidget()
    table.setObjectName(name)
    table.setColumnCount(len(columns))
    table.setHeaderLabels(list(columns))
    table.setRootIsDecorated(False)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    return table
