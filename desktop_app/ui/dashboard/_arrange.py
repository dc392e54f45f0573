"""Which runs the dashboard shows, and in what order: its filter box and sort choice.

The filter keeps the runs whose crew name, inputs or status hold every word typed (case
does not matter; "waiting" finds the runs waiting for you). The sort puts them in the order
they started, by crew name, or by status with the runs waiting for you first, then those
running, queued, failed, cancelled and done. `RunsArrangeBar` holds both and the compact
list's toggle; the grid of panels and the compact list apply the same `Arrangement`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from desktop_app.ui.controllers.run_state import RunState, RunStatus
from desktop_app.ui.dashboard._waiting import WAITING_TEXT, is_waiting

__all__ = ["SORTS", "Arrangement", "RunsArrangeBar", "status_text"]

SORTS: tuple[str, ...] = ("Started", "Crew name", "Status (waiting first)")
"""The sort choices, in the order the combo box offers them."""

_STATUS_RANK = {RunStatus.RUNNING: 1, RunStatus.QUEUED: 2, RunStatus.FAILED: 3,
                RunStatus.CANCELLED: 4, RunStatus.DONE: 5}
"""Status order of the status sort; a run waiting for you comes before all (rank 0)."""


def status_text(state: RunState) -> str:
    """The status a person reads: "Waiting for you" while the run waits, else its status."""
    return WAITING_TEXT if is_waiting(state) else state.status.value


def _haystack(state: RunState) -> str:
    values = " ".join(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                      for v in state.inputs.values())
    return f"{state.crew_name} {' '.join(state.inputs)} {values} {status_text(state)}".lower()


@dataclass(frozen=True, slots=True)
class Arrangement:
    """A filter text and a sort choice.

    Attributes:
        text: Words every shown run must hold (in its crew name, inputs or status).
        sort: One of `SORTS`.
    """

    text: str = ""
    sort: str = SORTS[0]

    @property
    def is_plain(self) -> bool:
        """Every run, in the order started: nothing to filter or sort."""
        return not self.text.strip() and self.sort == SORTS[0]

    @property
    def follows_status(self) -> bool:
        """Whether a change of status (or of waiting) can change what shows or its order."""
        return not self.is_plain and (bool(self.text.strip()) or self.sort == SORTS[2])

    def accepts(self, state: RunState) -> bool:
        """Whether the run matches the filter."""
        haystack = _haystack(state)
        return all(word in haystack for word in self.text.lower().split())

    def apply(self, states: Sequence[RunState]) -> list[RunState]:
        """The runs that match, in the chosen order (`states` are in the order started)."""
        shown = [state for state in states if self.accepts(state)]
        key = self._key()
        return shown if key is None else sorted(shown, key=key)

    def _key(self) -> Callable[[RunState], Any] | None:
        if self.sort == SORTS[1]:
            return lambda state: state.crew_name.casefold()
        if self.sort == SORTS[2]:
            return lambda state: 0 if is_waiting(state) else _STATUS_RANK[state.status]
        return None


class RunsArrangeBar(QWidget):
    """The filter box, the sort choice and the compact list's toggle.

    Signals:
        arrangementChanged(): The filter text or the sort changed (see `arrangement()`).
        compactToggled(bool): The user turned the compact list on or off.
    """

    arrangementChanged = Signal()
    compactToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the bar: no filter, sorted as started, grid of panels.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter runs: crew, inputs or status")
        self.filter_box.setClearButtonEnabled(True)
        self.sort_box = QComboBox()
        self.sort_box.addItems(list(SORTS))
        self.sort_box.setToolTip("Order of the runs")
        self.compact_button = QPushButton("Compact list")
        self.compact_button.setCheckable(True)
        self.compact_button.setToolTip("One line per run, the selected run's panel beside "
                                       "(on by itself from 10 runs)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_box, 1)
        layout.addWidget(QLabel("Sort"))
        layout.addWidget(self.sort_box)
        layout.addWidget(self.compact_button)
        self.filter_box.textChanged.connect(self._on_filter_box_textChanged)
        self.sort_box.currentIndexChanged.connect(self._on_sort_box_currentIndexChanged)
        self.compact_button.clicked.connect(self.compactToggled)

    def arrangement(self) -> Arrangement:
        """The filter and sort chosen now."""
        return Arrangement(self.filter_box.text(), self.sort_box.currentText() or SORTS[0])

    def _on_filter_box_textChanged(self, _text: str) -> None:
        self.arrangementChanged.emit()

    def _on_sort_box_currentIndexChanged(self, _index: int) -> None:
        self.arrangementChanged.emit()
