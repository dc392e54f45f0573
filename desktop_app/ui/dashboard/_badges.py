"""What tells runs apart at a glance: a panel's title (the crew and its inputs) and its badge
(the model that answers, or SIMULATOR).

Panels of a for-each batch share their crew's name; their inputs are what differs, so they go
in the title (cut to fit, whole in the tooltip). The badge says whether a run used a real
model (which one) or the offline simulator, which costs nothing and answers with made-up text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy

from desktop_app.documents.model import CrewDocument
from desktop_app.storage.settings import Settings
from desktop_app.ui.dashboard._preflight import SIMULATOR_BADGE, models_of

__all__ = ["FULL_TITLE", "TITLE_LIMIT", "TitleElider", "model_badge", "run_title",
           "show_badge"]

TITLE_LIMIT = 200
"""Characters of a panel's title kept at most; on screen it is cut to the label's width."""

FULL_TITLE = "fullTitle"
"""The property of a title label that keeps its whole text (the text shown may be cut)."""

_REAL_COLOURS = ("#dbeafe", "#1e3a8a")
_SIMULATOR_COLOURS = ("#fef3c7", "#78350f")
"""Background and text of a badge: blue for a real model, amber for the simulator. Set as a
palette, not a style sheet: a style sheet per label costs a style polish per panel built."""


def _value_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split())


def run_title(crew_name: str, inputs: Mapping[str, Any]) -> tuple[str, str]:
    """A run's title (the crew, then its inputs, cut to `TITLE_LIMIT`) and its tooltip."""
    if not inputs:
        return crew_name, crew_name
    pairs = ", ".join(f"{name}: {_value_text(value)}" for name, value in inputs.items())
    whole = f"{crew_name} · {pairs}"
    title = whole if len(whole) <= TITLE_LIMIT else whole[: TITLE_LIMIT - 1].rstrip() + "…"
    lines = "\n".join(f"{name}: {_value_text(value)}" for name, value in inputs.items())
    return title, f"{crew_name}\n{lines}"


def _is_simulator_model(model: str) -> bool:
    """The simulator's own model names (`openai/sim`, `openai/sim:tps=...`)."""
    name = model.split("/", 1)[-1]
    return name == "sim" or name.startswith("sim:")


def model_badge(document: CrewDocument, settings: Settings, *, dry_run: bool) -> tuple[str, str]:
    """The badge of a run of `document` (text, tooltip): SIMULATOR, or the model that answers
    ("gpt-4o-mini", "gpt-4o-mini +1" when agents use several)."""
    if dry_run:
        return SIMULATOR_BADGE, "A dry run: the offline simulator answers every agent."
    uses = models_of(document, settings)
    if all(use.simulated or _is_simulator_model(use.model) for use in uses):
        return SIMULATOR_BADGE, "The offline simulator answers every agent."
    real = [use for use in uses if not (use.simulated or _is_simulator_model(use.model))]
    first = real[0].model.split("/", 1)[-1].split(":", 1)[0]
    text = first if len(real) == 1 else f"{first} +{len(real) - 1}"
    lines = [
        f"{use.model}" + (f" (provider {use.provider.display_name})" if use.provider else "")
        for use in uses
    ]
    return text, "Models of this run:\n" + "\n".join(lines)


def show_badge(label: QLabel, text: str, tooltip: str) -> None:
    """Shows a badge in `label`: amber for SIMULATOR, blue for a real model."""
    background, foreground = _SIMULATOR_COLOURS if text == SIMULATOR_BADGE else _REAL_COLOURS
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(background))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(foreground))
    label.setPalette(palette)
    label.setAutoFillBackground(True)
    label.setMargin(2)
    font = label.font()
    font.setBold(text == SIMULATOR_BADGE)
    label.setFont(font)
    label.setText(text)
    label.setToolTip(tooltip)
    label.setVisible(bool(text))


class TitleElider(QObject):
    """Keeps a title label's text cut with "…" to the label's width as the panel resizes,
    so the badge, mode and status beside it stay in view (the tooltip has it all)."""

    def show_title(self, label: QLabel, title: str, tooltip: str) -> None:
        """Shows `title` in `label`, cut to its width now and whenever it resizes."""
        label.setProperty(FULL_TITLE, title)
        label.setToolTip(tooltip)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, label.sizePolicy().verticalPolicy())
        label.installEventFilter(self)
        _elide(label)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override  # noqa: N802
        """Cuts the title again when its label changed size."""
        if event.type() == QEvent.Type.Resize and isinstance(watched, QLabel):
            _elide(watched)
        return False


def _elide(label: QLabel) -> None:
    full = str(label.property(FULL_TITLE) or "")
    width = label.contentsRect().width()
    shown = label.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, width)
    label.setText(shown if width > 0 else full)
