"""`RunState`: the observable model of one run, and `FrameClock`, which paces its text.

The run controller feeds a `RunState` from the engine's events; a `RunPanel` observes it.
Streamed text is not emitted per chunk: it is buffered, and `FrameClock` flushes every
buffer that has something once per frame (about 60 times a second), so a panel inserts one
piece of text per frame however fast the model streams (FIELD-NOTES: one insert per 16 ms
flush reached about 55,000 chunks/s; one insert per chunk about 300). Before any other
signal is emitted the pending text is flushed, so a view always sees events in order.

A model never holds a widget.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Qt, QTimer, Signal

if TYPE_CHECKING:
    from desktop_app.engine.approval import ApprovalRequest

__all__ = [
    "FRAME_INTERVAL_MS",
    "FrameClock",
    "InputPrompt",
    "RunState",
    "RunStatus",
    "SegmentKind",
    "error_line",
    "plan_lines",
    "skipped_line",
    "task_heading",
    "warning_line",
]

FRAME_INTERVAL_MS = 16
"""How often buffered text is handed to the views, in milliseconds."""

BUSY_FRAME_INTERVAL_MS = 33
"""The interval used while many runs stream at once (each frame then costs more)."""

BUSY_RUNS = 6
"""More runs than this flushing in one frame switch the clock to the busy interval."""


SegmentKind = Literal["text", "heading", "tool", "result", "error", "human", "warning"]
"""How a piece of a run's transcript is shown ("human": a person's feedback; "warning": a
setting the engine ignored, or another thing the user should know)."""


def error_line(message: str) -> str:
    """The line that ends the transcript of a failed run."""
    return f"\n✗ {message}\n"


def task_heading(index: int, count: int, agent_role: str) -> str:
    """The line that opens a task's part of the output (a blank line before it)."""
    return f"\n\n── Task {index + 1} of {count} · {agent_role} ──\n"


def skipped_line(task_index: int, task_name: str | None) -> str:
    """The line that shows a conditional task that did not run (its condition was false)."""
    name = f" ({task_name})" if task_name else ""
    return f"\n── Task {task_index + 1}{name} skipped: its condition was false ──\n"


def reused_line(task_index: int, task_name: str | None) -> str:
    """The line that shows a task a fork or a resume did not run again: its stored output
    was reused, with no model call."""
    name = f" ({task_name})" if task_name else ""
    return f"\n── Task {task_index + 1}{name}: its stored output is reused (no model call) ──\n"


def plan_lines(task_index: int, plan: str) -> str:
    """The lines that show the plan made for a task before it ran (`Crew(planning=True)`,
    `Agent(reasoning=True)`)."""
    return f"\nPlan for task {task_index + 1}:\n{plan.strip()}\n"


def speaker_line(agent_role: str) -> str:
    """The line that shows another agent taking over within a task (a delegated coworker,
    or the manager again)."""
    return f"\n▸ {agent_role}\n"


def warning_line(message: str) -> str:
    """The line that shows a warning of the run (a CrewAI setting CrewDesk ignores ...)."""
    return f"⚠ {message}\n"


def feedback_line(feedback: str) -> str:
    """The line that shows what the person answered to a task's question."""
    return f"\n✎ {feedback}\n" if feedback else "\n✓ approved\n"


@dataclass(frozen=True, slots=True)
class InputPrompt:
    """A task's question to the person running the crew (`Task(human_input=True)`).

    Attributes:
        task_index: The task's position, from 0.
        agent_role: The agent whose answer waits for feedback.
        output: That answer.
        round: 1 for the first question about this task, then 2, 3 ...
    """

    task_index: int
    agent_role: str
    output: str
    round: int


