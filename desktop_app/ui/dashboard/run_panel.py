"""`RunPanel`: one run's live view (status, task, time, tokens, cost, streamed text).

The panel observes a `RunState` and never touches the engine. Text arrives already coalesced
per frame (see `FrameClock`) and goes into a `StreamView`; tool calls, their results and task
headings get their own colours so they stand out from the model's text. In a hierarchical
crew a line names each agent that takes over (a coworker the manager delegated to, then the
manager again). A task that waits for the person's feedback shows an `InputPromptBar`; a tool
call that waits for approval (the crew's approval "ask") shows an `ApprovalPromptBar` with the
code or call and Run / Deny / Always.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.approval import ApprovalRequest
from desktop_app.ui._run_modes import mode_label, mode_tooltip
from desktop_app.ui._theme import themed_sheet
from desktop_app.ui.controllers.run_state import (
    InputPrompt,
    RunState,
    RunStatus,
    describe_tool_call,
    error_line,
    feedback_line,
    speaker_line,
    task_heading,
    warning_line,
)
from desktop_app.ui.dashboard._cost_split import CostSplitLabel
from desktop_app.ui.dashboard._waiting import WAITING_TEXT, badge_sheets, frame_sheets, is_waiting
from desktop_app.ui.dashboard.approval_prompt import ApprovalPromptBar
from desktop_app.ui.dashboard.input_prompt import InputPromptBar
from desktop_app.ui.dashboard.stream_view import StreamView
from desktop_app.ui.history._trace import open_panel_trace
from desktop_app.ui.qt import asyncSlot

__all__ = ["PANEL_HEIGHT", "SETTINGS_LINK", "RunPanel", "format_cost", "format_stats"]

PANEL_HEIGHT = 340
"""Height of a panel in the grid, in pixels."""

SETTINGS_LINK = "settings:"
"""The "Open Settings" link of a refused key: this, then the configured provider's id."""

_STATUS_COLORS = {
    RunStatus.QUEUED: "#6b7280",
    RunStatus.RUNNING: "#2563eb",
    RunStatus.DONE: "#15803d",
    RunStatus.FAILED: "#b91c1c",
    RunStatus.CANCELLED: "#b45309",
}


def format_cost(cost_usd: float | None) -> str:
    """"$0.0012" for a known cost, "—" when the price is unknown."""
    if cost_usd is None:
        return "—"
    return f"${cost_usd:.4f}" if cost_usd < 1 else f"${cost_usd:,.2f}"


def format_stats(elapsed: float, tokens: int, cost_usd: float | None) -> str:
    """The panel's line of figures: elapsed time, tokens and cost."""
    return f"{elapsed:.1f} s · {tokens:,} tokens · {format_cost(cost_usd)}"


