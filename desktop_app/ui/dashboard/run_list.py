"""`RunList`: the compact list of runs, one line each, for when panels no longer fit.

With ten runs or more a grid of panels scrolls out of sight; the list shows each run in a
line (the crew and its inputs, the model badge, the status, elapsed time and cost) and the
dashboard shows the selected run's full panel beside it. A line changes only when its run's
status, usage or waiting changes, and elapsed times once a second: streamed text never
touches the list, so it costs nothing per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from desktop_app.ui.controllers.run_state import RunState
from desktop_app.ui.dashboard._arrange import Arrangement, status_text
from desktop_app.ui.dashboard._badges import run_title
from desktop_app.ui.dashboard._waiting import is_waiting, waiting_colours
from desktop_app.ui.dashboard.run_panel import format_cost

__all__ = ["COLUMNS", "RunList"]

COLUMNS = ("Run", "Model", "Status", "Elapsed", "Cost")
"""The list's columns."""

_RUN, _MODEL, _STATUS, _ELAPSED, _COST = range(len(COLUMNS))
_WIDEST = {_MODEL: "gpt-4o-mini +1", _STATUS: "Waiting for you", _ELAPSED: "00000 s",
           _COST: "$0.0000"}
"""The widest usual text of each fixed column: a column sized to its contents would measure
every line each time one changes (elapsed times change every second)."""


class RunList(QTreeWidget):
    """One line per run, in the dashboard's arrangement; selecting a line shows its panel.

    Signals:
        runSelected(str): The user (or `select`) made this run the selected one.
    """

    runSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds an empty list.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("runList")
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(_RUN, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        for column, widest in _WIDEST.items():  # not ResizeToContents: that measures every
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)  # row
            header.resizeSection(column, metrics.horizontalAdvance(widest) + 24)  # per change
        self._items: dict[str, QTreeWidgetItem] = {}
        self._states: dict[str, RunState] = {}
        self._badges: dict[str, str] = {}
        self._arrangement = Arrangement()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        self.currentItemChanged.connect(self._on_self_currentItemChanged)

    # -- reading -----------------------------------------------------------------------

    def run_ids(self) -> list[str]:
        """The runs listed and shown, top to bottom."""
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [self._id_of(item) for item in items if item is not None and not item.isHidden()]

    def line(self, run_id: str) -> list[str]:
        """The texts of a run's line, column by column."""
        item = self._items[run_id]
        return [item.text(column) for column in range(len(COLUMNS))]

    def selected_id(self) -> str | None:
        """The selected run, if any."""
        item = self.currentItem()
        return self._id_of(item) if item is not None else None

    # -- changing ----------------------------------------------------------------------

    def add_run(self, state: RunState) -> None:
        """Adds a line for a run and follows its changes."""
        item = QTreeWidgetItem()
        title, tooltip = run_title(state.crew_name, state.inputs)
        item.setText(_RUN, title)
        item.setToolTip(_RUN, tooltip)
        item.setData(_RUN, Qt.ItemDataRole.UserRole, state.run_id)
        self._items[state.run_id] = item
        self._states[state.run_id] = state
        self.addTopLevelItem(item)
        item.setHidden(not self._arrangement.accepts(state))
        self.refresh(state.run_id)
        for signal in (state.statusChanged, state.usageChanged, state.inputRequested,
                       state.inputClosed, state.approvalRequested, state.approvalClosed):
            signal.connect(self._on_state_changed)  # a method: the list holds no run it let go
        if not self._arrangement.is_plain:
            self.rearrange()
        if not self._ticker.isActive():
            self._ticker.start()

    def set_badge(self, run_id: str, text: str) -> None:
        """Shows the model of a run (or SIMULATOR) in its line."""
        self._badges[run_id] = text
        if run_id in self._items:
            self._items[run_id].setText(_MODEL, text)

    def remove(self, run_ids: Sequence[str]) -> None:
        """Removes the lines of runs that left the dashboard."""
        for run_id in run_ids:
            item = self._items.pop(run_id, None)
            self._states.pop(run_id, None)
            self._badges.pop(run_id, None)
            if item is not None:
                self.takeTopLevelItem(self.indexOfTopLevelItem(item))

    def select(self, run_id: str) -> None:
        """Selects a run's line (its panel shows beside)."""
        item = self._items.get(run_id)
        if item is not None:
            self.setCurrentItem(item)
            self.scrollToItem(item)

    def set_arrangement(self, arrangement: Arrangement) -> None:
        """Shows the lines `arrangement` keeps, in its order."""
        self._arrangement = arrangement
        self.rearrange()

    def rearrange(self) -> None:
        """Orders the lines as the arrangement says and hides those it leaves out."""
        current = self.selected_id()
        ordered = self._arrangement.apply(list(self._states.values()))
        kept = {state.run_id for state in ordered}
        rest = [run_id for run_id in self._states if run_id not in kept]
        blocked = self.blockSignals(True)
        try:
            self.invisibleRootItem().takeChildren()
            for run_id in [*(state.run_id for state in ordered), *rest]:
                item = self._items[run_id]
                self.addTopLevelItem(item)
                item.setHidden(run_id not in kept)
            if current is not None:
                self.setCurrentItem(self._items[current])
        finally:
            self.blockSignals(blocked)

    def refresh(self, run_id: str) -> None:
        """Shows a run's status, elapsed time and cost as they are now."""
        item, state = self._items.get(run_id), self._states.get(run_id)
        if item is None or state is None:
            return
        item.setText(_MODEL, self._badges.get(run_id, ""))
        item.setText(_STATUS, status_text(state))
        item.setText(_ELAPSED, f"{state.elapsed():.0f} s")
        item.setText(_COST, format_cost(state.cost_usd))
        if is_waiting(state):
            background, text = waiting_colours(self.palette())
            item.setBackground(_STATUS, QBrush(background))
            item.setForeground(_STATUS, QBrush(text))
        else:
            item.setData(_STATUS, Qt.ItemDataRole.BackgroundRole, None)  # the default
            item.setData(_STATUS, Qt.ItemDataRole.ForegroundRole, None)

    # -- slots -------------------------------------------------------------------------

    def _on_self_currentItemChanged(self, current: QTreeWidgetItem | None, _old: object) -> None:
        if current is not None:
            self.runSelected.emit(self._id_of(current))

    def _on_state_changed(self, *_args: object) -> None:
        state = self.sender()
        if isinstance(state, RunState):
            self.refresh(state.run_id)

    def _on_ticker_timeout(self) -> None:
        running = False
        for run_id, state in self._states.items():
            if not state.status.is_terminal:
                self.refresh(run_id)
                running = True
        if not running:
            self._ticker.stop()

    @staticmethod
    def _id_of(item: QTreeWidgetItem) -> str:
        return str(item.data(_RUN, Qt.ItemDataRole.UserRole))
