"""`RunGrid`: the run panels in a scrollable grid that reflows with the window's width.

The grid keeps the panels of the latest `MAX_ENDED_PANELS` ended runs (and of every run
still going): older ones are let go as new runs end, so a session that runs 1,000 crews
holds 50 panels, not 1,000 (each ended run stays in History).

The grid shows the panels an `Arrangement` keeps, in its order (the dashboard's filter and
sort); in compact mode (`set_single`) it shows only the panel of the run selected in the
compact list. Panels not shown are hidden, so their text waits in a backlog and costs no
layout until they show again; in compact mode a run's panel is not even built until its line
is selected (50 runs streaming cost one panel, not 50).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop_app.ui.controllers.run_state import RunState
from desktop_app.ui.dashboard._arrange import Arrangement
from desktop_app.ui.dashboard._badges import TitleElider, run_title, show_badge
from desktop_app.ui.dashboard._style_cache import StyleCacheTrimmer
from desktop_app.ui.dashboard.run_panel import RunPanel

__all__ = ["MAX_ENDED_PANELS", "PANEL_MIN_WIDTH", "RunGrid"]

PANEL_MIN_WIDTH = 440
"""Narrowest a panel gets before the grid uses one column fewer."""

MAX_ENDED_PANELS = 50
"""Panels of ended runs the grid keeps; the oldest beyond this are let go."""

PANELS_PER_TICK = 2
"""Panels built per event-loop turn. Building one takes 4-6 ms here (measured with its Trace
button and cost split), so a batch of 50 runs built at once would freeze the window for a
quarter of a second; in steps of 2 each turn stays near 10 ms (with 4, benchmarks/
ui_streaming.py saw 60 ms ticks as 20 panels came)."""


class RunGrid(QScrollArea):
    """Holds one `RunPanel` per run, newest last, as many per row as fit.

    Attributes:
        max_ended: Panels of ended runs kept; the oldest beyond it are let go.
        let_go: Panels of ended runs let go so far (their runs are in History).

    Signals:
        stopRequested(str): A panel's Stop was pressed (the run id).
        settingsRequested(str): A panel's "Open Settings" link was followed (the provider id).
        inputSubmitted(str, str): A panel's run got the person's feedback (run id, text).
        approvalDecided(str, str): A panel's run got Run / Deny / Always (run id, decision).
        runsRemoved(list): Runs left the grid (their ids): cleared, or let go.
    """

    stopRequested = Signal(str)
    settingsRequested = Signal(str)
    inputSubmitted = Signal(str, str)
    approvalDecided = Signal(str, str)
    runsRemoved = Signal(list)

    def __init__(self, parent: QWidget | None = None, max_ended: int = MAX_ENDED_PANELS) -> None:
        """Builds an empty grid with a hint for the user.

        Args:
            parent: The Qt parent.
            max_ended: Panels of ended runs to keep (see `let_go_oldest_ended`).
        """
        super().__init__(parent)
        self.max_ended = max_ended
        self.let_go = 0
        self.setWidgetResizable(True)
        self._inner = QWidget()
        outer = QVBoxLayout(self._inner)
        self._grid = QGridLayout()
        self._grid.setSpacing(8)
        outer.addLayout(self._grid)
        outer.addStretch(1)
        self.empty_hint = QLabel(
            "No runs yet. Pick crews on the left, fill their inputs and press Run."
        )
        self.empty_hint.setStyleSheet("color: #6b7280; padding: 24px;")
        outer.insertWidget(0, self.empty_hint)
        self.setWidget(self._inner)
        self._panels: list[RunPanel] = []
        self._pending: list[RunState] = []
        self._badges: dict[str, tuple[str, str]] = {}
        self._elider = TitleElider(self)
        self.style_cache = StyleCacheTrimmer()  # released panels' pictures (see its module)
        self._reveal_next: RunState | None = None
        self._columns = 0
        self._arrangement = Arrangement()
        self._compact = False
        self._single: str | None = None
        self._rearranger = QTimer(self)
        self._rearranger.setSingleShot(True)
        self._rearranger.setInterval(0)
        self._rearranger.timeout.connect(self.rearrange)
        self._builder = QTimer(self)
        self._builder.setInterval(0)
        self._builder.timeout.connect(self._on_builder_timeout)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        self.verticalScrollBar().valueChanged.connect(self._on_scrollbar_valueChanged)

    @property
    def panels(self) -> list[RunPanel]:
        """The panels, in the order the runs started (building any still waiting)."""
        self.build_pending()
        return list(self._panels)

    @property
    def built(self) -> int:
        """How many panels are built (builds nothing, unlike `panels`)."""
        return len(self._panels)

    @property
    def states(self) -> list[RunState]:
        """The runs shown or about to be, in order (builds nothing)."""
        return [panel.state for panel in self._panels] + list(self._pending)

    def panel_for(self, run_id: str) -> RunPanel | None:
        """The panel of a run, if it is shown (building any still waiting)."""
        self.build_pending()
        return next((p for p in self._panels if p.state.run_id == run_id), None)

    def add_run(self, state: RunState) -> None:
        """Adds a panel for `state` at the end, built at the next turn of the event loop."""
        self._pending.append(state)
        if self._reveal_next is None:  # the first panel of what was just added comes in view
            self._reveal_next = state
        self.empty_hint.hide()
        if not self._builder.isActive():
            self._builder.start()

    def build_pending(self) -> None:
        """Builds every panel still waiting, now."""
        while self._pending:
            self._build_panel(self._pending.pop(0))
        self._builder.stop()

    def _on_builder_timeout(self) -> None:
        if self._compact:  # only the selected run's panel; the others when selected
            self._build_selected()
            self._builder.stop()
            return
        for _ in range(min(PANELS_PER_TICK, len(self._pending))):
            self._build_panel(self._pending.pop(0))
        if not self._pending:
            self._builder.stop()

    def _build_selected(self) -> None:
        """Builds the panel of the compact list's selected run, if it waits to be built."""
        state = next((s for s in self._pending if s.run_id == self._single), None)
        if state is not None:
            self._pending.remove(state)
            self._build_panel(state)

    def set_badge(self, run_id: str, text: str, tooltip: str) -> None:
        """Shows the model of a run (or SIMULATOR) on its panel, now or once it is built."""
        self._badges[run_id] = (text, tooltip)
        panel = next((p for p in self._panels if p.state.run_id == run_id), None)
        if panel is not None:
            show_badge(panel.badge, text, tooltip)

    def badge_of(self, run_id: str) -> str:
        """The badge text given for a run ("" when none was)."""
        return self._badges.get(run_id, ("", ""))[0]

    def _build_panel(self, state: RunState) -> RunPanel:
        panel = RunPanel(state, self._inner)
        self._elider.show_title(panel.title, *run_title(state.crew_name, state.inputs))
        if state.run_id in self._badges:
            show_badge(panel.badge, *self._badges[state.run_id])
        panel.stopRequested.connect(self.stopRequested)
        panel.inputSubmitted.connect(self.inputSubmitted)
        panel.approvalDecided.connect(self.approvalDecided)
        panel.settingsRequested.connect(self.settingsRequested)
        self._panels.append(panel)
        self.empty_hint.hide()
        self._place(len(self._panels) - 1, panel)
        if not self._ticker.isActive():
            self._ticker.start()
        if state is self._reveal_next:
            self._reveal_next = None
            QTimer.singleShot(0, self, lambda: self._reveal(panel))
        return panel

    def _reveal(self, panel: RunPanel) -> None:
        """Scrolls a new panel into view (once the layout has placed it)."""
        if panel in self._panels:
            layout = self._inner.layout()
            if layout is not None:
                layout.activate()
            self.ensureWidgetVisible(panel, 0, 8)

    def remove_finished(self) -> int:
        """Removes the panels of runs that have ended; returns how many."""
        self.build_pending()
        gone = [p for p in self._panels if p.state.status.is_terminal]
        self._remove(gone)
        return len(gone)

    def let_go_oldest_ended(self) -> int:
        """Removes the oldest panels of ended runs beyond `max_ended`; returns how many.

        Runs that end before their panel was built are dropped from the queue the same way.
        """
        ended = [p for p in self._panels if p.state.status.is_terminal]
        waiting = [s for s in self._pending if s.status.is_terminal]
        excess = len(ended) + len(waiting) - self.max_ended
        if excess <= 0:
            return 0
        gone = ended[:excess]
        dropped = {id(s) for s in waiting[: excess - len(gone)]}
        for state in waiting[: excess - len(gone)]:
            self._badges.pop(state.run_id, None)
            if state is self._reveal_next:
                self._reveal_next = None
        self._pending = [s for s in self._pending if id(s) not in dropped]
        if dropped:
            self.runsRemoved.emit([s.run_id for s in waiting[: excess - len(gone)]])
        if gone:
            self._remove(gone)
        self.let_go += excess
        return excess

    def _remove(self, gone: list[RunPanel]) -> None:
        for panel in gone:
            self._grid.removeWidget(panel)
            panel.deleteLater()
        ids = {id(panel) for panel in gone}
        self._panels = [p for p in self._panels if id(p) not in ids]
        for panel in gone:
            self._badges.pop(panel.state.run_id, None)
        self._reflow(force=True)
        self.style_cache.released(len(gone))
        self.empty_hint.setVisible(not self._panels and not self._pending)
        self.runsRemoved.emit([panel.state.run_id for panel in gone])

    # -- filter, sort and the compact list's selection -------------------------------------

    def set_arrangement(self, arrangement: Arrangement) -> None:
        """Shows the panels `arrangement` keeps, in its order (panels built later too)."""
        self._arrangement = arrangement
        self.rearrange()

    def set_single(self, compact: bool, run_id: str | None = None) -> None:
        """Compact mode shows only the panel of `run_id` (the compact list's selection);
        otherwise every panel the arrangement keeps."""
        if compact != self._compact:
            self._reveal_next = None  # a mode's own "newest comes in view" applies
        self._compact, self._single = compact, run_id if compact else None
        if compact:
            self._build_selected()
        elif self._pending and not self._builder.isActive():
            self._builder.start()  # the grid shows every panel: build those not built yet
        self.rearrange()
        panel = next((p for p in self._panels if compact and p.state.run_id == run_id), None)
        if panel is not None:
            QTimer.singleShot(0, self, lambda: self._reveal(panel))

    def rearrange_soon(self) -> None:
        """Places the panels again at the next turn of the event loop (once, however many
        runs changed status meanwhile)."""
        if not self._rearranger.isActive():
            self._rearranger.start()

    def rearrange(self) -> None:
        """Places the shown panels in order now and hides the others."""
        self._rearranger.stop()
        self._reflow(force=True)

    def shown_panels(self) -> list[RunPanel]:
        """The panels on show, in their order."""
        if self._compact:
            return [p for p in self._panels if p.state.run_id == self._single]
        if self._arrangement.is_plain:
            return list(self._panels)
        order = {id(s): i for i, s in enumerate(self._arrangement.apply(
            [p.state for p in self._panels]))}
        return sorted((p for p in self._panels if id(p.state) in order),
                      key=lambda p: order[id(p.state)])

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        """Reflows the panels when the width allows more or fewer columns."""
        super().resizeEvent(event)
        self._reflow()
        self.catch_up_seen()

    def catch_up_seen(self) -> None:
        """Lets every panel that can be seen show the text it kept while out of sight."""
        for panel in self._panels:
            if panel.output.has_backlog and panel.output.on_screen():
                panel.output.catch_up()

    def _on_scrollbar_valueChanged(self, _value: int) -> None:
        self.catch_up_seen()

    def _column_count(self) -> int:
        if self._compact:
            return 1
        width = self.viewport().width()
        return max(1, width // PANEL_MIN_WIDTH)

    def _place(self, index: int, panel: RunPanel) -> None:
        if self._compact and panel.state.run_id != self._single:
            panel.hide()  # the compact list shows it; its panel waits until selected
            return
        columns = self._column_count()
        if columns != self._columns or not self._arrangement.is_plain or self._compact:
            if not self._arrangement.is_plain:
                panel.hide()  # until the arrangement places it (or leaves it out)
            if columns == self._columns:
                self.rearrange_soon()
            else:
                self._reflow(force=True)
            return
        self._grid.addWidget(panel, index // columns, index % columns)

    def _reflow(self, *, force: bool = False) -> None:
        columns = self._column_count()
        if columns == self._columns and not force:
            return
        self._columns = columns
        shown = self.shown_panels()
        for panel in self._panels:
            self._grid.removeWidget(panel)
        kept = {id(panel) for panel in shown}
        for panel in self._panels:
            if id(panel) not in kept:
                panel.hide()
        for index, panel in enumerate(shown):
            self._grid.addWidget(panel, index // columns, index % columns)
            panel.show()
        for column in range(max(columns, self._grid.columnCount())):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)

    def _on_ticker_timeout(self) -> None:
        running = False
        for panel in self._panels:
            if not panel.state.status.is_terminal:
                panel.refresh_elapsed()
                running = True
        if not running:
            self._ticker.stop()