class RunPanel(QFrame):
    """Shows one run and offers Stop, Copy and Save.

    Signals:
        stopRequested(str): The user asked to stop the run with this id.
        settingsRequested(str): The user followed the "Open Settings" link of a refused key:
            the id of the configured provider that holds the key ("" when none does).
        saved(str): The output was written to this file.
        inputSubmitted(str, str): The person answered the run's question: the run id and
            the feedback ("" approves).
        approvalDecided(str, str): The person decided on the tool call the run waits on:
            the run id and "run", "deny" or "always".
    """

    stopRequested = Signal(str)
    settingsRequested = Signal(str)
    saved = Signal(str)
    inputSubmitted = Signal(str, str)
    approvalDecided = Signal(str, str)

    def __init__(self, state: RunState, parent: QWidget | None = None) -> None:
        """Builds the panel for `state` and follows its signals.

        Args:
            state: The run to show.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.state = state
        self.setObjectName("RunPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedHeight(PANEL_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(320)
        self._build()
        self._connect()
        self._render_all()

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        self.title = QLabel(self.state.crew_name)
        self.title.setStyleSheet("font-weight: bold;")
        self.status_label = QLabel()
        self.mode_label = QLabel(mode_label(self.state.mode))
        self.mode_label.setToolTip(mode_tooltip(self.state.mode))
        self.mode_label.setStyleSheet("color: #6b7280;")
        self.badge = QLabel()  # the model or SIMULATOR, set by the grid (_badges.py)
        self.badge.setObjectName("runBadge")
        self.badge.hide()
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.badge)
        header.addWidget(self.mode_label)
        header.addWidget(self.status_label)
        layout.addLayout(header)
        self.task_label = QLabel()
        self.stats_label = QLabel()
        self.stats_label.setAlignment(Qt.AlignmentFlag.AlignRight)
        line = QHBoxLayout()
        line.addWidget(self.task_label, 1)
        line.addWidget(self.stats_label)
        layout.addLayout(line)
        self.cost_split = CostSplitLabel(self.state)  # cost per task and agent (issue 16)
        layout.addWidget(self.cost_split)
        self.output = StreamView()
        self.output.setMaximumBlockCount(5000)
        layout.addWidget(self.output, 1)
        self.input_bar = InputPromptBar(self)
        layout.addWidget(self.input_bar)
        self.approval_bar = ApprovalPromptBar(self)
        layout.addWidget(self.approval_bar)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        self.error_label.setStyleSheet("color: #b91c1c;")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        layout.addLayout(self._build_buttons())

    def _build_buttons(self) -> QHBoxLayout:
        self.stop_button = QPushButton("Stop")
        self.copy_button = QPushButton("Copy")
        self.save_button = QPushButton("Save…")
        self.trace_button = QPushButton("Trace")  # issue 16: the run's steps (ui/history/_trace)
        self.trace_button.setToolTip("Every LLM call, tool call and check of this run, step by step")
        self.trace_button.clicked.connect(lambda: open_panel_trace(
            self, self.state.run_id, self.state.crew_name
        ))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.stop_button, self.copy_button, self.save_button, self.trace_button):
            buttons.addWidget(button)
        return buttons

    def _connect(self) -> None:
        state = self.state
        state.statusChanged.connect(self._on_state_statusChanged)
        state.progressChanged.connect(self._on_state_progressChanged)
        state.usageChanged.connect(self._on_state_usageChanged)
        state.textAppended.connect(self._on_state_textAppended)
        state.toolCallStarted.connect(self._on_state_toolCallStarted)
        state.toolCallFinished.connect(self._on_state_toolCallFinished)
        state.errorChanged.connect(self._on_state_errorChanged)
        state.speakerChanged.connect(self._on_state_speakerChanged)
        state.inputRequested.connect(self._on_state_inputRequested)
        state.inputClosed.connect(self._on_state_inputClosed)
        state.feedbackGiven.connect(self._on_state_feedbackGiven)
        state.warningAdded.connect(self._on_state_warningAdded)
        state.noteAdded.connect(self._on_state_noteAdded)
        state.approvalRequested.connect(self._on_state_approvalRequested)
        state.approvalClosed.connect(self.approval_bar.close_prompt)
        for signal in (state.inputRequested, state.inputClosed, state.approvalRequested,
                       state.approvalClosed):
            signal.connect(self._on_state_waitingChanged)
        self.input_bar.submitted.connect(self._on_input_bar_submitted)
        self.approval_bar.decided.connect(self._on_approval_bar_decided)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.error_label.linkActivated.connect(self._on_error_linkActivated)

    def _render_all(self) -> None:
        """Shows what the state already holds (a panel made for a run under way)."""
        for text, kind in self.state.segments():
            self.output.append_text(text, kind)
        self._on_state_statusChanged(self.state.status.value)
        if self.state.error:
            self._show_error(self.state.error, self.state.error_is_auth)
        if self.state.pending_input is not None:
            self._on_state_inputRequested(self.state.pending_input)
        if self.state.pending_approval is not None:
            self.approval_bar.ask(self.state.pending_approval)
        self._show_task()
        self.refresh_elapsed()

    # -- reading (tests and the grid) --------------------------------------------------

    def shown_text(self) -> str:
        """The text on screen, as the run streamed it."""
        return self.output.shown_text()

    def refresh_elapsed(self) -> None:
        """Updates the figures line (the grid calls it every second)."""
        state = self.state
        self.stats_label.setText(format_stats(state.elapsed(), state.total_tokens, state.cost_usd))

    # -- the state's signals -----------------------------------------------------------

    def _on_state_statusChanged(self, status: str) -> None:
        value = RunStatus(status)
        self._show_status()
        self.stop_button.setEnabled(not value.is_terminal)
        self._show_task()
        self.refresh_elapsed()

    def _on_state_waitingChanged(self, *_args: object) -> None:
        self._show_status()

    def _show_status(self) -> None:
        """The status badge: the run's status, or "Waiting for you" in the waiting colour
        (with a frame of that colour) while a question or an approval waits (`_waiting`)."""
        waiting = is_waiting(self.state)
        self.status_label.setText(WAITING_TEXT if waiting else self.state.status.value)
        colour = None if waiting else _STATUS_COLORS[self.state.status]
        themed_sheet(self.status_label, *badge_sheets(colour))  # swapped with the theme
        if waiting != bool(self.property("waiting")):
            self.setProperty("waiting", waiting)
            themed_sheet(self, *(frame_sheets() if waiting else ("", "")))

    def _on_state_progressChanged(self, index: int, count: int, role: str) -> None:
        self._show_task()
        self.output.append_text(task_heading(index, count, role), "heading")

    def _on_state_usageChanged(self, _tokens: int, _cost: object) -> None:
        self.refresh_elapsed()

    def _on_state_textAppended(self, text: str) -> None:
        self.output.append_text(text)

    def _on_state_toolCallStarted(self, name: str, arguments: str) -> None:
        self.output.append_text(f"\n{describe_tool_call(name, arguments)}\n", "tool")

    def _on_state_toolCallFinished(self, _name: str, output: str, is_error: bool) -> None:
        line = _shorten(output.strip(), 600)
        if is_error:
            self.output.append_text(f"✗ {line}\n", "error")
        else:
            self.output.append_text(f"↳ {line}\n", "result")

    def _on_state_speakerChanged(self, role: str) -> None:
        self.output.append_text(speaker_line(role), "heading")

    def _on_state_inputRequested(self, prompt: InputPrompt) -> None:
        self.input_bar.ask(prompt, self.state.task_count)

    def _on_state_inputClosed(self) -> None:
        self.input_bar.close_prompt()

    def _on_state_feedbackGiven(self, feedback: str) -> None:
        self.output.append_text(feedback_line(feedback), "human")

    def _on_state_warningAdded(self, message: str) -> None:
        self.output.append_text(warning_line(message), "warning")

    def _on_state_noteAdded(self, text: str) -> None:
        self.output.append_text(text, "heading")

    def _on_state_approvalRequested(self, request: ApprovalRequest) -> None:
        self.approval_bar.ask(request)

    def _on_approval_bar_decided(self, decision: str) -> None:
        self.approvalDecided.emit(self.state.run_id, decision)

    def _on_input_bar_submitted(self, text: str) -> None:
        self.inputSubmitted.emit(self.state.run_id, text)

    def _on_state_errorChanged(self, message: str, is_auth: bool) -> None:
        self.output.append_text(error_line(message), "error")
        self._show_error(message, is_auth)

    def _show_error(self, message: str, is_auth: bool) -> None:
        """A one-line summary under the text (the whole message ends the text above)."""
        if is_auth:
            who = _escape(self.state.refused_provider or "the provider")
            text = (f"<b>The key for {who} was refused.</b> "
                    f'<a href="{SETTINGS_LINK}{_escape(self.state.refused_provider_id)}">'
                    "Open Settings</a> to check it.")
        else:
            text = f"<b>Failed:</b> {_escape(_shorten(_headline(message), 140))}"
        self.error_label.setText(text)
        self.error_label.setToolTip(message)
        self.error_label.show()

    # -- buttons -----------------------------------------------------------------------

    def _on_stop_clicked(self) -> None:
        self.stopRequested.emit(self.state.run_id)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.state.transcript())

    def _on_error_linkActivated(self, link: str) -> None:
        if link.startswith(SETTINGS_LINK):
            self.settingsRequested.emit(link.removeprefix(SETTINGS_LINK))

    def _on_save_clicked(self) -> None:
        dialog = QFileDialog(self, "Save the run's output")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Text files (*.txt);;All files (*)")
        dialog.selectFile(f"{_file_stem(self.state.crew_name)}-{self.state.run_id[:8]}.txt")
        dialog.fileSelected.connect(self._on_dialog_fileSelected)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @asyncSlot(str)
    async def _on_dialog_fileSelected(self, path: str) -> None:
        await self.save_to(Path(path))

    async def save_to(self, path: Path) -> None:
        """Writes the whole output (not only what is on screen) to `path`."""
        text = self.state.transcript()
        await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        self.saved.emit(str(path))

    # -- helpers -----------------------------------------------------------------------

    def _show_task(self) -> None:
        state = self.state
        if state.task_index >= 0 and not state.status.is_terminal:
            self.task_label.setText(
                f"task {state.task_index + 1} of {state.task_count}, {state.agent_role}"
            )
        elif state.status is RunStatus.QUEUED:
            self.task_label.setText("waiting for a free slot")
        elif state.status is RunStatus.DONE:
            self.task_label.setText(f"{state.task_count} of {state.task_count} tasks done")
        elif state.task_index >= 0:
            self.task_label.setText(
                f"stopped in task {state.task_index + 1} of {state.task_count}"
            )
        else:
            self.task_label.setText("")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _headline(message: str) -> str:
    """The part of an engine error that says what went wrong (after "Task ... failed: ")."""
    head, sep, rest = message.partition(" failed: ")
    return rest if sep and head.startswith("Task ") else message


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _file_stem(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip().lower())
    return stem.strip("-") or "run"
