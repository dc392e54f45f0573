"""The dashboard's left side: what to run, how, and the for-each table.

`DashboardSide` holds the widgets, top to bottom as Tab goes: the crews (check several to
run them together), the inputs of the crews a Run runs, the run mode, Run, the dry-run box, a
line for messages, and the `ForEachBox` (one run per row, typed or loaded from a JSONL file).
It runs nothing: `DashboardView` connects Run and "Run for each row" to its own slots.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui._run_modes import mode_label, mode_tooltip
from desktop_app.ui.controllers.run_controller import RunMode
from desktop_app.ui.dashboard.inputs import BatchTable, CrewPicker, InputsPanel, parse_jsonl
from desktop_app.ui.qt import asyncSlot

__all__ = ["RUN_MODES", "DashboardSide", "ForEachBox"]

RUN_MODES: tuple[RunMode, ...] = ("akickoff", "kickoff_async")


class ForEachBox(QGroupBox):
    """The for-each table of the highlighted crew, with Add row, Load JSONL… and Run.

    Rows are added and loaded here; "Run for each row" (`run_batch_button`) is the view's.
    """

    def __init__(self, say: Callable[[str], None], parent: QWidget | None = None) -> None:
        """Builds the box.

        Args:
            say: Shows a line for the user (why a file cannot be read; "" clears it).
            parent: The Qt parent.
        """
        super().__init__("For each (one run per row)", parent)
        self._say = say
        layout = QVBoxLayout(self)
        self.batch = BatchTable()
        layout.addWidget(self.batch, 1)
        self.add_row_button = QPushButton("Add row")
        self.load_batch_button = QPushButton("Load JSONL…")
        self.run_batch_button = QPushButton("Run for each row")
        buttons = QHBoxLayout()
        for button in (self.add_row_button, self.load_batch_button, self.run_batch_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.add_row_button.clicked.connect(self._on_add_row_button_clicked)
        self.load_batch_button.clicked.connect(self._on_load_batch_button_clicked)

    async def load_file(self, path: Path) -> int:
        """Fills the table from a JSONL file; returns the number of rows."""
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            rows = parse_jsonl(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self._say(f"Cannot read {path.name}: {exc}")
            return 0
        self.batch.set_rows(rows)
        self._say("")
        return len(rows)

    def _on_add_row_button_clicked(self) -> None:
        self.batch.add_row()

    def _on_load_batch_button_clicked(self) -> None:
        dialog = QFileDialog(self, "Load inputs (one JSON object per line)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("JSON Lines (*.jsonl *.ndjson);;All files (*)")
        dialog.fileSelected.connect(self._on_batch_dialog_fileSelected)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @asyncSlot(str)
    async def _on_batch_dialog_fileSelected(self, path: str) -> None:
        await self.load_file(Path(path))


class DashboardSide(QWidget):
    """The dashboard's left side (widgets only; the view reads and connects them)."""

    def __init__(self, default_mode: str, parent: QWidget | None = None) -> None:
        """Builds the side.

        Args:
            default_mode: The run mode shown first (the settings' default).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setMinimumWidth(280)
        self.setMaximumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addWidget(QLabel("<b>Crews</b> (check several to run them together)"))
        self.picker = CrewPicker()
        layout.addWidget(self.picker, 2)
        inputs_box = QGroupBox("Inputs")
        inputs_layout = QVBoxLayout(inputs_box)
        self.inputs_panel = InputsPanel()
        inputs_layout.addWidget(self.inputs_panel)
        layout.addWidget(inputs_box)
        layout.addLayout(self._build_run_row(default_mode))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b91c1c;")
        layout.addWidget(self.message)
        self.for_each = ForEachBox(self.message.setText)
        layout.addWidget(self.for_each, 2)

    def _build_run_row(self, default_mode: str) -> QVBoxLayout:
        self.mode = QComboBox()
        for index, run_mode in enumerate(RUN_MODES):
            self.mode.addItem(mode_label(run_mode), run_mode)
            self.mode.setItemData(index, mode_tooltip(run_mode), Qt.ItemDataRole.ToolTipRole)
        self.mode.setCurrentIndex(max(0, self.mode.findData(default_mode)))
        self.mode.setToolTip("How each crew runs: " + "; ".join(
            f"{mode_label(run_mode)} = {mode_tooltip(run_mode)}" for run_mode in RUN_MODES))
        self.dry_run = QCheckBox("Dry run on the offline simulator")
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Mode"))
        row.addWidget(self.mode, 1)
        row.addWidget(self.run_button)
        column = QVBoxLayout()
        column.addLayout(row)
        column.addWidget(self.dry_run)
        return column

    def chosen_mode(self) -> RunMode:
        """The run mode shown in the Mode box."""
        return RUN_MODES[max(0, self.mode.currentIndex())]

    def order_tabs(self) -> None:
        """Tab goes down the side as it reads: crews, inputs, mode, Run, dry run, for-each."""
        box = self.for_each
        chain: list[QWidget] = [
            self.picker, *self.inputs_panel.focus_widgets(), self.mode, self.run_button,
            self.dry_run, box.batch, box.add_row_button, box.load_batch_button,
            box.run_batch_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
