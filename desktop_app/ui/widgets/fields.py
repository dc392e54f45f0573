"""`FieldRow`: an editor with the reason it is wrong shown right under it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class FieldRow(QWidget):
    """Wraps one editor and a red message line that says what is wrong with its value.

    The message line is hidden while there is nothing to say.
    """

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        """Builds the row.

        Args:
            editor: The field's editor (it is reparented into the row).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.editor = editor
        self.error_label = QLabel(self)
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.error_label)

    def set_messages(self, messages: Sequence[str]) -> None:
        """Shows the messages (one a line), or hides the line when there are none."""
        text = "\n".join(messages)
        if text != self.error_label.text():
            self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def message(self) -> str:
        """The message shown, or "" when the field is fine."""
        return self.error_label.text() if not self.error_label.isHidden() else ""


W = TypeVar("W", bound=QObject)


def named(obj: W, name: str) -> W:
    """Gives a widget its object name (what tests and style sheets find it by) and returns it."""
    obj.setObjectName(name)
    return obj
