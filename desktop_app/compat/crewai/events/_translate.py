"""The engine's run events as CrewAI's events.

One engine event may become several CrewAI events (a `TaskStarted` is CrewAI's
`TaskStartedEvent` then `AgentExecutionStartedEvent`), in CrewAI's order. Engine events name
the crew, task and agent rather than holding them, so the events' `crew`, `task` and `agent`
fields (and the handlers' `source`) are small stand-ins with those names: `CrewRef(name)`,
`TaskRef(name, description)`, `AgentRef(role)`, enough for `event.agent.role` and
`source.name` in listeners.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop_app.compat.crewai.events import _event_types as ct
from desktop_app.engine import events as ev


@dataclass(frozen=True)
class CrewRef:
    """The crew of an event: its name."""

    name: str | None
    id: str | None = None


@dataclass(frozen=True)
class TaskRef:
    """The task of an event: its name and (placeholders filled) description."""

    name: str | None
    description: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class AgentRef:
    """The agent of an event: its role."""

    role: str
    id: str | None = None


class Translator:
    """Turns run events into CrewAI events; remembers crew names and tool call starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._crews: dict[str, str] = {}
        self._tool_starts: dict[str, datetime] = {}
        self._descriptions: dict[tuple[str, str | None], str] = {}
        self._task_names: dict[tuple[str, int], str | None] = {}
        self._texts: dict[tuple[str, int, str], list[str]] = {}
        self._usage: dict[str, dict[str, int]] = {}

    def translate(self, event: ev.RunEvent) -> list[ct.BaseEvent]:
        """The CrewAI events for `event` (none for kinds CrewAI has no event for)."""
        self._remember(event)
        if isinstance(event, ev.RunStarted | ev.RunFinished | ev.RunFailed | ev.RunCancelled):
            made = self._crew_event(event)
        elif isinstance(event, ev.ToolCallStarted | ev.ToolCallFinished):
            made = [self._tool_event(event)]
        elif isinstance(event, ev.UsageUpdated):
            made = [self._call_completed(event)]
        elif event.kind in ev.FLOW_KINDS:
            made = _flow_events(event)
        else:
            made = _task_events(event)
        for one in made:
            self._add_refs(one)
        if isinstance(event, ev.RunFinished | ev.RunFailed | ev.RunCancelled):
            self._forget(event.run_id)
        return made

    def _remember(self, event: ev.RunEvent) -> None:
        with self._lock:
            if isinstance(event, ev.TaskStarted):
                self._descriptions[(event.run_id, event.task_name)] = event.description
                self._task_names[(event.run_id, event.task_index)] = event.task_name
            elif isinstance(event, ev.TextDelta):
                text_of = (event.run_id, event.task_index, event.agent_role)
                self._texts.setdefault(text_of, []).append(event.content)

    def _forget(self, run_id: str) -> None:
        with self._lock:
            tables: tuple[dict[Any, Any], ...] = (
                self._descriptions, self._task_names, self._texts
            )
            for table in tables:
                for key in [k for k in table if k[0] == run_id]:
                    del table[key]
            self._usage.pop(run_id, None)

    def _call_completed(self, event: ev.UsageUpdated) -> ct.BaseEvent:
        """One LLM call's event: its streamed text, and its tokens (the change of the run's
        totals since the run's last call)."""
        totals = event.usage.model_dump()
        with self._lock:
            before = self._usage.get(event.run_id, {})
            self._usage[event.run_id] = totals
            pieces = self._texts.pop((event.run_id, event.task_index, event.agent_role), [])
        usage = {key: value - before.get(key, 0) for key, value in totals.items()}
        return ct.LLMCallCompletedEvent(
            response="".join(pieces), usage=usage, call_id=event.run_id, **_common(event)
        )

    def _add_refs(self, event: ct.BaseEvent) -> None:
        fields = type(event).model_fields
        if isinstance(event, ct.CrewBaseEvent) and event.crew is None:
            event.crew = CrewRef(event.crew_name)
        if event.agent_role is not None:
            for name in ("agent", "from_agent"):
                if name in fields and getattr(event, name) is None:
                    setattr(event, name, AgentRef(event.agent_role))
        if event.task_name is not None:
            with self._lock:
                description = self._descriptions.get((event.run_id or "", event.task_name))
            for name in ("task", "from_task"):
                if name in fields and getattr(event, name) is None:
                    setattr(event, name, TaskRef(event.task_name, description))

    def _crew_event(
        self, event: ev.RunStarted | ev.RunFinished | ev.RunFailed | ev.RunCancelled
    ) -> list[ct.BaseEvent]:
        with self._lock:
            if isinstance(event, ev.RunStarted):
                self._crews[event.run_id] = event.crew_name
                return [ct.CrewKickoffStartedEvent(
                    run_id=event.run_id, crew_name=event.crew_name, inputs=dict(event.inputs)
                )]
            name = self._crews.pop(event.run_id, None)
        if isinstance(event, ev.RunFinished):
            tokens = event.output.token_usage.total_tokens
            return [ct.CrewKickoffCompletedEvent(
                run_id=event.run_id, crew_name=name, output=event.output, total_tokens=tokens
            )]
        if isinstance(event, ev.RunCancelled):
            return [ct.CrewKickoffFailedEvent(
                run_id=event.run_id, crew_name=name, error="The run was cancelled."
            )]
        failed: list[ct.BaseEvent] = []
        if event.task_index is not None:
            with self._lock:
                task_name = self._task_names.get((event.run_id, event.task_index))
            where: dict[str, Any] = {"run_id": event.run_id, "agent_role": event.agent_role,
                     "task_name": task_name, "error": event.error}
            failed.append(ct.AgentExecutionErrorEvent(**where))
            failed.append(ct.TaskFailedEvent(**where))
        failed.append(ct.CrewKickoffFailedEvent(
            run_id=event.run_id, crew_name=name, error=event.error
        ))
        return failed

    def _tool_event(self, event: ev.ToolCallStarted | ev.ToolCallFinished) -> ct.BaseEvent:
        common: dict[str, Any] = _common(event)
        key = f"{event.run_id}/{event.call_id}"
        now = datetime.now(UTC)
        if isinstance(event, ev.ToolCallStarted):
            with self._lock:
                self._tool_starts[key] = now
            return ct.ToolUsageStartedEvent(
                tool_name=event.tool_name, tool_args=_arguments(event.arguments), **common
            )
        with self._lock:
            started = self._tool_starts.pop(key, now)
        if event.is_error:
            return ct.ToolUsageErrorEvent(
                tool_name=event.tool_name, tool_args={}, error=event.output, **common
            )
        return ct.ToolUsageFinishedEvent(
            tool_name=event.tool_name, tool_args={}, started_at=started, finished_at=now,
            output=event.output, **common,
        )


