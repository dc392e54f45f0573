"""What the main window keeps between sessions besides its geometry: the positions of its
named splitters and the theme. Kept in `Settings` (``splitter_states``, ``theme``).

Every `QSplitter` under the window with an object name takes part, so a view that adds a
splitter only names it (``dashboardSplitter``, ``historySplitter`` ...); unnamed splitters
are left alone, and a saved state for a splitter that no longer exists is dropped.
"""

from __future__ import annotations

import base64
import binascii

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QSplitter, QWidget

from desktop_app.storage.settings import Settings

__all__ = ["remember_splitters", "restore_splitters", "splitters"]


def splitters(window: QWidget) -> dict[str, QSplitter]:
    """The window's named splitters, by object name."""
    return {splitter.objectName(): splitter for splitter in window.findChildren(QSplitter)
            if splitter.objectName()}


def remember_splitters(window: QWidget, settings: Settings) -> None:
    """Stores each named splitter's state in ``settings`` (as base64)."""
    settings.splitter_states = {
        name: base64.b64encode(bytes(splitter.saveState().data())).decode("ascii")
        for name, splitter in splitters(window).items()
    }


def restore_splitters(window: QWidget, settings: Settings) -> None:
    """Puts each named splitter back where ``settings`` says (a damaged entry is skipped)."""
    found = splitters(window)
    for name, text in settings.splitter_states.items():
        splitter = found.get(name)
        if splitter is None:
            continue
        try:
            state = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            continue
        splitter.restoreState(QByteArray(state))
