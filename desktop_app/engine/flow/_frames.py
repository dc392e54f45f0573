"""`StreamFrame`: one event of a streamed flow run, in CrewAI 1.15's public frame shape.

A streamed flow (`Flow(stream=True)`, `astream`, `stream_frames`) hands out frames made from
the flow run's typed events (`engine.events`): the flow's own (`flow_started`,
`method_execution_started` ...) and those of the crews its steps kick off (`llm_stream_chunk`
for streamed text, `tool_usage_started`, `task_started`, `crew_kickoff_completed` ...). Each
crew frame is tagged with the step that kicked the crew off (`data["method_name"]`, and in
`namespace`), its agent and task as CrewAI tags its chunks. Frames are made on the reader's
side, one at a time, so numbering and parent links need no lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from desktop_app.engine import events as ev

__all__ = ["FrameMaker", "StreamChannel", "StreamFrame"]

StreamChannel: TypeAlias = Literal["llm", "flow", "tools", "messages", "lifecycle", "custom"]
"""The channel a frame belongs to (CrewAI's names; CrewDesk sends no "messages" frames)."""


class StreamFrame(BaseModel):
    """One event of a streamed flow run (CrewAI's `StreamFrame`).

    Attributes:
        id: The frame's unique id.
        seq: Its place in the run's stream (0, 1, 2 ...).
        type: The event's CrewAI type: "llm_stream_chunk", "method_execution_started" ...
        channel: "llm" (streamed text), "flow" (the flow and its steps), "tools" (tool
            calls), "lifecycle" (a crew that failed or was cancelled) or "custom" (crews and
            tasks starting and ending).
        namespace: `[channel, flow_name, method_name, tool_name, agent_role, task_name]`,
            those that apply.
        timestamp: When the frame was made (UTC).
        parent_id: The frame of the step a crew's frame belongs to (a step's frames: the
            flow's `flow_started` frame).
        previous_id: The frame just before this one.
        data: The event's fields; a crew's frames carry `flow_name`, `method_name` (the
            step), `crew_name`, `agent_role`, `task_name` and `task_index`.
    """

    id: str
    seq: int | None = None
    type: str
    channel: StreamChannel
    namespace: list[str] = Field(default_factory=list)
    timestamp: datetime
    parent_id: str | None = None
    previous_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def content(self) -> str:
        """The streamed text of an `llm_stream_chunk` frame; "" for any other frame."""
        chunk = self.data.get("chunk")
        return chunk if isinstance(chunk, str) else ""

    @property
    def event(self) -> dict[str, Any]:
        """The event's fields (as `data`)."""
        return self.data


_Shaped: TypeAlias = tuple[str, StreamChannel, dict[str, Any]]


def _flow_shape(event: ev.RunEvent) -> _Shaped | None:
    """The CrewAI type, channel and fields of one of the flow's own events."""
    if isinstance(event, ev.FlowStarted):
        return "flow_started", "flow", {"inputs": event.inputs, "state_id": event.state_id}
    if isinstance(event, ev.FlowMethodStarted):
        return "method_execution_started", "flow", {
            "method_name": event.method, "trigger": event.trigger, "state": event.state}
    if isinstance(event, ev.FlowMethodFinished):
        return "method_execution_finished", "flow", {
            "method_name": event.method, "result": event.result, "state": event.state}
    if isinstance(event, ev.FlowMethodFailed):
        return "method_execution_failed", "flow", {
            "method_name": event.method, "error": event.error, "error_type": event.error_type}
    if isinstance(event, ev.FlowFinished):
        return "flow_finished", "flow", {
            "result": event.result, "state": event.state,
            "usage": event.usage.model_dump(), "cost_usd": event.cost_usd}
    if isinstance(event, ev.FlowFailed):
        return "flow_failed", "flow", {
            "method_name": event.method, "error": event.error, "error_type": event.error_type}
    if isinstance(event, ev.FlowCancelled):
        return "flow_cancelled", "flow", {}
    return None


def _task_fields(event: ev.RunEvent) -> dict[str, Any]:
    if isinstance(event, ev.TextDelta | ev.ToolCallStarted | ev.ToolCallFinished
                  | ev.TaskStarted | ev.TaskFinished):
        return {"task_index": event.task_index, "task_name": event.task_name,
                "agent_role": event.agent_role}
    return {}


def _crew_shape(event: ev.RunEvent) -> _Shaped | None:
    """The CrewAI type, channel and fields of an event of a crew a step kicked off."""
    shaped: _Shaped | None = None
    if isinstance(event, ev.TextDelta):
        shaped = "llm_stream_chunk", "llm", {"chunk": event.content}
    elif isinstance(event, ev.ToolCallStarted):
        shaped = "tool_usage_started", "tools", {
            "call_id": event.call_id, "tool_name": event.tool_name, "tool_args": event.arguments}
    elif isinstance(event, ev.ToolCallFinished):
        shaped = ("tool_usage_error" if event.is_error else "tool_usage_finished"), "tools", {
            "call_id": event.call_id, "tool_name": event.tool_name, "output": event.output}
    elif isinstance(event, ev.RunStarted):
        shaped = "crew_kickoff_started", "custom", {"inputs": event.inputs}
    elif isinstance(event, ev.TaskStarted):
        shaped = "task_started", "custom", {"description": event.description}
    elif isinstance(event, ev.TaskFinished):
        shaped = "task_completed", "custom", {"output": event.output.raw}
    elif isinstance(event, ev.RunFinished):
        shaped = "crew_kickoff_completed", "custom", {"output": event.output.raw}
    elif isinstance(event, ev.RunFailed):
        shaped = "crew_kickoff_failed", "lifecycle", {
            "error": event.error, "error_type": event.error_type}
    elif isinstance(event, ev.RunCancelled):
        shaped = "crew_kickoff_cancelled", "lifecycle", {"reason": event.reason}
    if shaped is None:
        return None
    kind, channel, data = shaped
    return kind, channel, {**data, **_task_fields(event)}


_NAMESPACE_KEYS = ("flow_name", "method_name", "tool_name", "agent_role", "task_name")


class FrameMaker:
    """Turns one flow run's typed events, in order, into frames.

    The run's `FlowCrewStarted` events say which step each crew belongs to; they make no
    frame of their own (the crew's `crew_kickoff_started` follows, tagged). Events that are
    not part of CrewAI's stream (usage, trace spans, approvals, memory) make none either.

    Args:
        now: The clock for `timestamp` (UTC).
    """

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._crews: dict[str, tuple[str, str, str]] = {}
        self._steps: dict[str, str] = {}
        self._flow_frame: str | None = None
        self._previous: str | None = None
        self._seq = 0

    def frame(self, event: ev.RunEvent) -> StreamFrame | None:
        """The frame `event` shows as, or None."""
        if isinstance(event, ev.FlowCrewStarted):
            self._crews[event.crew_run_id] = (event.flow_name, event.method, event.crew_name)
            return None
        shaped, parent = self._shape(event)
        if shaped is None:
            return None
        kind, channel, data = shaped
        made = StreamFrame.model_construct(  # the fields are made here: no validation needed
            id=uuid.uuid4().hex, seq=self._seq, type=kind, channel=channel,
            namespace=[channel, *(str(data[key]) for key in _NAMESPACE_KEYS
                                  if data.get(key) is not None)],
            timestamp=self._now(), parent_id=parent, previous_id=self._previous, data=data)
        self._seq += 1
        self._previous = made.id
        if kind == "flow_started":
            self._flow_frame = made.id
        elif kind == "method_execution_started":
            self._steps[str(data["method_name"])] = made.id
        return made

    def _shape(self, event: ev.RunEvent) -> tuple[_Shaped | None, str | None]:
        """The event's shape with the flow's and step's tags, and its parent frame."""
        if isinstance(event, ev.FlowStarted | ev.FlowMethodStarted | ev.FlowMethodFinished
                      | ev.FlowMethodFailed | ev.FlowFinished | ev.FlowFailed
                      | ev.FlowCancelled):
            shaped = _flow_shape(event)
            if shaped is None:
                return None, None
            kind, channel, data = shaped
            parent = None if kind == "flow_started" else self._flow_frame
            return (kind, channel, {"flow_name": event.flow_name, **data}), parent
        crew = self._crews.get(event.run_id)
        shaped = _crew_shape(event)
        if crew is None or shaped is None:
            return None, None
        flow_name, method, crew_name = crew
        kind, channel, data = shaped
        tags = {"flow_name": flow_name, "method_name": method, "crew_name": crew_name}
        return (kind, channel, {**tags, **data}), self._steps.get(method)