def _common(event: Any) -> dict[str, Any]:
    return {"run_id": event.run_id, "task_name": event.task_name, "agent_role": event.agent_role}


def _arguments(text: str) -> dict[str, Any] | str:
    try:
        parsed = json.loads(text or "{}")
    except ValueError:
        return text
    return parsed if isinstance(parsed, dict) else text


def _task_events(event: ev.RunEvent) -> list[ct.BaseEvent]:
    if isinstance(event, ev.TextDelta):
        return [ct.LLMStreamChunkEvent(chunk=event.content, call_id=event.run_id, **_common(event))]
    if isinstance(event, ev.TaskStarted):
        return [
            ct.TaskStartedEvent(**_common(event)),
            ct.AgentExecutionStartedEvent(task_prompt=event.description, **_common(event)),
        ]
    if isinstance(event, ev.TaskFinished):
        return [
            ct.AgentExecutionCompletedEvent(output=event.output.raw, **_common(event)),
            ct.TaskCompletedEvent(output=event.output, **_common(event)),
        ]
    if isinstance(event, ev.MemoryRetrieved):
        content = "\n".join(event.items)
        return [ct.MemoryRetrievalCompletedEvent(memory_content=content, **_common(event))]
    if isinstance(event, ev.MemorySaved):
        return [ct.MemorySaveCompletedEvent(metadata=dict(event.counts), **_common(event))]
    if isinstance(event, ev.KnowledgeRetrieved):
        return [ct.KnowledgeRetrievalCompletedEvent(
            query=event.query, retrieved_knowledge="\n".join(event.items), **_common(event)
        )]
    return []


def _flow_events(event: ev.RunEvent) -> list[ct.BaseEvent]:
    """CrewAI's flow events (`result` and `error` carry the engine's texts)."""
    common: dict[str, Any] = {"run_id": event.run_id,
                              "flow_name": str(getattr(event, "flow_name", ""))}
    if isinstance(event, ev.FlowStarted):
        return [ct.FlowStartedEvent(inputs=dict(event.inputs), **common)]
    if isinstance(event, ev.FlowMethodStarted):
        return [ct.MethodExecutionStartedEvent(method_name=event.method, state=dict(event.state),
                                               **common)]
    if isinstance(event, ev.FlowMethodFinished):
        return [ct.MethodExecutionFinishedEvent(method_name=event.method, result=event.result,
                                                state=dict(event.state), **common)]
    if isinstance(event, ev.FlowMethodFailed):
        return [ct.MethodExecutionFailedEvent(method_name=event.method,
                                              error=Exception(event.error), **common)]
    if isinstance(event, ev.FlowFinished):
        return [ct.FlowFinishedEvent(result=event.result, state=dict(event.state), **common)]
    if isinstance(event, ev.FlowFailed):
        return [ct.FlowFailedEvent(error=Exception(event.error), **common)]
    if isinstance(event, ev.FlowCancelled):
        return [ct.FlowFailedEvent(error=Exception("the flow was cancelled"), **common)]
    return []


def source_of(event: ct.BaseEvent) -> Any:
    """What CrewAI passes as a handler's `source`: the crew, task or agent of the event."""
    if isinstance(event, ct.CrewBaseEvent):
        return event.crew
    if isinstance(event, ct.TaskStartedEvent | ct.TaskCompletedEvent | ct.TaskFailedEvent):
        return event.task
    return getattr(event, "agent", None) or getattr(event, "from_agent", None)