class RunStatus(StrEnum):
    """Where a run stands, as the dashboard shows it."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """Whether the run has ended."""
        return self in (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class FrameClock(QObject):
    """Flushes the text buffers of the runs that have some, once per frame.

    The timer runs only while some buffer is waiting, so an idle app does not wake up.
    """

    def __init__(
        self,
        parent: QObject | None = None,
        interval_ms: int = FRAME_INTERVAL_MS,
        busy_interval_ms: int = BUSY_FRAME_INTERVAL_MS,
    ) -> None:
        """Creates a stopped clock.

        Args:
            parent: The Qt parent.
            interval_ms: Milliseconds between flushes.
            busy_interval_ms: Milliseconds between flushes while many runs stream.
        """
        super().__init__(parent)
        self._interval_ms = interval_ms
        self._busy_interval_ms = busy_interval_ms
        self._waiting: dict[int, RunState] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)

    def request(self, state: RunState) -> None:
        """Asks for `state.flush()` at the next frame."""
        self._waiting[id(state)] = state
        if not self._timer.isActive():
            self._timer.start()

    def flush_all(self) -> None:
        """Flushes every waiting buffer now (in the order they asked)."""
        waiting, self._waiting = self._waiting, {}
        for state in waiting.values():
            state.flush()

    def _on_timer_timeout(self) -> None:
        flushed = len(self._waiting)
        self.flush_all()
        busy = flushed > BUSY_RUNS
        self._timer.setInterval(self._busy_interval_ms if busy else self._interval_ms)
        if not self._waiting:
            self._timer.stop()


class RunState(QObject):
    """Everything the dashboard shows about one run; updated by the run controller.

    Signals:
        statusChanged(str): The status changed (a `RunStatus` value).
        progressChanged(int, int, str): A task started: its index (from 0), the task count,
            the agent's role.
        usageChanged(int, object): Total tokens so far, and the cost in USD (float or None).
        textAppended(str): Streamed text, coalesced per frame.
        toolCallStarted(str, str): A tool was called: its name and the JSON arguments.
        toolCallFinished(str, str, bool): A tool returned: name, output, whether it failed.
        errorChanged(str, bool): The run failed: the message, and whether a key was refused.
        speakerChanged(str): Another agent took over within the task (its role): a coworker
            the manager delegated to, or the manager again.
        inputRequested(object): The run waits for the person's feedback (an `InputPrompt`).
        approvalRequested(object): The run waits for Run / Deny / Always on a side-effecting
            tool call (an `ApprovalRequest`, keys masked).
        approvalClosed(): No approval waits any more.
        inputClosed(): No question waits any more (answered, or the run ended).
        feedbackGiven(str): The person answered a question ("" approves).
        warningAdded(str): A warning for the user (a setting the engine ignores ...).
        noteAdded(str): Lines about the run's course: a plan made for a task before it ran,
            a conditional task skipped.
    """

    statusChanged = Signal(str)
    progressChanged = Signal(int, int, str)
    usageChanged = Signal(int, object)
    textAppended = Signal(str)
    toolCallStarted = Signal(str, str)
    toolCallFinished = Signal(str, str, bool)
    errorChanged = Signal(str, bool)
    speakerChanged = Signal(str)
    inputRequested = Signal(object)
    inputClosed = Signal()
    approvalRequested = Signal(object)
    approvalClosed = Signal()
    feedbackGiven = Signal(str)
    warningAdded = Signal(str)
    noteAdded = Signal(str)

    def __init__(
        self,
        crew_name: str,
        *,
        crew_id: str | None = None,
        mode: str = "akickoff",
        inputs: Mapping[str, Any] | None = None,
        clock: FrameClock | None = None,
        parent: QObject | None = None,
    ) -> None:
        """Creates the state of a queued run.

        Args:
            crew_name: The crew's name, shown in the panel.
            crew_id: The crew's id in the library, when it has one.
            mode: "akickoff" or "kickoff_async".
            inputs: The values for the crew's placeholders.
            clock: Paces text updates; without one, text is emitted as it arrives.
            parent: The Qt parent.
        """
        super().__init__(parent)
        self.run_id = uuid.uuid4().hex
        self.crew_name = crew_name
        self.crew_id = crew_id
        self.mode = mode
        self.inputs: dict[str, Any] = dict(inputs or {})
        self.status = RunStatus.QUEUED
        self.task_index = -1
        self.task_count = 0
        self.agent_role = ""
        self.speaker = ""
        self.pending_input: InputPrompt | None = None
        self.pending_approval: ApprovalRequest | None = None
        self.total_tokens = 0
        self.cost_usd: float | None = None
        self.error = ""
        self.error_is_auth = False
        self.refused_provider_id = ""
        self.refused_provider = ""
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.text_chars = 0  # characters of streamed text received, shown or not yet
        self.warnings: list[str] = []
        self._clock = clock
        self._pending: list[str] = []
        self._transcript: list[tuple[str, SegmentKind]] = []

    # -- reading -----------------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds the run has been running (0 while queued)."""
        if self.started_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else time.monotonic()
        return max(0.0, end - self.started_at)

    def transcript(self) -> str:
        """Everything shown so far: streamed text, task headings, tool lines, the error."""
        return "".join(text for text, _kind in self.segments())

    def segments(self) -> list[tuple[str, SegmentKind]]:
        """The transcript as pieces of one kind each (text, heading, tool, result, error)."""
        merged: list[tuple[str, SegmentKind]] = []
        pending: list[tuple[str, SegmentKind]] = (
            [("".join(self._pending), "text")] if self._pending else []
        )
        for text, kind in [*self._transcript, *pending]:
            if merged and merged[-1][1] == kind:
                merged[-1] = (merged[-1][0] + text, kind)
            else:
                merged.append((text, kind))
        if merged:
            merged[0] = (merged[0][0].lstrip("\n"), merged[0][1])
        return merged

    # -- updating (the controller) -----------------------------------------------------

    def set_status(self, status: RunStatus) -> None:
        """Moves the run to `status`, stamping start and end times."""
        if status is self.status:
            return
        self.flush()
        if status is RunStatus.RUNNING and self.started_at is None:
            self.started_at = time.monotonic()
        if status.is_terminal:
            self.ended_at = time.monotonic()
            self.close_input()
            self.close_approval()
        self.status = status
        self.statusChanged.emit(status.value)

    def start_task(self, index: int, count: int, agent_role: str) -> None:
        """A task began."""
        self.flush()
        self.task_index, self.task_count, self.agent_role = index, count, agent_role
        self.speaker = agent_role
        self._transcript.append((task_heading(index, count, agent_role), "heading"))
        self.progressChanged.emit(index, count, agent_role)

    def append_text(self, text: str) -> None:
        """Adds streamed text; views get it at the next frame."""
        if not text:
            return
        self.text_chars += len(text)
        self._pending.append(text)
        if self._clock is None:
            self.flush()
        elif len(self._pending) == 1:
            self._clock.request(self)

    def flush(self) -> None:
        """Emits the text buffered since the last flush, as one piece."""
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self._transcript.append((text, "text"))
        self.textAppended.emit(text)

    def tool_started(self, name: str, arguments: str) -> None:
        """The agent called a tool."""
        self.flush()
        self._transcript.append((f"\n{describe_tool_call(name, arguments)}\n", "tool"))
        self.toolCallStarted.emit(name, arguments)

    def tool_finished(self, name: str, output: str, is_error: bool) -> None:
        """A tool returned."""
        self.flush()
        mark = "✗" if is_error else "↳"
        self._transcript.append((f"{mark} {output}\n", "error" if is_error else "result"))
        self.toolCallFinished.emit(name, output, is_error)

    def switch_speaker(self, agent_role: str) -> None:
        """Another agent produces the task's text and tool calls from now on."""
        if agent_role == self.speaker:
            return
        self.flush()
        self.speaker = agent_role
        self._transcript.append((speaker_line(agent_role), "heading"))
        self.speakerChanged.emit(agent_role)

    def ask_input(self, prompt: InputPrompt) -> None:
        """The run waits for the person's feedback on a task's answer."""
        self.flush()
        self.pending_input = prompt
        self.inputRequested.emit(prompt)

    def close_input(self) -> None:
        """No question waits any more."""
        if self.pending_input is not None:
            self.pending_input = None
            self.inputClosed.emit()

    def ask_approval(self, request: ApprovalRequest) -> None:
        """The run waits for the person to allow or refuse a tool call."""
        self.flush()
        self.pending_approval = request
        self.approvalRequested.emit(request)

    def close_approval(self) -> None:
        """No approval waits any more."""
        if self.pending_approval is not None:
            self.pending_approval = None
            self.approvalClosed.emit()

    def give_feedback(self, feedback: str) -> None:
        """The person answered ("" approves); the answer joins the transcript."""
        self.flush()
        self._transcript.append((feedback_line(feedback), "human"))
        self.feedbackGiven.emit(feedback)

    def add_note(self, text: str) -> None:
        """Adds lines about the run's course (a task's plan, a skipped task) as a heading."""
        self.flush()
        self._transcript.append((text, "heading"))
        self.noteAdded.emit(text)

    def warn(self, message: str) -> None:
        """Adds a warning (kept in `warnings`; it joins the transcript as its own line)."""
        self.flush()
        self.warnings.append(message)
        self._transcript.append((warning_line(message), "warning"))
        self.warningAdded.emit(message)

    def set_usage(self, total_tokens: int, cost_usd: float | None) -> None:
        """Totals of the run so far."""
        self.total_tokens, self.cost_usd = total_tokens, cost_usd
        self.usageChanged.emit(total_tokens, cost_usd)

    def fail(
        self, message: str, *, is_auth: bool = False, provider_id: str = "",
        provider_name: str = "",
    ) -> None:
        """The run failed with `message`; the text streamed so far stays.

        Args:
            message: What went wrong, for the user.
            is_auth: The provider refused the key.
            provider_id: The configured provider whose key was refused ("" if none is).
            provider_name: A name for the user of the provider whose key was refused.
        """
        self.flush()
        self.error, self.error_is_auth = message, is_auth
        self.refused_provider_id, self.refused_provider = provider_id, provider_name
        self._transcript.append((error_line(message), "error"))
        self.errorChanged.emit(message, is_auth)
        self.set_status(RunStatus.FAILED)


def describe_tool_call(name: str, arguments: str, limit: int = 2000) -> str:
    """A tool call as a person reads it.

    Code (an argument named `code`) shows as its own lines, not as escaped JSON; other
    arguments show as `key=value`. Arguments that are not a JSON object show as they came.
    """
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        text = f"⚙ {name}({arguments})"
    else:
        code = parsed.pop("code", None)
        rest = ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in parsed.items())
        text = f"⚙ {name}({rest})"
        if isinstance(code, str):
            text += "\n" + "\n".join("    " + line for line in code.splitlines())
    return text if len(text) <= limit else text[: limit - 1] + "…"
