"""`Notifier`: tells the person, outside the window, that a run waits for them.

A run that asks for feedback or for an approval waits, possibly for hours, until someone
answers; a person working in another window would never know. When CrewDesk's window is not
the active one, the notifier gives a desktop notification: a message from a system tray icon
when the desktop has a tray (`QSystemTrayIcon.showMessage`), else `QApplication.alert`, which
flashes the window's entry in the task bar (or bounces the dock icon) until it is activated.
While the window is active nothing is sent: the dashboard's tab title and the panel say it.
Clicking the tray's message (or its icon) brings the window back to the front.

Every notice given is kept in `sent` (newest last), so tests and the status bar can tell
what was notified without a desktop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon, QWidget

__all__ = ["MAX_KEPT", "Notice", "Notifier"]

MAX_KEPT = 100
"""Notices kept in `Notifier.sent`; older ones are dropped."""

MESSAGE_MS = 10_000
"""How long a tray message stays, in milliseconds (the desktop may cut it)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification given.

    Attributes:
        title: Its first line ("A run is waiting for you").
        message: What waits, in a sentence.
        via: "tray" (a tray icon's message) or "alert" (`QApplication.alert` on the window).
    """

    title: str
    message: str
    via: Literal["tray", "alert"]


class Notifier(QObject):
    """Gives desktop notifications for one window, only while it is not the active one.

    Attributes:
        sent: The notices given so far, newest last (at most `MAX_KEPT`).
    """

    def __init__(self, parent: QObject | None = None, *, use_tray: bool | None = None) -> None:
        """Creates a notifier; the tray icon is made on first use.

        Args:
            parent: The Qt parent.
            use_tray: Use a tray icon's message (None: when the desktop has a tray).
        """
        super().__init__(parent)
        self.sent: list[Notice] = []
        self._use_tray = use_tray
        self._tray: QSystemTrayIcon | None = None
        self._window: QWidget | None = None

    def notify(self, window: QWidget, title: str, message: str) -> Notice | None:
        """Notifies about `message` unless `window` is the active window.

        Args:
            window: The app's top-level window.
            title: The notification's first line.
            message: What happened, in a sentence.

        Returns:
            The notice given, or None when the window is active (nothing is sent).
        """
        window = window.window()
        if window.isActiveWindow():
            return None
        self._window = window
        tray = self._tray_icon(window)
        if tray is not None:
            tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information,
                             MESSAGE_MS)
            notice = Notice(title, message, "tray")
        else:
            QApplication.alert(window, 0)
            notice = Notice(title, message, "alert")
        self.sent = [*self.sent[-(MAX_KEPT - 1):], notice]
        return notice

    def _tray_icon(self, window: QWidget) -> QSystemTrayIcon | None:
        """The tray icon to show messages from (made and shown once), or None without a tray."""
        use = self._use_tray
        if use is None:
            use = QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()
        if not use:
            return None
        if self._tray is None:
            icon = window.windowIcon()
            if icon.isNull():
                icon = QIcon(window.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation))
            self._tray = QSystemTrayIcon(icon, self)
            self._tray.setToolTip("CrewDesk")
            self._tray.messageClicked.connect(self.bring_back)
            self._tray.activated.connect(self._on_tray_activated)
            self._tray.show()
        return self._tray

    def bring_back(self) -> None:
        """Shows the window last notified for in front (restored if it was minimised)."""
        window = self._window
        if window is None:
            return
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()

    def _on_tray_activated(self, _reason: QSystemTrayIcon.ActivationReason) -> None:
        self.bring_back()
