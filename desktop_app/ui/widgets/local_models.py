"""The models of Ollama and LM Studio servers running on this machine, for the model pickers.

`LocalModelFinder` asks `engine._local_models.find_local_models` in a worker thread (the
servers may be missing: each request has a short timeout, and the GUI thread never waits),
at most every `REFRESH_SECONDS`, and announces what it found. `offer_local_models` puts them
in a model box, each with a "local" badge and a tooltip naming its server, size and whether
it can call tools; `tool_warning` is the sentence a form shows for a model that cannot.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox

from desktop_app.engine._local_models import (
    LocalModel,
    Server,
    find_local_models,
    local_model_named,
)

LOCAL_ROLE = int(Qt.ItemDataRole.UserRole) + 41
"""Item data role of a model box entry: the `LocalModel` it offers (None for typed ones)."""

REFRESH_SECONDS = 30.0
"""A new lookup when a form asks again after this long (a server started meanwhile)."""


class LocalModelFinder(QObject):
    """Looks for local servers' models off the GUI thread and announces them.

    Signals:
        found(list): The models found (a list of `LocalModel`), after each lookup.
    """

    found = Signal(list)
    _looked = Signal(list)

    def __init__(self, urls: dict[Server, str] | None = None, parent: QObject | None = None):
        """Args:
        urls: Where each server is; the engine's defaults (and variables) when None.
        parent: The Qt parent.
        """
        super().__init__(parent)
        self._urls = urls
        self.models: list[LocalModel] = []
        self._looking = False
        self._last = float("-inf")
        self._looked.connect(self._on_looked)

    def refresh(self, *, force: bool = False) -> None:
        """Starts a lookup unless one runs or the last one is recent (unless `force`)."""
        if self._looking or (not force and time.monotonic() - self._last < REFRESH_SECONDS):
            return
        self._looking = True
        threading.Thread(target=self._look, name="local-models", daemon=True).start()

    def _look(self) -> None:
        try:
            models = find_local_models(self._urls)
        except Exception:  # noqa: BLE001 - a lookup that fails finds nothing, quietly
            models = []
        # Queued to the GUI thread; a finder deleted meanwhile (the app closing) raises.
        with contextlib.suppress(RuntimeError):
            self._looked.emit(models)

    def _on_looked(self, models: list[LocalModel]) -> None:
        self._looking = False
        self._last = time.monotonic()
        self.models = models
        self.found.emit(models)


_shared: LocalModelFinder | None = None


def shared_finder() -> LocalModelFinder:
    """The app's one finder (made on first use, on the GUI thread)."""
    global _shared
    if _shared is None:
        _shared = LocalModelFinder()
    return _shared


def offer_local_models(
    box: QComboBox, models: Sequence[LocalModel], server: Server | None = None
) -> None:
    """Replaces the local entries of `box` with `models` (of `server` only, when given),
    leaving its typed text and other entries alone. Embedding models are not offered."""
    blocked = box.blockSignals(True)
    try:
        text = box.currentText()
        for index in reversed(range(box.count())):
            if box.itemData(index, LOCAL_ROLE) is not None:
                box.removeItem(index)
        for model in models:
            if model.embedding or (server is not None and model.server != server):
                continue
            existing = box.findText(model.model)
            if existing >= 0:
                box.removeItem(existing)  # a suggestion that is installed: shown as local
            box.addItem(local_badge(), model.model)
            index = box.count() - 1
            box.setItemData(index, model, LOCAL_ROLE)
            box.setItemData(index, _tooltip(model), Qt.ItemDataRole.ToolTipRole)
        if box.isEditable():
            box.setEditText(text)
    finally:
        box.blockSignals(blocked)


def tool_warning(models: Sequence[LocalModel], model: str) -> str | None:
    """What to tell the user when `model` is a local model that cannot call tools."""
    found = local_model_named(models, model.strip()) if model.strip() else None
    return found.tool_warning() if found is not None else None


def _tooltip(model: LocalModel) -> str:
    tools = {True: "can call tools", False: "cannot call tools", None: "tool use not reported"}
    parts = [f"Local model on {model.server_label} ({model.base_url})", tools[model.tools]]
    if model.detail:
        parts.append(model.detail)
    return " · ".join(parts)


_badge: QIcon | None = None


def local_badge() -> QIcon:
    """A small rounded "local" tag, the badge of a local model's entry."""
    global _badge
    if _badge is None:
        pixmap = QPixmap(34, 16)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#1e8449"))
        painter.drawRoundedRect(QRectF(0, 1, 34, 14), 4, 4)
        font = QFont()
        font.setPixelSize(10)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(0, 1, 34, 14), Qt.AlignmentFlag.AlignCenter, "local")
        painter.end()
        _badge = QIcon(pixmap)
    return _badge
