"""History's "Compare…": two runs side by side (the diff itself is `_run_diff`, Qt-free).

`CompareDialog` keeps the shown run on the left and lets the user pick the other run (by
default its parent when it is a fork, else its first fork, else the next run of the same crew
in the table). The "Outputs" tab shows each task's two outputs side by side, removed words
red and struck on the left, added words green on the right; the "Differences" tab lists cost,
tokens, requests and time of both runs with the change, then every input and crew setting
that differs. The other run loads on the history's worker thread (an owned task).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.forks import ForkLink, RunForks
from desktop_app.storage.history import RunHistory, RunRecord, RunSummary
from desktop_app.ui.history._run_diff import Metric, RunDiff, compare_runs, diff_html
from desktop_app.ui.history._table import format_started
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["CompareDialog", "default_other"]


def default_other(
    record: RunRecord, runs: Sequence[RunSummary], links: dict[str, ForkLink]
) -> str | None:
    """The run to compare `record` with first: its parent, its first fork, else the next run
    of the same crew in `runs` (None when there is no other run)."""
    ids = [run.run_id for run in runs if run.run_id != record.run_id]
    link = links.get(record.run_id)
    if link is not None and link.parent_run_id in ids:
        return link.parent_run_id
    forks = [run_id for run_id in ids if run_id in links
             and links[run_id].parent_run_id == record.run_id]
    if forks:
        return forks[0]
    same = [run.run_id for run in runs
            if run.run_id != record.run_id and run.crew_name == record.crew_name]
    return same[0] if same else (ids[0] if ids else None)


def _figure(value: float | None, name: str) -> str:
    if value is None:
        return "—"
    if name.startswith("Cost"):
        return f"${value:.4f}"
    if name.startswith("Time"):
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _change(metric: Metric) -> str:
    change = metric.change
    if change is None:
        return ""
    text = _figure(abs(change), metric.name)
    if change == 0:
        return "same"
    percent = f" ({change / metric.left:+.0%})" if metric.left else ""
    return ("+" if change > 0 else "−") + text + percent


class CompareDialog(QDialog):
    """Two runs side by side; open it with `open()`.

    Attributes:
        diff: The comparison shown, once the other run has loaded.
    """

    def __init__(
        self,
        history: RunHistory,
        record: RunRecord,
        runs: Sequence[RunSummary],
        other_id: str | None = None,
        parent: QWidget | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        """Builds the dialog on `record`; the other run loads in the background. `labels`
        name some runs in the list (History's fork labels, "↳ … fork from task 2")."""
        super().__init__(parent)
        self.setObjectName("compareDialog")
        self.setWindowTitle(f"Compare runs of {record.crew_name}")
        self._history = history
        self.record = record
        self.diff: RunDiff | None = None
        self._tasks = TaskOwner(lambda error: self.status.setText(f"Failed: {error}"))
        self._other_given = other_id
        self.other_box = named(QComboBox(), "compareOther")
        for run in runs:
            if run.run_id != record.run_id:
                name = (labels or {}).get(run.run_id, run.crew_name).strip()
                self.other_box.addItem(
                    f"{name} — {format_started(run.started_at)} — {run.status}", run.run_id)
        self.status = named(QLabel(), "compareStatus")
        self.tabs = named(QTabWidget(), "compareTabs")
        self.outputs = QWidget()
        self.outputs_grid = QGridLayout(self.outputs)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.outputs)
        self.figures = named(QTableWidget(0, 4), "compareFigures")
        self.figures.setHorizontalHeaderLabels(["", "This run", "Other run", "Change"])
        self.figures.horizontalHeader().setStretchLastSection(True)
        self.tabs.addTab(scroll, "Outputs")
        self.tabs.addTab(self.figures, "Differences")
        self._layout()
        self.other_box.currentIndexChanged.connect(self._on_other_box_currentIndexChanged)
        self.loaded = self._tasks.spawn(self._start(runs))

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("This run", QLabel(
            f"{self.record.crew_name} — {format_started(self.record.started_at)} — "
            f"{self.record.status}"))
        form.addRow("Compare with", self.other_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.tabs, 1)
        column.addWidget(self.status)
        column.addWidget(buttons)
        self.resize(1000, 680)

    async def _start(self, runs: Sequence[RunSummary]) -> None:
        other = self._other_given
        if other is None:
            other = default_other(self.record, runs, await RunForks(self._history).links())
        index = self.other_box.findData(other) if other else -1
        if index < 0:
            self.status.setText("There is no other run to compare with.")
            return
        self.other_box.blockSignals(True)
        self.other_box.setCurrentIndex(index)
        self.other_box.blockSignals(False)
        await self.compare_with(str(other))

    def _on_other_box_currentIndexChanged(self, *_args: object) -> None:
        other = self.other_box.currentData()
        if isinstance(other, str):
            self.loaded = self._tasks.spawn(self.compare_with(other))

    async def compare_with(self, other_id: str) -> RunDiff | None:
        """Loads run `other_id` and shows how it differs from this one."""
        self.status.setText("Loading…")
        other = await self._history.get_run(other_id)
        if other is None:
            self.status.setText("That run is no longer in the history.")
            return None
        self.diff = compare_runs(self.record, other)
        self._show(self.diff)
        return self.diff

    def _show(self, diff: RunDiff) -> None:
        while self.outputs_grid.count():
            item = self.outputs_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.outputs_grid.addWidget(QLabel("<b>This run</b>"), 0, 1)
        self.outputs_grid.addWidget(QLabel("<b>Other run</b>"), 0, 2)
        for row, pair in enumerate(diff.tasks, 1):
            verdict = "same" if pair.same else f"{pair.changed_words} words differ"
            title = QLabel(f"<b>{pair.title}</b><br>{verdict}")
            title.setAlignment(Qt.AlignmentFlag.AlignTop)
            self.outputs_grid.addWidget(title, row, 0)
            for column, side in ((1, "left"), (2, "right")):
                view = named(QTextBrowser(), f"compare{side.capitalize()}{pair.index}")
                view.setHtml(diff_html(pair.ops, side))  # type: ignore[arg-type]
                self.outputs_grid.addWidget(view, row, column)
        self._show_figures(diff)
        changed = sum(1 for pair in diff.tasks if not pair.same)
        self.status.setText(f"{changed} of {len(diff.tasks)} task outputs differ; "
                            f"{len(diff.settings)} settings or inputs differ.")

    def _show_figures(self, diff: RunDiff) -> None:
        rows = [(m.name, _figure(m.left, m.name), _figure(m.right, m.name), _change(m))
                for m in diff.metrics]
        rows += [(change.path, change.left or "(none)", change.right or "(none)", "changed")
                 for change in diff.settings]
        self.figures.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.figures.setItem(row, column, QTableWidgetItem(text))
        self.figures.resizeColumnsToContents()

    def figure_rows(self) -> list[list[str]]:
        """The Differences table as text, row by row (for tests and copying)."""
        return [
            [(self.figures.item(row, column) or QTableWidgetItem()).text() for column in range(4)]
            for row in range(self.figures.rowCount())
        ]

    def done(self, result: int) -> None:  # Qt override
        """Stops the loading of the other run when the dialog closes (closing it by its window's
        button ends here too: QDialog turns that close into `reject()`)."""
        self._tasks.cancel_all()
        super().done(result)
