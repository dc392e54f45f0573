"""The Trace view: a run's timeline, one row per span, and what the selected step saw.

`TraceModel` (a `QAbstractTableModel`) holds the spans of one run (`TraceSpanRecord`s from
the history) in tree order: each span under the one it ran in, siblings by start time. The
table asks only for the rows it shows, and `TimelineDelegate` paints each row's duration as a
bar on the run's time line, so a 1,000-call run opens at once (`benchmarks/trace_view.py`).
Selecting a row shows its detail: an LLM call's exact messages and answer (keys were masked
by the engine before anything was stored). "Export JSON…" and "Export OTLP…" write the trace
through `storage.trace_export`.

`TraceDialog` loads a run's trace from the history (`RunHistory.trace`, on its worker thread)
and shows it; History's "Trace…" button and a run panel's "Trace" open it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.history import RunHistory, TraceSpanRecord
from desktop_app.storage.trace_export import trace_as_json, trace_as_otlp
from desktop_app.ui.widgets.ask import choose_path
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = [
    "COLUMNS", "TimelineDelegate", "TraceDialog", "TraceModel", "TraceView", "detail_text",
    "open_panel_trace", "open_trace",
]

COLUMNS = ("Kind", "Name", "Agent", "Task", "Start", "Timeline", "Duration", "Tokens", "Cost",
           "Status")
"""The table's columns."""

TIMELINE_COLUMN = COLUMNS.index("Timeline")

_KIND_COLORS = {
    "run": "#7f8c8d", "task": "#2c3e50", "llm": "#2980b9", "tool": "#27ae60",
    "approval": "#d35400", "guardrail": "#8e44ad", "delegation": "#16a085",
    "memory": "#c0392b", "human_input": "#f39c12",
}
_KIND_LABELS = {"llm": "LLM call", "human_input": "human input"}
Index = QModelIndex | QPersistentModelIndex


def tree_order(spans: Sequence[TraceSpanRecord]) -> list[tuple[TraceSpanRecord, int]]:
    """The spans each followed by those that ran in it (by start time), with their depth."""
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[TraceSpanRecord]] = {}
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    for group in children.values():
        group.sort(key=lambda span: (span.started_at, span.seq))
    ordered: list[tuple[TraceSpanRecord, int]] = []
    stack = [(span, 0) for span in reversed(children.get(None, []))]
    while stack:
        span, depth = stack.pop()
        ordered.append((span, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(span.span_id, [])))
    return ordered


class TraceModel(QAbstractTableModel):
    """The spans of one run, one row each, in tree order (see `tree_order`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Creates an empty model."""
        super().__init__(parent)
        self.rows: list[tuple[TraceSpanRecord, int]] = []
        self.t0 = 0.0
        self.span_s = 1.0

    def set_spans(self, spans: Sequence[TraceSpanRecord]) -> None:
        """Shows `spans` (one run's); the time line runs from the first start to the last end."""
        self.beginResetModel()
        self.rows = tree_order(spans)
        if spans:
            self.t0 = min(span.started_at for span in spans)
            self.span_s = max(max(span.ended_at for span in spans) - self.t0, 1e-6)
        self.endResetModel()

    def span_at(self, row: int) -> TraceSpanRecord:
        """The span of a row."""
        return self.rows[row][0]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # Qt override  # noqa: N802, B008
        """The number of spans (0 under a row: the table is flat)."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # Qt override  # noqa: N802, B008
        """The number of columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # Qt override  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """The column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """A cell's text, its color (a failed step is red) or its alignment."""
        if not index.isValid():
            return None
        span, depth = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(span, depth, index.column(), self.t0)
        if role == Qt.ItemDataRole.ForegroundRole and span.status in ("error", "refused"):
            return QColor("#c0392b")
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return span.name
        return None


def _cell(span: TraceSpanRecord, depth: int, column: int, t0: float) -> str:
    if column == 0:
        return _KIND_LABELS.get(span.kind, span.kind)
    if column == 1:
        return "  " * depth + span.name
    if column == 2:
        return span.agent or ""
    if column == 3:
        return "" if span.task_index is None else str(span.task_index + 1)
    if column == 4:
        return f"+{span.started_at - t0:.3f} s"
    if column == 6:
        return _duration(span.duration_s)
    if column == 7:
        return _tokens(span)
    if column == 8:
        return "" if span.cost_usd is None else f"${span.cost_usd:.4f}"
    if column == 9:
        return span.status
    return ""


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _tokens(span: TraceSpanRecord) -> str:
    if span.input_tokens is None and span.output_tokens is None:
        return ""
    return f"{span.input_tokens or 0:,} → {span.output_tokens or 0:,}"


