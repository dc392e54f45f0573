"""`ApprovalPromptBar`: the inline Run / Deny / Always of a run that waits on a tool call.

Under a crew's approval "ask", a call that runs code, reaches the network, writes a file,
reads outside the crew's folder or calls an MCP tool waits for the person. The bar says which
agent wants to do what, shows the code or call in a monospace, scrollable box (keys already
masked by the broker), and offers Run (this call), Deny (the model gets an error and the run
goes on) and "Always for this crew" (this call and every later one, saved in the crew's
settings). It lives in its run's panel only: other runs keep streaming meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.approval import ApprovalRequest

__all__ = ["ApprovalPromptBar", "approval_title"]

_WHAT = {
    "code": "wants to run code",
    "network": "wants to reach the network",
    "file_write": "wants to write a file",
    "file_read": "wants to read a file outside the crew's folder",
    "mcp": "wants to call an MCP tool",
}


def approval_title(request: ApprovalRequest) -> str:
    """The line over the code or call: who wants to do what, with which tool."""
    who = request.agent_role or "An agent"
    what = _WHAT.get(request.kind, "wants to use a tool")
    task = f" (task {request.task_name})" if request.task_name else ""
    return f"{who}{task} {what}: {request.summary} [{request.tool_name}]"


def approval_detail(request: ApprovalRequest) -> str:
    """What the box shows: the whole code or call, and what it touches."""
    detail = request.detail or request.summary
    if request.target and request.target not in detail:
        detail = f"{request.target}\n\n{detail}"
    return detail


class ApprovalPromptBar(QFrame):
    """Asks to allow one tool call; hidden while none waits.

    Signals:
        decided(str): "run", "deny" or "always".
    """

    decided = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the hidden bar.

        Args:
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("ApprovalPromptBar")
        self.setStyleSheet(
            "#ApprovalPromptBar { background: #fef2f2; border: 1px solid #dc2626;"
            " border-radius: 4px; }"
        )
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("approvalDetail")
        self.detail.setReadOnly(True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.detail.setMaximumHeight(110)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("approveRun")
        self.deny_button = QPushButton("Deny")
        self.deny_button.setObjectName("approveDeny")
        self.always_button = QPushButton("Always for this crew")
        self.always_button.setObjectName("approveAlways")
        self.always_button.setToolTip("Run this call and every later one of this crew without "
                                      "asking (saved in the crew's settings)")
        row = QHBoxLayout()
        row.addStretch(1)
        for button, decision in ((self.run_button, "run"), (self.deny_button, "deny"),
                                 (self.always_button, "always")):
            row.addWidget(button)
            button.clicked.connect(lambda _checked=False, d=decision: self._decide(d))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addLayout(row)
        self.hide()

    def ask(self, request: ApprovalRequest) -> None:
        """Shows the request, its buttons enabled; Deny has the focus (the safe answer)."""
        self.title.setText(approval_title(request))
        self.detail.setPlainText(approval_detail(request))
        self._set_enabled(True)
        self.show()
        self.deny_button.setFocus()

    def close_prompt(self) -> None:
        """Hides the bar (the call was decided, or the run ended)."""
        self.hide()
        self.detail.clear()

    def _decide(self, decision: str) -> None:
        self._set_enabled(False)  # one answer per request; the next request enables them
        self.decided.emit(decision)

    def _set_enabled(self, enabled: bool) -> None:
        for button in (self.run_button, self.deny_button, self.always_button):
            button.setEnabled(enabled)
