"""`HistoryView`: the runs kept in the history, and the full output of the selected one.

Every database call goes through the async `RunHistory` API (its own worker thread), so the
GUI thread never waits on SQLite. Typing in the search field refreshes the table after a short
pause; selecting a run loads its record (the latest selection wins).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.forks import ForkLink, RunForks
from desktop_app.storage.history import RunRecord, RunStatus, RunSummary
from desktop_app.storage.stop_reasons import status_text, stop_reasons
from desktop_app.ui._run_modes import mode_label
from desktop_app.ui.history._compare import CompareDialog
from desktop_app.ui.history._fork import ForkDialog
from desktop_app.ui.history._lineage import tree_order
from desktop_app.ui.history._table import RunTableModel, format_cost, format_duration
from desktop_app.ui.history._text import inputs_text, report_text, task_texts
from desktop_app.ui.history._trace import TraceDialog, open_trace
from desktop_app.ui.widgets.ask import ask, choose_path
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.protocols import ServicesLike
from desktop_app.ui.widgets.tasks import TaskOwner

SEARCH_DELAY_MS = 250
"""How long after the last keystroke the search runs."""

_STATUSES: tuple[RunStatus, ...] = (
    "finished", "failed", "cancelled", "interrupted", "running", "queued"
)


class HistoryView(QWidget):
    """Browses the run history.

    Attributes:
        model: The rows of the table.
        record: The run shown below the table, if any.

    Signals:
        rerunRequested(str): The user asked to run again the run with this id.
        forkRequested(object): The user asked to run a fork (a `ForkChoice`, `_fork`).
    """

    rerunRequested = Signal(str)
    forkRequested = Signal(object)

    def __init__(self, services: ServicesLike, parent: QWidget | None = None) -> None:
        """Builds the view; call `refresh()` to load the runs (it also loads once shown).

        Args:
            services: The app's services (`history` is used).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._history = services.history
        self._tasks = TaskOwner(self._on_task_failed)
        self._loaded_once = False
        self._generation = 0
        self._refresh_lock = asyncio.Lock()
        self._selected_id: str | None = None
        self.model = RunTableModel()
        self.record: RunRecord | None = None
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self._tasks.spawn(self.refresh()))
        self._build()
        self._show_record(None)

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.search_edit = named(QLineEdit(), "historySearch")
        self.search_edit.setPlaceholderText("Search crews, inputs and output…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.status_box = named(QComboBox(), "historyStatus")
        self.status_box.addItem("All runs", None)
        for status in _STATUSES:
            self.status_box.addItem(status.capitalize(), status)
        self.status_box.currentIndexChanged.connect(self._on_search_edit_text_changed)
        self.table = named(QTableView(), "runTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.header_label = named(QLabel(), "runHeader")
        self.header_label.setWordWrap(True)
        self.error_label = named(QLabel(), "runError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.output_tabs = named(QTabWidget(), "runTabs")
        self.status_label = named(QLabel(), "historyStatusLine")
        self.buttons: dict[str, QPushButton] = {}
        for text, name, slot in (
            ("Copy output", "copyOutput", self.copy_output),
            ("Save output…", "saveOutput", lambda: self._tasks.spawn(self._choose_save())),
            ("Run again", "runAgain", self._on_run_again_clicked),
            ("Trace…", "showTrace", lambda: self.open_trace()),
            ("Fork here…", "forkHere", lambda: self.open_fork()),
            ("Compare…", "compareRuns", lambda: self.open_compare()),
            ("Delete", "deleteRun", lambda: self._tasks.spawn(self.delete_selected(True))),
        ):
            button = named(QPushButton(text), name)
            button.clicked.connect(slot)
            self.buttons[name] = button
        self._layout()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.status_box)
        detail = QWidget()
        column = QVBoxLayout(detail)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.header_label)
        column.addWidget(self.error_label)
        column.addWidget(self.output_tabs, 1)
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("historySplitter")  # remembered between sessions
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override  # noqa: N802
        """Loads the runs the first time the view is shown."""
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self._tasks.spawn(self.refresh())

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_task_failed(self, error: BaseException) -> None:
        self._say(f"Failed: {error}")

    # -- loading -----------------------------------------------------------------------

    async def refresh(self) -> None:
        """Reloads the runs that match the search, keeping the selected run selected.

        Refreshes run one after another, so the table ends up showing the latest search.
        """
        self._loaded_once = True
        async with self._refresh_lock:
            search = self.search_edit.text().strip() or None
            status = self.status_box.currentData()
            runs = await self._history.list_runs(search, limit=500, status=status)
            links = await RunForks(self._history).links()
            self.model.stop_reasons = await stop_reasons(self._history, [r.run_id for r in runs])
            await self._show_runs(runs, search, links)

    async def _show_runs(
        self, runs: list[RunSummary], search: str | None, links: dict[str, ForkLink]
    ) -> None:
        selected = self._selected_id
        self.model.set_runs(*tree_order(runs, links))  # forks under the run they came from
        self._say(f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
                  + (f" matching “{search}”" if search else ""))
        row = self.model.row_of(selected) if selected else -1
        if row >= 0:
            self.table.selectRow(row)
        await self.show_run(selected if row >= 0 else None)  # fresh: the run may have ended

    def _on_search_edit_text_changed(self, *_args: object) -> None:
        self._search_timer.start()

    def _on_table_selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = {index.row() for index in selected.indexes()}
        if not rows:
            return  # a reset of the model; `refresh` selects the run again
        run_id = self.model.runs[min(rows)].run_id
        self._selected_id = run_id
        if self.record is None or run_id != self.record.run_id:
            self._tasks.spawn(self.show_run(run_id))

    async def show_run(self, run_id: str | None) -> RunRecord | None:
        """Loads a run's record and shows it (None clears the panel). The latest call wins."""
        self._generation += 1
        generation = self._generation
        record = None if run_id is None else await self._history.get_run(run_id)
        if generation == self._generation:
            self._show_record(record)
        return record

    def select_run(self, run_id: str) -> bool:
        """Selects a run of the table (its record loads in the background)."""
        row = self.model.row_of(run_id)
        if row >= 0:
            self._selected_id = run_id
            self.table.selectRow(row)
        return row >= 0

    def _show_record(self, record: RunRecord | None) -> None:
        self.record = record
        self.output_tabs.clear()
        for button in self.buttons.values():
            button.setEnabled(record is not None)
        if record is None:
            self.header_label.setText("Select a run to see its output.")
            self.error_label.hide()
            return
        duration = format_duration(record) or "not finished"
        cost = format_cost(record.cost_usd)
        self.header_label.setText(
            f"<b>{record.crew_name}</b> — "
            f"{status_text(record.status, self.model.stop_reasons.get(record.run_id))}, "
            f"{mode_label(record.mode)}, {duration}"
            + (f", {cost}" if cost else "")
        )
        self.error_label.setText(record.error or "")
        self.error_label.setVisible(bool(record.error))
        for task in task_texts(record):
            self._add_tab(task.title, task.text or "(no output)")
        if record.final_output:
            self._add_tab("Final output", record.final_output)
        self._add_tab("Inputs", inputs_text(record))

    def _add_tab(self, title: str, text: str) -> None:
        edit = QPlainTextEdit()
        edit.setReadOnly(True)
        edit.setPlainText(text)
        self.output_tabs.addTab(edit, title)

    def tab_texts(self) -> dict[str, str]:
        """The text of every tab of the shown run, by title."""
        texts: dict[str, str] = {}
        for index in range(self.output_tabs.count()):
            widget = self.output_tabs.widget(index)
            if isinstance(widget, QPlainTextEdit):
                texts[self.output_tabs.tabText(index)] = widget.toPlainText()
        return texts

    # -- actions -----------------------------------------------------------------------

    def copy_output(self) -> str:
        """Copies the whole output of the shown run to the clipboard, and returns it."""
        if self.record is None:
            return ""
        text = report_text(self.record)
        QApplication.clipboard().setText(text)
        self._say("Output copied.")
        return text

    async def save_output(self, path: Path) -> bool:
        """Writes the whole output of the shown run to a text file."""
        if self.record is None:
            return False
        text = report_text(self.record)
        try:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as exc:
            self._say(f"Not saved: {exc}")
            return False
        self._say(f"Saved to {path}.")
        return True

    async def _choose_save(self) -> None:
        if self.record is None:
            return
        path = await choose_path(self, "Save run output", save=True,
                                 name_filter="Text files (*.txt *.md)")
        if path is not None:
            await self.save_output(path)

    def _on_run_again_clicked(self) -> None:
        if self.record is not None:
            self.rerunRequested.emit(self.record.run_id)

    def open_fork(self, start: int | None = None) -> ForkDialog | None:
        """Opens "Fork here" on the shown run, from task `start` (default: the task whose
        tab is shown, else the first); its "Run fork" emits `forkRequested`."""
        if self.record is None:
            return None
        tab = self.output_tabs.currentIndex()
        dialog = ForkDialog(self.record, start if start is not None else max(tab, 0), self)
        dialog.chosen.connect(self.forkRequested.emit)
        dialog.open()
        return dialog

    def open_compare(self, other_id: str | None = None) -> CompareDialog | None:
        """Opens Compare on the shown run and another (default: its parent or its first
        fork, else the next run of its crew in the table)."""
        if self.record is None:
            return None
        dialog = CompareDialog(self._history, self.record, self.model.runs, other_id, self,
                               labels=self.model.labels)
        dialog.open()
        return dialog

    def open_trace(self) -> TraceDialog | None:
        """Opens the Trace window of the shown run (every LLM call, tool call... of it)."""
        if self.record is None:
            return None
        return open_trace(self._history, self.record.run_id, self.record.crew_name, self)

    async def delete_selected(self, confirm: bool = False) -> bool:
        """Deletes the shown run from the history (after asking, when `confirm`)."""
        record = self.record
        if record is None:
            return False
        if confirm:
            answer = await ask(self, "Delete run", f"Delete this run of “{record.crew_name}”?",
                               QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                               QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        deleted = await self._history.delete_run(record.run_id)
        self.record = None
        self._selected_id = None
        await self.refresh()
        return deleted

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override  # noqa: N802
        """Stops the view's tasks."""
        self._tasks.cancel_all()
        super().closeEvent(event)