class TimelineDelegate(QStyledItemDelegate):
    """Paints a span's duration as a bar on the run's time line (its kind's color)."""

    def __init__(self, model: TraceModel, parent: QWidget | None = None) -> None:
        """Creates the delegate for `model`'s timeline column."""
        super().__init__(parent)
        self._model = model

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """Draws the bar (and the selection background under it)."""
        super().paint(painter, option, index)
        model = self._model
        span = model.span_at(index.row())
        rect: QRect = option.rect.adjusted(2, 4, -2, -4)
        width = rect.width()
        left = rect.left() + int((span.started_at - model.t0) / model.span_s * width)
        length = max(int(span.duration_s / model.span_s * width), 2)
        painter.save()
        painter.fillRect(QRect(left, rect.top(), min(length, rect.right() - left + 1),
                               rect.height()), QColor(_KIND_COLORS.get(span.kind, "#95a5a6")))
        painter.restore()


def detail_text(span: TraceSpanRecord) -> str:
    """What a step saw, as text: an LLM call's messages and answer, else its detail's fields."""
    detail = span.detail
    head = f"{_KIND_LABELS.get(span.kind, span.kind)}: {span.name} ({span.status})"
    if span.kind != "llm":
        lines = [head, ""]
        for key, value in detail.items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"{key}:\n{text}\n")
        return "\n".join(lines)
    parts = [head, f"Model: {detail.get('model', span.name)}", ""]
    for message in detail.get("messages", []):
        parts.append(f"── {message.get('role', '?')} ──")
        parts.append(str(message.get("content") or ""))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {}) if isinstance(call, dict) else {}
            parts.append(f"→ tool call {function.get('name')}({function.get('arguments')})")
        parts.append("")
    parts.append("══ answer ══")
    parts.append(str(detail.get("answer") or ""))
    for call in detail.get("tool_calls") or []:
        parts.append(f"→ tool call {call.get('name')}({call.get('arguments')})")
    if detail.get("error"):
        parts += ["", f"error: {detail['error']}"]
    return "\n".join(parts)


