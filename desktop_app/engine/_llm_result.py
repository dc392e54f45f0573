"""What one LLM call gives back, and how a streamed answer is put together from its chunks.

Both call paths (native and litellm) feed one `Accumulator` per attempt: chunks of OpenAI's
shape (objects, or the parsed JSON of a raw SSE line) and litellm's generic chunk dicts. When
the stream has ended, `Accumulator.result` turns what it collected into an `LLMResult`; a
stream that ended without a finish reason is an `LLMError("stream_dropped")`, so a cut
connection never passes for a short answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop_app.engine.errors import LLMError
from desktop_app.engine.outputs import UsageMetrics

Message = dict[str, Any]
TextSink = Callable[[str], None]


@dataclass(slots=True)
class ToolCallRequest:
    """A tool call the model asked for."""

    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class LLMResult:
    """One finished LLM call: the text, any tool calls, and what it cost."""

    text: str
    tool_calls: list[ToolCallRequest]
    usage: UsageMetrics
    cost_usd: float | None
    finish_reason: str | None


@dataclass(slots=True)
class _ToolCallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class Accumulator:
    """Collects one streamed answer from chunks of either shape litellm yields."""

    __slots__ = ("_on_text", "_tools", "emitted", "finish_reason", "parts", "usage")

    def __init__(self, on_text: TextSink | None) -> None:
        self._on_text = on_text
        self._tools: dict[int, _ToolCallParts] = {}
        self.parts: list[str] = []
        self.usage: Any = None
        self.finish_reason: str | None = None
        self.emitted = False

    def feed(self, chunk: Any) -> None:
        """Takes one chunk: an OpenAI-shaped object, or litellm's generic chunk dict."""
        if isinstance(chunk, dict):
            self._feed_generic(chunk)
            return
        usage = getattr(chunk, "usage", None)
        if usage:
            self.usage = usage
        choices = chunk.choices
        if not choices:
            return
        choice = choices[0]
        delta = choice.delta
        if delta is not None:
            text = delta.content
            if text:
                self._text(text)
            for call in delta.tool_calls or ():
                self._tool_delta(call)
        if choice.finish_reason:
            self.finish_reason = choice.finish_reason

    def feed_openai(self, chunk: Any) -> None:
        """Takes one chunk as OpenAI's JSON has it, parsed into dicts."""
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        choices = chunk.get("choices")
        if not choices:
            return
        choice = choices[0]
        delta = choice.get("delta")
        if delta:
            text = delta.get("content")
            if text:
                self._text(text)
            for call in delta.get("tool_calls") or ():
                self._tool_delta(call)
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]

    def _feed_generic(self, chunk: Mapping[str, Any]) -> None:
        text = chunk.get("text")
        if text:
            self._text(text)
        if chunk.get("tool_use"):
            self._tool_delta(chunk["tool_use"])
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        if chunk.get("is_finished") or chunk.get("finish_reason"):
            self.finish_reason = chunk.get("finish_reason") or "stop"

    def _text(self, text: str) -> None:
        self.parts.append(text)
        self.emitted = True
        if self._on_text is not None:
            self._on_text(text)

    def _tool_delta(self, call: Any) -> None:
        index = field_of(call, "index") or 0
        parts = self._tools.setdefault(index, _ToolCallParts())
        parts.id = parts.id or (field_of(call, "id") or "")
        function = field_of(call, "function")
        if function is not None:
            parts.name = parts.name or (field_of(function, "name") or "")
            arguments = field_of(function, "arguments")
            if arguments:
                parts.arguments.append(arguments)

    def tool_calls(self) -> list[ToolCallRequest]:
        """The complete tool calls, in the order the model made them."""
        return [
            ToolCallRequest(
                id=parts.id or f"call_{index}",
                name=parts.name,
                arguments="".join(parts.arguments) or "{}",
            )
            for index, parts in sorted(self._tools.items())
        ]

    def usage_metrics(self) -> UsageMetrics:
        """What the provider reported for this call (zeros when it reported nothing)."""
        usage = self.usage
        prompt = int(field_of(usage, "prompt_tokens") or 0)
        completion = int(field_of(usage, "completion_tokens") or 0)
        details = field_of(usage, "prompt_tokens_details")
        return UsageMetrics(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=int(field_of(usage, "total_tokens") or prompt + completion),
            cached_prompt_tokens=int(field_of(details, "cached_tokens") or 0),
            successful_requests=1,
        )

    def result(
        self, provider: str, model: str, cost_of: Callable[[UsageMetrics], float | None]
    ) -> LLMResult:
        """The finished call, its cost from `cost_of`.

        Raises:
            LLMError: The stream ended without a finish reason ("stream_dropped").
        """
        if self.finish_reason is None:
            raise LLMError(
                "stream_dropped",
                "the stream ended without a finish reason",
                provider=provider,
                model=model,
            )
        usage = self.usage_metrics()
        return LLMResult(
            text="".join(self.parts),
            tool_calls=self.tool_calls(),
            usage=usage,
            cost_usd=cost_of(usage),
            finish_reason=self.finish_reason,
        )


def field_of(obj: Any, name: str) -> Any:
    """`obj[name]` of a mapping, else the attribute `name`; None for None or a missing one."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
