"""`InputPromptBar`: the inline question of a run that waits for the person's feedback.

A task with `human_input` stops after its answer (streamed just above, in the run's panel)
and asks what to change. The bar says which task and agent ask, takes the feedback in a line
edit, and offers Send (revise with the feedback) and Approve (accept the answer as it is).
It lives in its run's panel only: other runs keep streaming meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.controllers.run_state import InputPrompt

__all__ = ["InputPromptBar", "prompt_title"]


def prompt_title(prompt: InputPrompt, task_count: int) -> str:
    """The line over the feedback field: who asks, about which task."""
    count = f" of {task_count}" if task_count else ""
    again = f" (round {prompt.round})" if prompt.round > 1 else ""
    return (
        f"{prompt.agent_role} finished task {prompt.task_index + 1}{count}{again}: your feedback?"
    )


class InputPromptBar(QFrame):
    """Asks for feedback on a task's answer; hidden while no question waits.

    Signals:
        submitted(str): The person's feedback; "" approves the answer.
    """

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the hidden bar.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("InputPromptBar")
        self.setStyleSheet(
            "#InputPromptBar { background: #fffbeb; border: 1px solid #f59e0b;"
            " border-radius: 4px; }"
        )
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setPlaceholderText("What should change? Leave empty to approve.")
        self.send_button = QPushButton("Send")
        self.approve_button = QPushButton("Approve")
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.send_button)
        row.addWidget(self.approve_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(row)
        self.field.returnPressed.connect(self._on_field_returnPressed)
        self.send_button.clicked.connect(self._on_send_clicked)
        self.approve_button.clicked.connect(self._on_approve_clicked)
        self.hide()

    def ask(self, prompt: InputPrompt, task_count: int) -> None:
        """Shows the question, with an empty field that has the focus."""
        self.title.setText(prompt_title(prompt, task_count))
        self.field.clear()
        self._set_enabled(True)
        self.show()
        self.field.setFocus()

    def close_prompt(self) -> None:
        """Hides the bar (the question was answered, or the run ended)."""
        self.hide()
        self.field.clear()

    def _on_field_returnPressed(self) -> None:
        self._submit(self.field.text().strip())

    def _on_send_clicked(self) -> None:
        self._submit(self.field.text().strip())

    def _on_approve_clicked(self) -> None:
        self._submit("")

    def _submit(self, text: str) -> None:
        self._set_enabled(False)  # one answer per question; the next question enables it
        self.submitted.emit(text)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.field, self.send_button, self.approve_button):
            widget.setEnabled(enabled)