class TraceView(QWidget):
    """A run's timeline with the selected step's detail and export buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty view; `set_trace` fills it."""
        super().__init__(parent)
        self.run_id = ""
        self.crew_name: str | None = None
        self.spans: list[TraceSpanRecord] = []
        self._tasks = TaskOwner(lambda error: self._say(f"Failed: {error}"))
        self.model = TraceModel(self)
        self.table = named(QTableView(), "traceTable")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(TIMELINE_COLUMN, TimelineDelegate(self.model, self))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # no measuring of rows
        header.setStretchLastSection(False)
        for column, width in enumerate((80, 220, 110, 40, 80, 240, 70, 110, 70, 60)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(TIMELINE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
        self.detail = named(QPlainTextEdit(), "traceDetail")
        self.detail.setReadOnly(True)
        self.summary_label = named(QLabel(), "traceSummary")
        self.status_label = named(QLabel(), "traceStatus")
        self.buttons: dict[str, QPushButton] = {}
        for text, name, slot in (
            ("Export JSON…", "exportJson", lambda: self._tasks.spawn(self._choose_export(False))),
            ("Export OTLP…", "exportOtlp", lambda: self._tasks.spawn(self._choose_export(True))),
        ):
            button = named(QPushButton(text), name)
            button.clicked.connect(slot)
            self.buttons[name] = button
        self._layout()

    def _layout(self) -> None:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        for button in self.buttons.values():
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)

    def set_trace(
        self, run_id: str, spans: Sequence[TraceSpanRecord], crew_name: str | None = None
    ) -> None:
        """Shows one run's spans."""
        self.run_id, self.crew_name, self.spans = run_id, crew_name, list(spans)
        self.model.set_spans(self.spans)
        self.summary_label.setText(_summary(self.spans))
        self.detail.setPlainText("" if spans else "This run has no trace: it was recorded "
                                 "before traces were kept, or made no call yet.")
        for button in self.buttons.values():
            button.setEnabled(bool(spans))

    def select_row(self, row: int) -> None:
        """Selects a row (its detail shows below)."""
        self.table.selectRow(row)

    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.detail.setPlainText(detail_text(self.model.span_at(current.row())))

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    async def export(self, path: Path, *, otlp: bool) -> bool:
        """Writes the trace to `path` as OTLP JSON (`otlp`) or CrewDesk's JSON."""
        make: Callable[..., dict[str, Any]] = trace_as_otlp if otlp else trace_as_json
        document = make(self.run_id, self.spans, crew_name=self.crew_name)
        text = json.dumps(document, ensure_ascii=False, indent=2)
        try:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as exc:
            self._say(f"Not exported: {exc.strerror or exc}")
            return False
        self._say(f"Exported to {path}.")
        return True

    async def _choose_export(self, otlp: bool) -> None:
        title = "Export trace as OpenTelemetry (OTLP JSON)" if otlp else "Export trace as JSON"
        path = await choose_path(self, title, save=True, name_filter="JSON files (*.json)")
        if path is not None:
            await self.export(path, otlp=otlp)

    def close_tasks(self) -> None:
        """Stops the view's tasks (an export that has not written yet)."""
        self._tasks.cancel_all()


def _summary(spans: Sequence[TraceSpanRecord]) -> str:
    calls = [span for span in spans if span.kind == "llm"]
    tools = sum(span.kind == "tool" for span in spans)
    tokens = sum((span.input_tokens or 0) + (span.output_tokens or 0) for span in calls)
    cost = sum(span.cost_usd or 0.0 for span in calls)
    return (f"{len(spans)} steps: {len(calls)} LLM calls, {tools} tool calls, "
            f"{tokens:,} tokens" + (f", ${cost:.4f}" if cost else ""))


class TraceDialog(QDialog):
    """A window with one run's `TraceView`, loaded from the history."""

    def __init__(
        self, history: RunHistory, run_id: str, crew_name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Builds the window; `load()` reads the trace (`open_trace` does both)."""
        super().__init__(parent)
        self._history = history
        self.view = TraceView(self)
        self.view.run_id, self.view.crew_name = run_id, crew_name
        self.setObjectName("traceDialog")
        self.setWindowTitle(f"Trace — {crew_name or 'run'} {run_id[:8]}")
        self.resize(1100, 700)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        self._tasks = TaskOwner(lambda error: self.view.status_label.setText(f"Failed: {error}"))
        self.loading: asyncio.Task[Any] | None = None
        self.finished.connect(self._on_self_finished)

    async def load(self) -> None:
        """Reads the run's spans from the history (its worker thread) and shows them."""
        self.view.status_label.setText("Loading…")
        spans = await self._history.trace(self.view.run_id)
        self.view.set_trace(self.view.run_id, spans, self.view.crew_name)
        self.view.status_label.setText("")

    def start_loading(self) -> asyncio.Task[Any] | None:
        """Starts `load` as a task the dialog owns (`loading`; cancelled when it closes)."""
        self.loading = self._tasks.spawn(self.load())
        return self.loading

    def _on_self_finished(self, _code: int) -> None:
        self._tasks.cancel_all()
        self.view.close_tasks()


def open_trace(
    history: RunHistory, run_id: str, crew_name: str | None, parent: QWidget | None
) -> TraceDialog:
    """Opens a run's Trace window (not modal) and starts loading it."""
    dialog = TraceDialog(history, run_id, crew_name, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.start_loading()
    return dialog


def open_panel_trace(anchor: QWidget, run_id: str, crew_name: str | None) -> TraceDialog | None:
    """Opens the Trace of a run panel's run (its steps that ended so far: the history is
    flushed first), with the history of the window's services (`MainWindow.services`).

    Returns:
        The window, or None when the panel is in no window with services (nothing opens).
    """
    window = anchor.window()
    history = getattr(getattr(window, "services", None), "history", None)
    if not isinstance(history, RunHistory):
        return None
    return open_trace(history, run_id, crew_name, window)
