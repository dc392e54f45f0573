"""`FlowPanel`: one flow run on the dashboard: its graph lighting up, its crews, its state.

The panel observes a `FlowRunState`: nodes change colour as steps run (`FlowGraphView`),
each crew a step kicks off gets its own `StreamView` tab titled "step · crew", the flow's
state values are shown as JSON after each step, and the status line names the failed step
and its error. A step's `@human_feedback` question shows its output and message with a line
to answer (Send; an empty answer takes the default outcome). Stop asks the controller to cancel the run (`stopRequested`).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.controllers.flow_state import FlowRunState, FlowStatus
from desktop_app.ui.dashboard.stream_view import StreamView, TextKind
from desktop_app.ui.flows.graph_view import FlowGraphView

__all__ = ["FlowPanel"]

_STATUS_TEXT = {
    FlowStatus.STARTING: "Starting…",
    FlowStatus.RUNNING: "Running",
    FlowStatus.DONE: "Done",
    FlowStatus.FAILED: "Failed",
    FlowStatus.CANCELLED: "Cancelled",
}


class FlowPanel(QFrame):
    """Shows one flow run.

    Signals:
        stopRequested(str): The user pressed Stop (the run id).
        closeRequested(str): The user closed an ended run's panel (the run id).
    """

    stopRequested = Signal(str)
    closeRequested = Signal(str)

    def __init__(self, state: FlowRunState, crews: dict[str, list[str]] | None = None,
                 parent: QWidget | None = None) -> None:
        """Builds the panel of `state`, with the crews each step names (for the graph)."""
        super().__init__(parent)
        self.setObjectName("flowPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.state = state
        self.streams: dict[str, StreamView] = {}
        self.graph_view = FlowGraphView(state.graph, crews, self)
        self.graph_view.setMinimumHeight(150)
        self.title = QLabel(f"<b>Flow {state.flow_name}</b>"
                            + ("  <span style='color:#7c3aed'>DRY RUN · SIMULATOR</span>"
                               if state.dry_run else ""))
        self.status = QLabel(_STATUS_TEXT[state.status])
        self.status.setObjectName("flowStatus")
        self.status.setWordWrap(True)
        self.stop_button = QPushButton("Stop")
        self.close_button = QPushButton("Close")
        self.close_button.setEnabled(False)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #a16207")
        self.notes.hide()
        self._build_feedback()
        self.crew_tabs = QTabWidget()
        self.state_view = QPlainTextEdit()
        self.state_view.setObjectName("flowStateView")
        self.state_view.setReadOnly(True)
        self.state_view.setPlaceholderText("The flow's state shows here after each step.")
        self._layout()
        self._connect()
        for step, status in state.nodes.items():
            self.graph_view.set_status(step, status.value)

    def _build_feedback(self) -> None:
        """The `@human_feedback` question's box (hidden until a step asks)."""
        self.feedback = QFrame()
        self.feedback.setObjectName("flowFeedback")
        self.feedback_text = QLabel()
        self.feedback_text.setWordWrap(True)
        self.feedback_text.setTextFormat(Qt.TextFormat.PlainText)
        self.feedback_edit = QLineEdit()
        self.feedback_edit.setPlaceholderText("Your feedback (empty: the default)")
        self.feedback_button = QPushButton("Send")
        self.feedback.hide()

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(self.stop_button)
        bar.addWidget(self.close_button)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.crew_tabs)
        state_box = QWidget()
        state_layout = QVBoxLayout(state_box)
        state_layout.setContentsMargins(0, 0, 0, 0)
        state_layout.addWidget(QLabel("State"))
        state_layout.addWidget(self.state_view, 1)
        lower.addWidget(state_box)
        lower.setSizes([600, 260])
        ask = QVBoxLayout(self.feedback)
        ask.setContentsMargins(0, 0, 0, 0)
        ask.addWidget(self.feedback_text)
        answer = QHBoxLayout()
        answer.addWidget(self.feedback_edit, 1)
        answer.addWidget(self.feedback_button)
        ask.addLayout(answer)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.notes)
        layout.addWidget(self.feedback)
        layout.addWidget(self.graph_view, 2)
        layout.addWidget(lower, 3)

    def _connect(self) -> None:
        state = self.state
        state.nodeChanged.connect(self._on_state_nodeChanged)
        state.crewStarted.connect(self._on_state_crewStarted)
        state.crewText.connect(self._on_state_crewText)
        state.stateChanged.connect(self._on_state_stateChanged)
        state.statusChanged.connect(self._on_state_statusChanged)
        state.noteAdded.connect(self._on_state_noteAdded)
        state.feedbackRequested.connect(self._on_state_feedbackRequested)
        state.feedbackAnswered.connect(self.feedback.hide)
        self.feedback_button.clicked.connect(self._on_feedback_button_clicked)
        self.feedback_edit.returnPressed.connect(self._on_feedback_button_clicked)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.close_button.clicked.connect(self._on_close_button_clicked)

    def stream_titles(self) -> list[str]:
        """The titles of the crews' tabs ("step · crew")."""
        return [self.crew_tabs.tabText(index) for index in range(self.crew_tabs.count())]

    def _on_state_nodeChanged(self, step: str, status: str) -> None:
        self.graph_view.set_status(step, status)
        if status == "running":
            self.status.setText(f"Running step {step}")

    def _on_state_crewStarted(self, crew_run_id: str, step: str, crew: str) -> None:
        view = StreamView()
        self.streams[crew_run_id] = view
        index = self.crew_tabs.addTab(view, f"{step} · {crew}")
        self.crew_tabs.setCurrentIndex(index)

    def _on_state_crewText(self, crew_run_id: str, text: str, kind: str) -> None:
        view = self.streams.get(crew_run_id)
        if view is not None:
            view.append_text(text, _kind(kind))

    def _on_state_stateChanged(self, values: dict[str, Any]) -> None:
        self.state_view.setPlainText(json.dumps(values, indent=2, default=str))

    def _on_state_noteAdded(self, text: str) -> None:
        self.notes.setText("\n".join(f"⚠ {note}" for note in self.state.warnings))
        self.notes.show()

    def _on_state_feedbackRequested(self, request: Any) -> None:
        output = str(getattr(request.output, "raw", request.output))
        choices = f"\nOutcomes: {' / '.join(request.emit)}" if request.emit else ""
        self.feedback_text.setText(f"Step {request.method} asks: {request.message}\n\n"
                                   f"{output[:2000]}{choices}")
        self.feedback_edit.clear()
        self.feedback.show()
        self.feedback_edit.setFocus()

    def _on_feedback_button_clicked(self) -> None:
        self.state.answer(self.feedback_edit.text().strip())

    def _on_state_statusChanged(self, status: str) -> None:
        state = self.state
        text = _STATUS_TEXT[FlowStatus(status)]
        if state.status is FlowStatus.FAILED:
            text = f"Failed: {state.error}" if state.error else text
        elif state.status is FlowStatus.DONE:
            text = f"Done ({state.total_tokens} tokens)"
        self.status.setText(text)
        if state.ended:
            self.stop_button.setEnabled(False)
            self.close_button.setEnabled(True)

    def _on_stop_button_clicked(self) -> None:
        self.stop_button.setEnabled(False)
        self.status.setText("Stopping…")
        self.stopRequested.emit(self.state.run_id)

    def _on_close_button_clicked(self) -> None:
        self.closeRequested.emit(self.state.run_id)


def _kind(kind: str) -> TextKind:
    known: tuple[TextKind, ...] = ("text", "heading", "tool", "result", "error", "human",
                                   "warning")
    return next((one for one in known if one == kind), "text")
