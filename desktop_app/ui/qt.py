"""The one place where the app's own modules get their asyncio bridge to Qt.

qasync picks whichever Qt binding it finds first, so `QT_API` is set to "pyside6" and PySide6
is imported before qasync (see FIELD-NOTES: "qasync picks whichever Qt binding it finds
first"). Modules of `desktop_app.ui` import `asyncSlot` and `QEventLoop` from here, never
from qasync directly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

os.environ.setdefault("QT_API", "pyside6")

import PySide6.QtWidgets  # noqa: E402,F401 - must precede qasync's binding lookup
import qasync  # noqa: E402

_Handler = TypeVar("_Handler", bound=Callable[..., Coroutine[Any, Any, Any]])


def asyncSlot(*types: type) -> Callable[[_Handler], _Handler]:  # noqa: N802 - qasync's name
    """Decorates an `async def` method so that a Qt signal starts it as a task.

    Keep such handlers thin: a few lines that await a plain `async def`, which tests call.

    Args:
        *types: The slot's argument types, as for `PySide6.QtCore.Slot`.
    """
    return cast("Callable[[_Handler], _Handler]", qasync.asyncSlot(*types))


QEventLoop = qasync.QEventLoop
"""The asyncio event loop that runs on the Qt event loop."""

__all__ = ["QEventLoop", "asyncSlot"]
