"""`FlowRunState`: one flow run as the app shows it, made from the run's typed events.

The `FlowController` applies each event of `Flow.run_events` here; the `FlowPanel`
observes the signals. A step's node goes pending -> running -> done or failed; when the flow
has ended, a node that never ran is shown skipped (a router took another branch, or a join
never completed). Crew events (tagged by the crew's run id) become text in that crew's stream,
named by the step that kicked the crew off (`FlowCrewStarted`).
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.engine.flow import FlowGraph, HumanFeedbackRequest

__all__ = ["FlowRunState", "FlowStatus", "NodeStatus"]


class NodeStatus(enum.StrEnum):
    """Where one step of a flow run stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class FlowStatus(enum.StrEnum):
    """Where a flow run stands."""

    STARTING = "starting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ENDED = frozenset({FlowStatus.DONE, FlowStatus.FAILED, FlowStatus.CANCELLED})


class FlowRunState(QObject):
    """One flow run: its steps' states, its crews, its state values, how it ended.

    Signals:
        nodeChanged(str, str): A step's new `NodeStatus`.
        crewStarted(str, str, str): A crew began (crew run id, step, crew name).
        crewText(str, str, str): Text of a crew (crew run id, text, `TextKind`).
        stateChanged(object): The flow's state values (a dict) after a step.
        statusChanged(str): The run's new `FlowStatus`.
        noteAdded(str): A warning the user should read (a folder, an ignored setting).
        feedbackRequested(object): A step's `@human_feedback` question
            (`HumanFeedbackRequest`); `answer` replies.
        feedbackAnswered(): The question was answered (or the run ended).
    """

    nodeChanged = Signal(str, str)
    crewStarted = Signal(str, str, str)
    crewText = Signal(str, str, str)
    stateChanged = Signal(object)
    statusChanged = Signal(str)
    noteAdded = Signal(str)
    feedbackRequested = Signal(object)
    feedbackAnswered = Signal()

    def __init__(self, run_id: str, graph: FlowGraph, inputs: dict[str, Any],
                 *, dry_run: bool = False) -> None:
        """Creates the state of a run that has not started (no Qt parent)."""
        super().__init__()
        self.run_id = run_id
        self.graph = graph
        self.flow_name = graph.name
        self.inputs = dict(inputs)
        self.dry_run = dry_run
        self.status = FlowStatus.STARTING
        self.nodes = {name: NodeStatus.PENDING for name in graph.steps}
        self.sequence: list[tuple[str, NodeStatus]] = []
        self.state: dict[str, Any] = {}
        self.crews: dict[str, tuple[str, str]] = {}
        self.step_results: dict[str, str] = {}
        self.result = ""
        self.error = ""
        self.failed_step: str | None = None
        self.total_tokens = 0
        self.cost_usd: float | None = None
        self.warnings: list[str] = []
        self.question: HumanFeedbackRequest | None = None
        self._answer: asyncio.Future[str] | None = None

    @property
    def ended(self) -> bool:
        """Whether the run has finished, failed or been cancelled."""
        return self.status in ENDED

    def set_node(self, step: str, status: NodeStatus) -> None:
        """Moves a step to `status` (kept in `sequence`, the order the panel showed)."""
        if step not in self.nodes or self.nodes[step] is status:
            return
        self.nodes[step] = status
        self.sequence.append((step, status))
        self.nodeChanged.emit(step, status.value)

    def set_status(self, status: FlowStatus) -> None:
        """Sets how the run stands; at its end, steps that never ran become skipped."""
        if self.status is status:
            return
        self.status = status
        if status in ENDED:
            for name, node in list(self.nodes.items()):
                if node is NodeStatus.PENDING:
                    self.set_node(name, NodeStatus.SKIPPED)
                elif node is NodeStatus.RUNNING and status is not FlowStatus.DONE:
                    self.set_node(name, NodeStatus.FAILED if status is FlowStatus.FAILED
                                  else NodeStatus.SKIPPED)
        self.statusChanged.emit(status.value)

    async def ask(self, request: HumanFeedbackRequest) -> str:
        """The flow's `human_feedback_handler`: shows the question, waits for `answer`
        (cancelling the run cancels the wait)."""
        self._answer = asyncio.get_running_loop().create_future()
        self.question = request
        self.set_node(request.method, NodeStatus.RUNNING)  # its started event may queue yet
        self.feedbackRequested.emit(request)
        try:
            return await self._answer
        finally:
            self.question, self._answer = None, None
            self.feedbackAnswered.emit()

    def answer(self, text: str) -> None:
        """Answers the open feedback question (nothing when none is open)."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(text)

    def note(self, text: str) -> None:
        """Adds a warning for the panel and `warnings`."""
        self.warnings.append(text)
        self.noteAdded.emit(text)

    def set_state(self, values: dict[str, Any]) -> None:
        """Shows the flow's state values."""
        self.state = dict(values)
        self.stateChanged.emit(self.state)

    def apply(self, event: Any) -> None:
        """Applies one event of the run's stream (the flow's own, or one of its crews')."""
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event)
        elif event.run_id in self.crews:
            _crew_event(self, event)

    def crew_label(self, crew_run_id: str) -> str:
        """"step · crew" of a crew run."""
        step, crew = self.crews.get(crew_run_id, ("?", "crew"))
        return f"{step} · {crew}"


