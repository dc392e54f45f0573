"""The engine's run events as CrewAI's events.

One engine event may become several CrewAI events (a `TaskStarted` is CrewAI's
`TaskStartedEvent` then `AgentExecutionStartedEvent`), in CrewAI's order.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from desktop_app.compat.crewai.events import _event_types as ct
from desktop_app.engine import events as ev


class Translator:
    """Turns run events into CrewAI events; remembers crew names and tool call starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._crews: dict[str, str] = {}
        self._tool_starts: dict[str, datetime] = {}

    def translate(self, event: ev.RunEvent) -> list[ct.BaseEvent]:
        """The CrewAI events for `event` (none for kinds CrewAI has no event for)."""
        if isinstance(event, ev.RunStarted | ev.RunFinished | ev.RunFailed | ev.RunCancelled):
            return self._crew_event(event)
        if isinstance(event, ev.ToolCallStarted | ev.ToolCallFinished):
            return [self._tool_event(event)]
        return _task_events(event)

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
            failed.append(ct.AgentExecutionErrorEvent(
                run_id=event.run_id, agent_role=event.agent_role, error=event.error
            ))
            failed.append(ct.TaskFailedEvent(
                run_id=event.run_id, agent_role=event.agent_role, error=event.error
            ))
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
