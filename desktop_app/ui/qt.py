"""The one place where the app's own modules get their asyncio bridge to Qt.

qasync picks whichever Qt binding it finds first, so `QT_API` is set to "pyside6" and PySide6
is imported before qasync (see FIELD-NOTES: "qasync picks whichever Qt binding it finds
first"). Modules of `desktop_app.ui` import `asyncSlot` and `QEventLoop` from here, never
from qasync directly.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_API", "pyside6")

import PySide6.QtWidgets  # noqa: E402,F401 - must precede qasync's binding lookup
import qasync  # noqa: E402

asyncSlot = qasync.asyncSlot
"""Decorates an `async def` method so that a Qt signal can start it as a task."""

QEventLoop = qasync.QEventLoop
"""The asyncio event loop that runs on the Qt event loop."""

__all__ = ["QEventLoop", "asyncSlot"]
