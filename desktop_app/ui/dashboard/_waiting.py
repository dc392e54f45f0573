"""The "waiting for you" state: runs that wait for the person's feedback or approval.

A run waits while a task asks for feedback (`RunState.pending_input`) or a tool call asks
to be allowed (`RunState.pending_approval`); it stops waiting once answered or decided, or
when the run ends. `WaitingWatch` follows every run the dashboard shows, counts those that
wait (the Dashboard tab's title says "Dashboard · 2 waiting") and gives a desktop
notification (`desktop_app.ui._notify`) each time a run starts to wait while the window is
not the active one. `waiting_colours` picks the state's colours from the theme's palette, so
that it stands out from every other status in a light and in a dark theme.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QTabWidget, QWidget

from desktop_app.ui._notify import Notifier
from desktop_app.ui.controllers.run_state import RunState

__all__ = ["WAITING_TEXT", "WaitingWatch", "badge_sheets", "dashboard_tab_title",
           "frame_sheets", "is_waiting", "show_in_tab_title", "waiting_colours",
           "waiting_reason"]

WAITING_TEXT = "Waiting for you"
"""What a waiting run's status shows."""

_LIGHT = ("#f97316", "#ffffff")
_DARK = ("#fb923c", "#1c1917")
"""Background and text of the waiting status: orange, which no other status uses (queued
grey, running blue, done green, failed red, cancelled brown); brighter on a dark theme."""


def is_waiting(state: RunState) -> bool:
    """Whether the run waits for the person (a question or an approval) and has not ended."""
    return not state.status.is_terminal and (
        state.pending_input is not None or state.pending_approval is not None)


def waiting_reason(state: RunState) -> str:
    """What the run waits for, in a sentence naming the run."""
    if state.pending_approval is not None:
        request = state.pending_approval
        return f"{state.crew_name} asks for your approval: {request.summary}."
    prompt = state.pending_input
    if prompt is not None:
        return (f"{state.crew_name}: task {prompt.task_index + 1} waits for your feedback "
                f"({prompt.agent_role}).")
    return f"{state.crew_name} waits for you."


def waiting_colours(palette: QPalette) -> tuple[QColor, QColor]:
    """The waiting status's background and text for a theme (dark when its window is)."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    background, text = _DARK if dark else _LIGHT
    return QColor(background), QColor(text)


_BADGE = "color: {1}; background: {0}; border-radius: 3px; padding: 1px 6px;"


def badge_sheets(background: str | None, text: str = "white") -> tuple[str, str]:
    """The style sheets (light theme, dark theme) of a panel's status badge: in
    `background`, or in the waiting colours when it is None (`_theme.themed_sheet` swaps
    them when the theme changes)."""
    if background is None:
        return _BADGE.format(*_LIGHT), _BADGE.format(*_DARK)
    sheet = _BADGE.format(background, text)
    return sheet, sheet


def frame_sheets() -> tuple[str, str]:
    """The style sheets (light, dark) that frame a waiting run's panel in the waiting colour."""
    light, dark = (f"#RunPanel {{ border: 2px solid {colours[0]}; }}" for colours in (_LIGHT, _DARK))
    return light, dark


def dashboard_tab_title(waiting: int) -> str:
    """The Dashboard tab's title: "Dashboard", or "Dashboard · 2 waiting"."""
    return f"Dashboard · {waiting} waiting" if waiting else "Dashboard"


def show_in_tab_title(view: QWidget, waiting: int) -> None:
    """Titles the tab that holds `view` (the main window's Dashboard tab) with the number
    of runs waiting; nothing when `view` is not in a tab."""
    tabs = view.parentWidget()
    while tabs is not None and not isinstance(tabs, QTabWidget):
        tabs = tabs.parentWidget()
    index = tabs.indexOf(view) if isinstance(tabs, QTabWidget) else -1
    if isinstance(tabs, QTabWidget) and index >= 0:
        tabs.setTabText(index, dashboard_tab_title(waiting))


class WaitingWatch(QObject):
    """Counts the runs that wait for the person, and notifies when one starts to wait.

    Signals:
        waitingChanged(int): The number of runs waiting changed (the new number).
        runWaitingChanged(str, bool): A run started (True) or stopped (False) waiting.
    """

    waitingChanged = Signal(int)
    runWaitingChanged = Signal(str, bool)

    def __init__(self, window: Callable[[], QWidget], notifier: Notifier | None = None,
                 parent: QObject | None = None) -> None:
        """Follows no run yet.

        Args:
            window: Gives the top-level window to notify for (asked at each notice).
            notifier: Gives the desktop notifications; a new one when None.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.notifier = notifier or Notifier(self)
        self._window = window
        self._waiting: set[str] = set()

    @property
    def count(self) -> int:
        """How many runs wait now."""
        return len(self._waiting)

    def waiting_ids(self) -> set[str]:
        """The ids of the runs that wait now."""
        return set(self._waiting)

    def follow(self, state: RunState) -> None:
        """Follows a run (from its creation to its end); holds no reference to it, so it
        goes when the dashboard lets its panel go."""
        for signal in (state.inputRequested, state.inputClosed, state.approvalRequested,
                       state.approvalClosed, state.statusChanged):
            signal.connect(self._on_state_changed)
        self._update(state)

    def forget(self, run_id: str) -> None:
        """Stops counting a run (its panel was removed)."""
        if run_id in self._waiting:
            self._waiting.discard(run_id)
            self.runWaitingChanged.emit(run_id, False)
            self.waitingChanged.emit(len(self._waiting))

    def _on_state_changed(self, *_args: object) -> None:
        state = self.sender()
        if isinstance(state, RunState):
            self._update(state)

    def _update(self, state: RunState) -> None:
        waiting = is_waiting(state)
        if waiting == (state.run_id in self._waiting):
            return  # a second question closes the first before it asks: both are seen
        if waiting:
            self._waiting.add(state.run_id)
        else:
            self._waiting.discard(state.run_id)
        self.runWaitingChanged.emit(state.run_id, waiting)
        self.waitingChanged.emit(len(self._waiting))
        if waiting:
            self._notify(state)

    def _notify(self, state: RunState) -> None:
        self.notifier.notify(self._window(), "A run is waiting for you", waiting_reason(state))