def _started(state: FlowRunState, event: Any) -> None:
    state.set_status(FlowStatus.RUNNING)


def _method_started(state: FlowRunState, event: Any) -> None:
    state.set_node(event.method, NodeStatus.RUNNING)


def _method_finished(state: FlowRunState, event: Any) -> None:
    state.step_results[event.method] = event.result
    state.set_node(event.method, NodeStatus.DONE)
    state.set_state(event.state)


def _method_failed(state: FlowRunState, event: Any) -> None:
    state.failed_step = event.method
    state.set_node(event.method, NodeStatus.FAILED)


def _crew_started(state: FlowRunState, event: Any) -> None:
    state.crews[event.crew_run_id] = (event.method, event.crew_name)
    state.crewStarted.emit(event.crew_run_id, event.method, event.crew_name)


def _finished(state: FlowRunState, event: Any) -> None:
    state.result = event.result
    state.total_tokens = event.usage.total_tokens
    state.cost_usd = event.cost_usd
    state.set_state(event.state)
    state.set_status(FlowStatus.DONE)


def _failed(state: FlowRunState, event: Any) -> None:
    state.failed_step = event.method or state.failed_step
    where = f"step {state.failed_step!r} failed: " if state.failed_step else ""
    state.error = f"{where}{event.error_type}: {event.error}"
    state.total_tokens = event.usage.total_tokens
    state.set_status(FlowStatus.FAILED)


def _cancelled(state: FlowRunState, event: Any) -> None:
    state.total_tokens = event.usage.total_tokens
    state.set_status(FlowStatus.CANCELLED)


_HANDLERS = {
    "flow_started": _started,
    "flow_method_started": _method_started,
    "flow_method_finished": _method_finished,
    "flow_method_failed": _method_failed,
    "flow_crew_started": _crew_started,
    "flow_finished": _finished,
    "flow_failed": _failed,
    "flow_cancelled": _cancelled,
}


def _crew_event(state: FlowRunState, event: Any) -> None:
    """A crew's event as text in its stream (text, task headings, tool calls, errors)."""
    kind = event.kind
    shown: tuple[str, str] | None = None
    if kind == "text":
        shown = (event.content, "text")
    elif kind == "task_started":
        shown = (f"\n▶ {event.task_name or 'task'} ({event.agent_role})\n", "heading")
    elif kind == "tool_call":
        shown = (f"\n↳ {event.tool_name}({event.arguments})\n", "tool")
    elif kind == "run_failed":
        shown = (f"\n{getattr(event, 'error', 'the crew failed')}\n", "error")
    elif kind == "setting_ignored":
        state.note(event.message)
        shown = (f"\n⚠ {event.message}\n", "warning")
    if shown is not None:
        state.crewText.emit(event.run_id, shown[0], shown[1])
