"""Spans of a run's trace: one per LLM call, tool call, approval, guardrail check,
delegation, memory recall and human input, inside its task's span, inside the run's span.

A `Span` is a plain context manager put around the work it measures. When nobody listens
to the run (`RunState.listening()` is None) it does nothing at all, so runs without a
listener pay nothing. Otherwise it takes a fresh id, makes itself the parent of the spans
opened inside it (a context variable, which asyncio tasks and `to_thread` copy) and, when
it ends, sends one `TraceSpan` event with its times, tokens, cost and detail. Spans are
therefore sent in the order they end: a child before its parent.

Details hold texts that left or reached the run (the messages sent to a model, its answer,
a tool's arguments); `masked_messages` masks every known key in them first.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from desktop_app.engine import events as ev
from desktop_app.engine._secrets_mask import mask

if TYPE_CHECKING:
    from desktop_app.engine._run_state import RunState, TaskMeta

ENABLED = True
"""Whether spans are made at all; benchmarks/trace_overhead.py turns it off to compare."""

_PARENT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "crewdesk_trace_parent", default=None
)


def new_span_id() -> str:
    """A fresh span id: 16 hex digits, as OpenTelemetry's 8-byte span ids."""
    return os.urandom(8).hex()


def masked_messages(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """What was sent to a model, with keys masked in every text: a new list (the
    conversation grows after the call), sharing each message that holds no key (a message
    is not changed once sent), so the trace keeps it as it was at that moment."""
    return [_masked_message(message) for message in messages]


def _masked_message(message: Mapping[str, Any]) -> Mapping[str, Any]:
    content = message.get("content")
    masked = mask(content) if isinstance(content, str) else content
    calls = message.get("tool_calls")
    masked_calls = [_masked_call(call) for call in calls] if calls else calls
    if masked is content and (not calls or all(
        new is old for new, old in zip(masked_calls or (), calls, strict=True)
    )):
        return message
    return {**message, "content": masked, **({"tool_calls": masked_calls} if calls else {})}


def _masked_call(call: Any) -> Any:
    if not isinstance(call, dict) or "function" not in call:
        return call
    arguments = call["function"].get("arguments")
    masked = mask(arguments) if isinstance(arguments, str) else arguments
    if masked is arguments:
        return call
    return {**call, "function": {**call["function"], "arguments": masked}}


class Span:
    """Measures one step of a run and sends it as a `TraceSpan` when the step ends.

    Set `detail`, `input_tokens`, `output_tokens`, `cost_usd` and `status` inside the
    `with` block; they are read when it ends. An exception ends the span with status
    "error" ("cancelled" for a cancellation) and its message (masked) in the detail.
    """

    __slots__ = (
        "_emit", "_kind", "_meta", "_name", "_started", "_state", "_t0", "_token",
        "cost_usd", "detail", "input_tokens", "output_tokens", "parent_id", "span_id",
        "status",
    )

    def __init__(
        self, state: RunState, kind: str, name: str, meta: TaskMeta | None = None
    ) -> None:
        """Prepares a span (nothing is measured until the `with` block starts).

        Args:
            state: The run.
            kind: "run", "task", "llm", "tool", "approval", "guardrail", "delegation",
                "memory" or "human_input".
            name: What ran (a model, a tool, a coworker's role...).
            meta: The task's fields (None for the run's own span).
        """
        self._state = state
        self._kind = kind
        self._name = name
        self._meta = meta
        self._emit: Any = None
        self._token: contextvars.Token[str | None] | None = None
        self._started = self._t0 = 0.0
        self.span_id = ""
        self.parent_id: str | None = None
        self.detail: dict[str, Any] = {}
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cost_usd: float | None = None
        self.status = "ok"

    @property
    def active(self) -> bool:
        """Whether the span is recorded (someone listens): skip building details if not."""
        return self._emit is not None

    def __enter__(self) -> Span:
        self._emit = self._state.listening() if ENABLED else None
        if self._emit is None:
            return self
        self.span_id = new_span_id()
        self.parent_id = _PARENT.get()
        self._token = _PARENT.set(self.span_id)
        self._started = time.time()
        self._t0 = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._emit is None:
            return
        duration = time.perf_counter() - self._t0
        self._reset_parent()
        if exc is not None:
            cancelled = isinstance(exc, asyncio.CancelledError)
            self.status = "cancelled" if cancelled else "error"
            if not cancelled:
                self.detail["error"] = mask(f"{type(exc).__name__}: {exc}")
        self._emit(self._event(duration))

    def _reset_parent(self) -> None:
        token = self._token
        if token is None:
            return
        try:
            _PARENT.reset(token)
        except ValueError:  # ended in another context than it started in: just restore
            _PARENT.set(self.parent_id)

    def _event(self, duration: float) -> ev.TraceSpan:
        meta = self._meta
        return ev.TraceSpan(
            run_id=self._state.run_id,
            span_id=self.span_id,
            parent_id=self.parent_id,
            span_kind=self._kind,
            name=self._name,
            task_index=None if meta is None else meta["task_index"],
            task_name=None if meta is None else meta["task_name"],
            agent_role=None if meta is None else meta["agent_role"],
            started_at=self._started,
            duration_s=duration,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            status=self.status,
            detail=self.detail,
        )
