"""Asking once per folder whether a CrewAI project's code may run (workspace trust).

Opening a project trusted runs its Python code in the app's process (as ``crewai run``
would), so the app asks first, as an editor does for a workspace: "Trust and open", "Open
without running code" (the static import: the YAML files only), or Cancel. The answer is kept
per folder in the settings and the question is not asked again for that folder.

The question is a window-modal box opened with ``open()`` and awaited through a future, never
a nested ``exec()`` (see FIELD-NOTES.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from desktop_app.ui.widgets.ask import finished

__all__ = ["TrustChoice", "ask_trust", "trust_key"]

TrustChoice = Literal["trust", "static", "cancel"]
"""Run the project's code / read its files only / do not open it."""

_Role = QMessageBox.ButtonRole


def trust_key(folder: Path) -> str:
    """The settings key of a folder (its absolute path)."""
    return str(folder.expanduser().absolute())


def _text(folder: Path) -> str:
    return (
        f"<p><b>Do you trust the code in {folder}?</b></p>"
        "<p>Opening a CrewAI project runs its Python code (crew.py, its tools and callbacks) "
        "inside CrewDesk, with your files and keys, the way <code>crewai run</code> does. "
        "Open it only if you trust its authors.</p>"
        "<p>Without running its code, CrewDesk reads its YAML files only: tools, output "
        "models, callbacks and other settings made in code are left out.</p>"
    )


async def ask_trust(parent: QWidget | None, folder: Path) -> TrustChoice:
    """Asks whether the folder's code may run (window-modal, no nested event loop).

    Returns:
        "trust", "static", or "cancel" (also when the box was closed).
    """
    box = QMessageBox(QMessageBox.Icon.Warning, "Trust this project?", _text(folder),
                      QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("trustBox")
    trust = box.addButton("Trust and open", _Role.AcceptRole)
    trust.setObjectName("trustButton")
    static = box.addButton("Open without running code", _Role.ActionRole)
    static.setObjectName("staticButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    await finished(box)
    clicked = cast(QAbstractButton | None, box.clickedButton())  # None when closed
    if clicked is trust:
        return "trust"
    if clicked is static:
        return "static"
    return "cancel"
