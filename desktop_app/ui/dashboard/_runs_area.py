"""`RunsArea`: the dashboard's right side: a summary, filter and sort, and the runs.

The runs show as a grid of panels, or, from `COMPACT_AT` runs on, as a compact list with
the selected run's full panel beside it (the user can turn the list on or off; that choice
then holds). Runs that wait for the person are counted by a `WaitingWatch`, which also
gives the desktop notification; the summary line says how many wait.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from desktop_app.ui._notify import Notifier
from desktop_app.ui.controllers.run_state import RunState, RunStatus
from desktop_app.ui.dashboard._arrange import RunsArrangeBar
from desktop_app.ui.dashboard._waiting import WaitingWatch
from desktop_app.ui.dashboard.run_grid import RunGrid
from desktop_app.ui.dashboard.run_list import RunList

__all__ = ["COMPACT_AT", "RunsArea"]

COMPACT_AT = 10
"""Runs on the dashboard from which the compact list shows by itself."""


class RunsArea(QWidget):
    """The runs of the dashboard, as panels or as a compact list beside one panel.

    Attributes:
        compact: Whether the compact list shows.

    Signals:
        waitingChanged(int): The number of runs waiting for the person changed.
    """

    waitingChanged = Signal(int)

    def __init__(self, notifier: Notifier | None = None, parent: QWidget | None = None) -> None:
        """Builds an empty area.

        Args:
            notifier: Gives the desktop notifications (a new one when None).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.compact = False
        self._user_compact: bool | None = None
        self._select_next: str | None = None
        self.waiting = WaitingWatch(self.window, notifier, self)
        self._build()
        self._connect()

    def _build(self) -> None:
        self.summary = QLabel("No runs")
        self.stop_all_button = QPushButton("Stop all")
        self.clear_button = QPushButton("Clear finished")
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.clear_button)
        bar.addWidget(self.stop_all_button)
        self.arrange_bar = RunsArrangeBar()
        self.run_list = RunList()
        self.run_list.hide()
        self.grid = RunGrid()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.run_list)
        self.splitter.addWidget(self.grid)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.arrange_bar)
        layout.addWidget(self.splitter, 1)

    def _connect(self) -> None:
        self.arrange_bar.arrangementChanged.connect(self._on_arrange_bar_arrangementChanged)
        self.arrange_bar.compactToggled.connect(self._on_arrange_bar_compactToggled)
        self.run_list.runSelected.connect(self._on_run_list_runSelected)
        self.grid.runsRemoved.connect(self._on_grid_runsRemoved)
        self.waiting.waitingChanged.connect(self._on_waiting_waitingChanged)
        self.waiting.runWaitingChanged.connect(self._on_waiting_runWaitingChanged)

    # -- runs --------------------------------------------------------------------------

    def add_run(self, state: RunState) -> None:
        """Shows a new run: its panel (built soon), its line, and follows its waiting."""
        self.grid.add_run(state)
        self.run_list.add_run(state)
        self.waiting.follow(state)
        state.statusChanged.connect(self._on_state_statusChanged)
        self._update_mode()
        if self.compact and self._select_next is None:  # the first of what was just added
            self._select_next = state.run_id
            QTimer.singleShot(0, self, self._on_select_timer_timeout)
        self.update_summary()

    def set_badge(self, run_id: str, text: str, tooltip: str) -> None:
        """Shows a run's model (or SIMULATOR) on its panel and its line."""
        self.grid.set_badge(run_id, text, tooltip)
        self.run_list.set_badge(run_id, text)

    def set_compact(self, compact: bool, *, by_user: bool = True) -> None:
        """Shows the compact list (with the selected run's panel) or the grid of panels.

        Args:
            compact: The list (True) or the grid (False).
            by_user: The user chose: the choice holds, whatever the number of runs.
        """
        if by_user:
            self._user_compact = compact
        self.arrange_bar.compact_button.setChecked(compact)
        if compact == self.compact:
            return
        self.compact = compact
        self.run_list.setVisible(compact)
        selected = self.run_list.selected_id() if compact else None
        if compact and selected is None:
            selected = self._first_to_show()
            if selected is not None:
                self.run_list.select(selected)  # shows its panel (runSelected)
                return
        self.grid.set_single(compact, selected)

    def update_summary(self) -> None:
        """The line above the runs: how many wait for you, run, are queued, ended ..."""
        counts = {status: 0 for status in RunStatus}
        for state in self.grid.states:
            counts[state.status] += 1
        parts = [f"{self.waiting.count} waiting for you"] if self.waiting.count else []
        parts += [f"{count} {status.value}" for status, count in counts.items() if count]
        if self.grid.let_go:
            parts.append(f"{self.grid.let_go} earlier in History")
        self.summary.setText(" · ".join(parts) if parts else "No runs")
        self.stop_all_button.setEnabled(counts[RunStatus.RUNNING] + counts[RunStatus.QUEUED] > 0)

    def _update_mode(self) -> None:
        """Turns the compact list on from `COMPACT_AT` runs (off below), unless the user
        chose."""
        if self._user_compact is None:
            self.set_compact(len(self.grid.states) >= COMPACT_AT, by_user=False)

    def _first_to_show(self) -> str | None:
        """The run whose panel the compact list shows first: one waiting, else the newest."""
        shown = self.run_list.run_ids()
        waiting = self.waiting.waiting_ids()
        return next((r for r in shown if r in waiting), shown[-1] if shown else None)

    def _rearrange(self) -> None:
        self.run_list.rearrange()
        self.grid.rearrange_soon()

    # -- slots -------------------------------------------------------------------------

    def _on_arrange_bar_arrangementChanged(self) -> None:
        arrangement = self.arrange_bar.arrangement()
        self.run_list.set_arrangement(arrangement)
        self.grid.set_arrangement(arrangement)

    def _on_arrange_bar_compactToggled(self, checked: bool) -> None:
        self.set_compact(checked)

    def _on_select_timer_timeout(self) -> None:
        """A new run comes into view in the compact list (its panel beside), unless the run
        shown waits for an answer: the person may be typing it."""
        run_id, self._select_next = self._select_next, None
        selected = self.run_list.selected_id()
        if run_id is not None and self.compact and selected not in self.waiting.waiting_ids():
            self.run_list.select(run_id)

    def _on_run_list_runSelected(self, run_id: str) -> None:
        if self.compact:
            self.grid.set_single(True, run_id)

    def _on_grid_runsRemoved(self, run_ids: list[str]) -> None:
        selected = self.run_list.selected_id()
        self.run_list.remove(run_ids)
        for run_id in run_ids:
            self.waiting.forget(run_id)
        self._update_mode()
        if self.compact and selected in run_ids:
            following = self._first_to_show()
            if following is not None:
                self.run_list.select(following)
        self.update_summary()

    def _on_state_statusChanged(self, _status: str) -> None:
        self.update_summary()
        if self.arrange_bar.arrangement().follows_status:
            self._rearrange()

    def _on_waiting_waitingChanged(self, count: int) -> None:
        self.update_summary()
        self.waitingChanged.emit(count)

    def _on_waiting_runWaitingChanged(self, _run_id: str, _waiting: bool) -> None:
        if self.arrange_bar.arrangement().follows_status:
            self._rearrange()
