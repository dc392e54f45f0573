"""`RunTableModel`: the runs of the history as rows (crew, status, mode, started, ..., inputs)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from desktop_app.storage.history import RunSummary
from desktop_app.storage.stop_reasons import status_text
from desktop_app.ui._run_modes import mode_label

COLUMNS = ("Crew", "Status", "Mode", "Started", "Duration", "Tokens", "Cost", "Inputs")
"""The table's columns, in order."""

_STATUS_COLORS = {
    "finished": "#1e8449",
    "failed": "#c0392b",
    "cancelled": "#7f8c8d",
    "interrupted": "#d35400",
    "running": "#2c7be5",
    "queued": "#2c7be5",
}

Index = QModelIndex | QPersistentModelIndex


def format_duration(run: RunSummary) -> str:
    """How long the run took ("1 m 05 s"), "" while it has no end."""
    if run.finished_at is None:
        return ""
    seconds = max(0.0, (run.finished_at - run.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} m {rest:02d} s"


def format_started(when: datetime) -> str:
    """The start time in the user's time zone."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def total_tokens(run: RunSummary) -> int | None:
    """The run's total tokens, as recorded (None when unknown)."""
    usage = run.usage or {}
    total = usage.get("total_tokens")
    if isinstance(total, int):
        return total
    parts = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
    numbers = [part for part in parts if isinstance(part, int)]
    return sum(numbers) if numbers else None


_INPUTS_COLUMN = COLUMNS.index("Inputs")

INPUTS_LIMIT = 80
"""Characters of the Inputs cell before it is cut with "…" (the tooltip has them all)."""


def _value_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())


def format_inputs(inputs: Mapping[str, Any]) -> str:
    """A run's inputs on one line ("topic: owls, year: 2024"), so that runs of one crew
    (a for-each batch) can be told apart."""
    text = ", ".join(f"{name}: {_value_text(value)}" for name, value in inputs.items())
    return text if len(text) <= INPUTS_LIMIT else text[: INPUTS_LIMIT - 1].rstrip() + "…"


def format_cost(cost: float | None) -> str:
    """The cost in dollars ("$0.0012"), "" when unknown."""
    if cost is None:
        return ""
    return f"${cost:.4f}" if cost < 1 else f"${cost:.2f}"


class RunTableModel(QAbstractTableModel):
    """The runs shown in the history table, newest first."""

    def __init__(self) -> None:
        """Starts empty; `set_runs` fills it."""
        super().__init__()
        self.runs: list[RunSummary] = []
        self.labels: dict[str, str] = {}
        self.stop_reasons: dict[str, str] = {}  # by run id: "budget" reads "stopped by budget"

    def set_runs(
        self, runs: Sequence[RunSummary], labels: Mapping[str, str] | None = None
    ) -> None:
        """Replaces the rows; `labels` replace the Crew cell of some runs (forks, by id)."""
        self.beginResetModel()
        self.runs = list(runs)
        self.labels = dict(labels or {})
        self.endResetModel()

    def row_of(self, run_id: str) -> int:
        """The row of a run, or -1."""
        return next((row for row, run in enumerate(self.runs) if run.run_id == run_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # Qt override  # noqa: B008, N802
        """One row per run."""
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # Qt override  # noqa: B008, N802
        """See `COLUMNS`."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # Qt override  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # Qt override
        """The text, colour and alignment of a cell."""
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            label = self.labels.get(run.run_id) if column == 0 else None
            if column == 1:
                label = status_text(run.status, self.stop_reasons.get(run.run_id))
            return label if label is not None else self.text(run, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QColor(_STATUS_COLORS.get(run.status, "#000000"))
        if role == Qt.ItemDataRole.ToolTipRole and column == _INPUTS_COLUMN and run.inputs:
            return "\n".join(f"{name}: {_value_text(value)}" for name, value in run.inputs.items())
        if role == Qt.ItemDataRole.ToolTipRole and run.error:
            return run.error
        if role == Qt.ItemDataRole.TextAlignmentRole and 4 <= column < _INPUTS_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def text(run: RunSummary, column: int) -> str:
        """The text of one cell."""
        if column == 0:
            return run.crew_name
        if column == 1:
            return run.status
        if column == 2:
            return mode_label(run.mode)
        if column == 3:
            return format_started(run.started_at)
        if column == 4:
            return format_duration(run)
        if column == 5:
            tokens = total_tokens(run)
            return "" if tokens is None else f"{tokens:,}"
        if column == _INPUTS_COLUMN:
            return format_inputs(run.inputs)
        return format_cost(run.cost_usd)
