"""The LLM client. Every model call of the engine goes through here, and only here.

Providers that speak OpenAI's chat-completions protocol (OpenAI, Groq, OpenRouter, LM Studio,
vLLM, Ollama's `/v1`, the simulator) are called natively (`_openai_protocol`, over httpx), and so
are Anthropic (`_anthropic_protocol`) and Gemini on Google AI Studio (`_gemini_protocol`); the
choice is `_llm_routes`, `CREWDESK_LLM_CLIENT=auto|native|litellm`. Every other provider goes
through litellm, imported only when such a model is called. What follows is the litellm path.

What a streamed call costs, and what was chosen (CPU per 20-token call against a loopback
simulator on 2 cores; plain httpx + json on the same stream: about 1.4 ms):
- litellm's `CustomStreamWrapper` spends about 0.4 ms of CPU per chunk on logging and
  bookkeeping, and the openai SDK's typed chunks (`construct_type`) about 0.07 ms more. For
  providers that speak OpenAI's chat protocol we still call `litellm.acompletion` (litellm
  routes, authenticates, builds and sends the request and maps errors), then read the SSE
  lines under litellm's stream ourselves (`_litellm_sse`: `json.loads` a line) and count
  usage and cost once per call from the provider's usage chunk. Route `openai/`: 7.0 ms a
  call before, about 4.4 ms after; `hosted_vllm/` (litellm's own httpx handler): about 4 ms.
  Other providers go through the wrapper unchanged.
- What remains is litellm's request setup and its response bookkeeping (3-4 ms a call),
  which no supported setting removes; `disable_streaming_logging` trims a little of it.
- `_litellm_pacing` lets one call per loop iteration start that setup, so hundreds of crews
  started together do not stall the loop (lag max 570-1,800 ms before, 30-130 ms after).
- `_litellm_pacing.provider_limit` caps the requests open at once to one provider (route and
  base URL; `LLM(max_concurrency=...)`, default 256), over every loop and thread, so a batch
  on a rate-limited provider queues instead of storming it (docs/RELIABILITY.md).

`import litellm` takes seconds and must never run on an event loop: the async path imports
it in a worker thread once (`_aload_litellm`), the sync path imports it where it runs.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from desktop_app.engine import _litellm_pacing as _pacing
from desktop_app.engine import _litellm_sse as _sse
from desktop_app.engine import _llm_routes as _routes
from desktop_app.engine import _price_table
from desktop_app.engine._crewai_surface import (
    IGNORED,
    NO_EFFECT,
    IgnoredSetting,
    find_ignored,
    warn_ignored,
)
from desktop_app.engine._provider_errors import classify
from desktop_app.engine._secrets_mask import register_secrets
from desktop_app.engine.errors import LLMError
from desktop_app.engine.outputs import UsageMetrics

Message = dict[str, Any]
TextSink = Callable[[str], None]

RAW_STREAM_PROVIDERS = frozenset(
    {"openai", "hosted_vllm", "openai_like", "custom_openai", "lm_studio", "azure"}
)
"""Providers whose raw chunks have OpenAI's shape, read without litellm's wrapper."""

_litellm: ModuleType | None = None
_import_lock = threading.Lock()


def load_litellm() -> ModuleType:
    """Imports and configures litellm (blocking: seconds on first call).

    Sets `LITELLM_LOCAL_MODEL_COST_MAP` first, so the import never reaches the network.
    Then moves every object alive out of the garbage collector's reach (`gc.freeze`): litellm's
    import leaves hundreds of thousands of long-lived objects, and each later full collection
    scanned them all while holding the GIL, a 250 ms stall of the event loop in the middle of
    200 streaming crews (benchmarks/README.md). Those objects live as long as the process
    anyway; what a program frees later is collected as before.
    """
    global _litellm
    with _import_lock:
        if _litellm is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            module: Any = importlib.import_module("litellm")
            module.suppress_debug_info = True
            module.drop_params = True
            # The engine reads usage from the provider and logs nothing through litellm:
            # its per-stream logging only costs CPU (about 0.3 ms a call, measured here).
            module.disable_streaming_logging = True
            gc.freeze()
            _litellm = module
    return _litellm


async def _aload_litellm() -> ModuleType:
    if _litellm is not None:
        return _litellm
    return await asyncio.to_thread(load_litellm)


_native: dict[str, ModuleType] = {}


def load_native(protocol: _routes.WireProtocol = "openai") -> ModuleType:
    """Imports the native client of a protocol (`_openai_protocol`, `_anthropic_protocol`,
    `_gemini_protocol`; blocking: httpx's import, about 0.4 s, the first time).

    After the first one, every object alive is moved out of the collector's reach
    (`gc.freeze`), as `load_litellm` does: with the engine and httpx loaded (about 65,000
    objects), a full collection in the middle of 200 streaming crews stalled the loop 30 ms;
    frozen, the loop's worst lag was 11-16 ms (benchmarks/README.md, "Many crews at once").
    """
    module = _native.get(protocol)
    if module is None:
        module = importlib.import_module(f"desktop_app.engine._{protocol}_protocol")
        with _import_lock:
            if not _native:
                gc.freeze()
            _native[protocol] = module
    return module


async def _aload_native(protocol: _routes.WireProtocol = "openai") -> ModuleType:
    module = _native.get(protocol)
    if module is not None:
        return module
    return await asyncio.to_thread(load_native, protocol)


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


def default_model() -> str:
    """The model used when an agent names none, as CrewAI chooses it."""
    return os.environ.get("MODEL") or os.environ.get("OPENAI_MODEL_NAME") or "gpt-4o-mini"


def default_base_url() -> str | None:
    """The base URL from the environment, as CrewAI reads it."""
    return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or None


@dataclass(frozen=True, slots=True)
class LLMTarget:
    """Where an LLM call goes: the model string, base URL and key (None: not set)."""

    model: str
    base_url: str | None
    api_key: str | None


@dataclass(frozen=True, slots=True)
class _Forced:
    model: str | None
    base_url: str | None
    api_key: str | None


_forced: _Forced | None = None
_forced_lock = threading.Lock()
_forced_here: ContextVar[_Forced | None] = ContextVar("crewdesk_forced_llm", default=None)
"""`force_llm_target_here`'s target: wins over the process's (`force_llm_target`)."""


@contextmanager
def force_llm_target(
    model: str | None, base_url: str | None, api_key: str | None
) -> Iterator[None]:
    """Sends every LLM and embedding call of the process to one target while active.

    Process-wide, on every thread and loop: agents, managers, planners and embedders that
    build their own `LLM("gpt-4o")` (a CrewAI project's code) all go there. `crewdesk run
    --simulator` uses it. `model` None keeps each LLM's model; `base_url` None keeps each
    LLM's base URL (and its key, unless `api_key` is given); with a `base_url`, `api_key` is
    the only key sent, so a provider's key never goes to the forced endpoint. Nested uses
    restore the previous target when they end.
    """
    global _forced
    register_secrets([api_key])
    with _forced_lock:
        previous = _forced
        _forced = _Forced(model, base_url, api_key)
    try:
        yield
    finally:
        with _forced_lock:
            _forced = previous


@contextmanager
def force_llm_target_here(
    model: str | None, base_url: str | None, api_key: str | None
) -> Iterator[None]:
    """As `force_llm_target`, but only for the code running in this context and what it
    starts (a `ContextVar`: tasks, `asyncio.to_thread`, a flow's steps and the crews they
    kick off), so one dry run's calls go to the simulator while a real run beside it on the
    same loop keeps its provider. The app's flow dry runs use it."""
    register_secrets([api_key])
    token = _forced_here.set(_Forced(model, base_url, api_key))
    try:
        yield
    finally:
        _forced_here.reset(token)


def _current_forced() -> _Forced | None:
    return _forced_here.get() or _forced


LLMRoute = Callable[[LLMTarget], "LLMTarget | None"]
"""Where an LLM's own target goes instead (None: as it is); see `route_llm_targets_here`."""

_route_here: ContextVar[LLMRoute | None] = ContextVar("crewdesk_llm_route", default=None)


@contextmanager
def route_llm_targets_here(route: LLMRoute) -> Iterator[None]:
    """Routes the chat calls made in this context and what it starts (tasks, worker threads,
    a flow's steps and their crews): `route` is given each LLM's own target and returns where
    the call goes, or None to leave it. A forced target (`force_llm_target*`) wins.

    The app's real flow runs use it: a flow's crews are made by the project's code, so their
    models are sent to the configured providers with the keychain's keys at call time.
    `route` runs for every call, on the caller's loop: it must not block (read keys first).
    """
    token = _route_here.set(route)
    try:
        yield
    finally:
        _route_here.reset(token)


class LLM:
    """A model and how to call it, as CrewAI's `LLM`.

    One `LLM` object may serve many calls at once: it keeps no per-call state.

    Args:
        model: Any litellm model string, e.g. "openai/gpt-4o-mini" or "ollama/llama3.2".
        base_url: The provider's base URL (alias `api_base`).
        api_key: The key; None lets litellm read the provider's environment variable.
        temperature: Sampling temperature.
        max_tokens: Limit on the answer's length.
        timeout: Seconds to wait for the provider, per request.
        max_retries: Retries on rate limits, 5xx, time-outs and connection errors.
        retry_base_delay: First back-off delay in seconds; doubles at each retry.
        retry_max_delay: Longest back-off delay in seconds.
        max_concurrency: Requests to this provider (route and base URL) open at once, counted
            over every `LLM`, loop and thread; more wait their turn (default 256).
        **kwargs: Passed to litellm as they are (top_p, stop, seed, api_version, ...).
            CrewAI's own parameters are understood: `provider` (prefixes a bare model name),
            `additional_params` (merged into the request), `context_window_size` (kept);
            `stream` and `is_litellm` change nothing (calls always stream through litellm);
            `callbacks`, `interceptor` and `prefer_upload` warn and are ignored.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        *,
        api_base: str | None = None,
        max_retries: int = 3,
        retry_base_delay: float = 1.0,
        retry_max_delay: float = 30.0,
        max_concurrency: int = _pacing.DEFAULT_MAX_CONCURRENCY,
        **kwargs: Any,
    ) -> None:
        self.model = model
        self.base_url = base_url or api_base
        self.api_key = api_key
        register_secrets([api_key])
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.max_concurrency = max_concurrency
        self.context_window_size: int | None = kwargs.pop("context_window_size", None)
        provider = kwargs.pop("provider", None)
        if provider and "/" not in model:
            self.model = f"{provider}/{model}"
        self.extra: dict[str, Any] = dict(kwargs.pop("additional_params", None) or {})
        self._ignored = _crewai_llm_keywords(self.model, kwargs)
        self.extra.update(kwargs)

    def ignored_settings(self) -> list[IgnoredSetting]:
        """CrewAI settings given to this LLM that CrewDesk does not act on."""
        return list(self._ignored)

    def __repr__(self) -> str:
        return f"LLM(model={self.model!r}, base_url={self.base_url!r})"

    def target(self) -> LLMTarget:
        """Where calls go now: this LLM's model, base URL and key, or the forced target
        (`force_llm_target`) while one is active."""
        forced = _current_forced()
        if forced is None:
            own = LLMTarget(self.model, self.base_url, self.api_key)
            route = _route_here.get()
            return own if route is None else (route(own) or own)
        if forced.base_url is None:
            return LLMTarget(forced.model or self.model, self.base_url, forced.api_key or self.api_key)
        return LLMTarget(forced.model or self.model, forced.base_url, forced.api_key)

    @property
    def provider(self) -> str:
        """The provider name litellm picks for this model (e.g. "openai")."""
        route = self._route()
        if route is not None:
            return route.provider
        return _provider_for(load_litellm(), self.target())

    def _route(self) -> _routes.NativeRoute | None:
        """The native route of the next call, or None for litellm (`_llm_routes`)."""
        target = self.target()
        try:
            return _routes.route_for(target.model, target.base_url, target.api_key, self.extra)
        except _routes.NeedsLitellm as exc:
            provider = target.model.split("/", 1)[0] if "/" in target.model else "unknown"
            raise LLMError("other", str(exc), provider=provider, model=target.model) from None

    async def acall(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        on_text: TextSink | None = None,
    ) -> LLMResult:
        """Streams one completion through litellm's async API, retrying where it helps.

        Args:
            messages: The chat so far, in OpenAI's format.
            tools: Tool schemas in OpenAI's format, or None.
            on_text: Called with each piece of text as it arrives.

        Raises:
            LLMError: The provider refused or failed; retries were used up.
        """
        route = self._route()
        client = await (_aload_native(route.protocol) if route is not None else _aload_litellm())
        attempt = 0
        while True:
            acc = _Accumulator(on_text)
            try:
                if route is not None:
                    return await self._acall_native(client, route, messages, tools, acc)
                return await self._acall_once(client, messages, tools, acc)
            except LLMError as err:
                delay = self._retry_delay(err, attempt, acc.emitted)
                if delay is None:
                    raise
            attempt += 1
            await asyncio.sleep(delay)

    def call(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        on_text: TextSink | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> LLMResult:
        """The blocking twin of `acall`, through litellm's sync API (used by `kickoff`).

        Args:
            messages: The chat so far, in OpenAI's format.
            tools: Tool schemas in OpenAI's format, or None.
            on_text: Called with each piece of text as it arrives.
            cancelled: Polled between chunks; when it returns True the stream is closed and
                `asyncio.CancelledError` is raised.
        """
        route = self._route()
        client = load_native(route.protocol) if route is not None else load_litellm()
        attempt = 0
        while True:
            acc = _Accumulator(on_text)
            try:
                if route is not None:
                    return self._call_native(client, route, messages, tools, acc, cancelled)
                return self._call_once(client, messages, tools, acc, cancelled)
            except LLMError as err:
                delay = self._retry_delay(err, attempt, acc.emitted)
                if delay is None:
                    raise
            attempt += 1
            time.sleep(delay)

    async def _acall_once(
        self,
        litellm: ModuleType,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: _Accumulator,
    ) -> LLMResult:
        target = self.target()
        provider = _provider_for(litellm, target)
        limit = _pacing.provider_limit(provider, target.base_url)
        await limit.acquire(self.max_concurrency)
        try:
            await _pacing.setup_turn()
            try:
                wrapper = await litellm.acompletion(**self._request(target, messages, tools))
            except Exception as exc:
                raise classify(exc, provider=provider, model=target.model, streaming=False) from exc
            try:
                await _aread(wrapper, provider, acc)
            except Exception as exc:
                raise classify(exc, provider=provider, model=target.model, streaming=True) from exc
            finally:
                await wrapper.aclose()
        finally:
            limit.release()
        return self._finish(
            target, provider, acc, lambda usage: _cost_of(litellm, target.model, usage)
        )

    def _call_once(
        self,
        litellm: ModuleType,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: _Accumulator,
        cancelled: Callable[[], bool] | None,
    ) -> LLMResult:
        target = self.target()
        provider = _provider_for(litellm, target)
        limit = _pacing.provider_limit(provider, target.base_url)
        limit.acquire_blocking(self.max_concurrency)
        try:
            try:
                wrapper = litellm.completion(**self._request(target, messages, tools))
            except Exception as exc:
                raise classify(exc, provider=provider, model=target.model, streaming=False) from exc
            try:
                _read(wrapper, provider, acc, cancelled)
            except Exception as exc:
                raise classify(exc, provider=provider, model=target.model, streaming=True) from exc
            finally:
                wrapper.close()
        finally:
            limit.release()
        return self._finish(
            target, provider, acc, lambda usage: _cost_of(litellm, target.model, usage)
        )

    async def _acall_native(
        self,
        native: ModuleType,
        route: _routes.NativeRoute,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: _Accumulator,
    ) -> LLMResult:
        if not _price_table.loaded():  # read by request_body (Anthropic's max_tokens) and cost
            await asyncio.to_thread(_price_table.load)
        body, headers = native.request_body(route, messages, tools, self._options())
        limit = _pacing.provider_limit(route.provider, route.base_url)
        await limit.acquire(self.max_concurrency)
        try:
            await _pacing.native_turn()
            await native.astream(route, body, headers, self.timeout, acc)
        finally:
            limit.release()
        return self._finish(self.target(), route.provider, acc, _native_cost(route))

    def _call_native(
        self,
        native: ModuleType,
        route: _routes.NativeRoute,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: _Accumulator,
        cancelled: Callable[[], bool] | None,
    ) -> LLMResult:
        body, headers = native.request_body(route, messages, tools, self._options())
        limit = _pacing.provider_limit(route.provider, route.base_url)
        limit.acquire_blocking(self.max_concurrency)
        try:
            native.stream(route, body, headers, self.timeout, acc, cancelled)
        finally:
            limit.release()
        return self._finish(self.target(), route.provider, acc, _native_cost(route))

    def _options(self) -> dict[str, Any]:
        """The request's settings besides model, messages and tools (the native path)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, **self.extra}

    def _request(
        self,
        target: LLMTarget,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": target.model,
            "messages": list(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_retries": 0,
        }
        optional = {
            "api_base": target.base_url,
            "api_key": target.api_key,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "timeout": self.timeout,
            "tools": list(tools) if tools else None,
        }
        request.update({key: value for key, value in optional.items() if value is not None})
        request.update(self.extra)
        _register_litellm_key(target.model, target.api_key)
        return request

    def _finish(
        self,
        target: LLMTarget,
        provider: str,
        acc: _Accumulator,
        cost_of: Callable[[UsageMetrics], float | None],
    ) -> LLMResult:
        if acc.finish_reason is None:
            raise LLMError(
                "stream_dropped",
                "the stream ended without a finish reason",
                provider=provider,
                model=target.model,
            )
        usage = acc.usage_metrics()
        return LLMResult(
            text="".join(acc.parts),
            tool_calls=acc.tool_calls(),
            usage=usage,
            cost_usd=cost_of(usage),
            finish_reason=acc.finish_reason,
        )

    def _retry_delay(self, err: LLMError, attempt: int, emitted: bool) -> float | None:
        """Seconds to wait before the next try, or None when the error is final."""
        if not err.retryable or emitted or attempt >= self.max_retries:
            return None
        if err.retry_after is not None:
            return min(err.retry_after, self.retry_max_delay)
        backoff = min(self.retry_max_delay, self.retry_base_delay * 2.0**attempt)
        return backoff * (0.5 + random.random() / 2)


def _crewai_llm_keywords(model: str, kwargs: dict[str, Any]) -> list[IgnoredSetting]:
    """Takes CrewAI's LLM-only keywords out of `kwargs` (the rest go to litellm); warns for
    the ignored ones and returns them."""
    for name in NO_EFFECT["LLM"]:
        kwargs.pop(name, None)
    ignored = {name: kwargs.pop(name) for name in IGNORED["LLM"] if name in kwargs}
    found = find_ignored("LLM", f"LLM '{model}'", ignored, {})
    warn_ignored(found)
    return found


async def _aread(wrapper: Any, provider: str, acc: _Accumulator) -> None:
    """Feeds `acc` from the rawest form of the stream this provider allows."""
    if provider not in RAW_STREAM_PROVIDERS:
        async for chunk in wrapper:
            acc.feed(chunk)
        return
    stream = wrapper.completion_stream
    lines = _sse.async_lines(stream)
    if lines is None:
        async for chunk in stream:
            acc.feed(chunk)
        return
    async for line in lines:
        chunk = _sse.parse_line(line)
        if chunk is _sse.DONE:
            break
        if chunk is not None:
            acc.feed_openai(chunk)


def _read(
    wrapper: Any, provider: str, acc: _Accumulator, cancelled: Callable[[], bool] | None
) -> None:
    """The blocking twin of `_aread`; polls `cancelled` between pieces."""
    if provider not in RAW_STREAM_PROVIDERS:
        _feed_chunks(wrapper, acc, cancelled)
        return
    stream = wrapper.completion_stream
    lines = _sse.sync_lines(stream)
    if lines is None:
        _feed_chunks(stream, acc, cancelled)
        return
    for line in lines:
        if cancelled is not None and cancelled():
            raise asyncio.CancelledError
        chunk = _sse.parse_line(line)
        if chunk is _sse.DONE:
            break
        if chunk is not None:
            acc.feed_openai(chunk)


def _feed_chunks(stream: Any, acc: _Accumulator, cancelled: Callable[[], bool] | None) -> None:
    for chunk in stream:
        if cancelled is not None and cancelled():
            raise asyncio.CancelledError
        acc.feed(chunk)


@dataclass(slots=True)
class _ToolCallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class _Accumulator:
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
        index = _field(call, "index") or 0
        parts = self._tools.setdefault(index, _ToolCallParts())
        parts.id = parts.id or (_field(call, "id") or "")
        function = _field(call, "function")
        if function is not None:
            parts.name = parts.name or (_field(function, "name") or "")
            arguments = _field(function, "arguments")
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
        prompt = int(_field(usage, "prompt_tokens") or 0)
        completion = int(_field(usage, "completion_tokens") or 0)
        details = _field(usage, "prompt_tokens_details")
        return UsageMetrics(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=int(_field(usage, "total_tokens") or prompt + completion),
            cached_prompt_tokens=int(_field(details, "cached_tokens") or 0),
            successful_requests=1,
        )


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


_providers: dict[tuple[str, str | None], str] = {}


def _provider_for(litellm: ModuleType, target: LLMTarget) -> str:
    """The provider litellm picks for a target (remembered per model and base URL)."""
    key = (target.model, target.base_url)
    provider = _providers.get(key)
    if provider is None:
        provider = _providers[key] = _provider_of(litellm, target.model, target.base_url)
    return provider


def _provider_of(litellm: ModuleType, model: str, base_url: str | None) -> str:
    try:
        _, provider, _, _ = litellm.get_llm_provider(model=model, api_base=base_url)
    except Exception:  # noqa: BLE001 - an unknown provider surfaces on the call itself
        return model.split("/", 1)[0] if "/" in model else "unknown"
    return str(provider)


_prices: dict[str, tuple[float, float] | None] = {}


def _cost_of(litellm: ModuleType, model: str, usage: UsageMetrics) -> float | None:
    """Cost in USD from litellm's price table, or None for a model it does not price."""
    if model not in _prices:
        try:
            info = litellm.get_model_info(model=model)
            _prices[model] = (
                float(info.get("input_cost_per_token") or 0.0),
                float(info.get("output_cost_per_token") or 0.0),
            )
        except Exception:  # noqa: BLE001 - litellm raises bare Exception for unknown models
            _prices[model] = None
    price = _prices[model]
    if price is None:
        return None
    return float(usage.prompt_tokens * price[0] + usage.completion_tokens * price[1])


def _native_cost(route: _routes.NativeRoute) -> Callable[[UsageMetrics], float | None]:
    """Cost in USD from litellm's price file (`_price_table`), or None for an unpriced model."""

    def cost(usage: UsageMetrics) -> float | None:
        price = _price_table.price_of(route.provider, route.model)
        if price is None:
            return None
        return usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]

    return cost


_EMBEDDER_ROUTES = {"google": "gemini", "google-generativeai": "gemini", "voyageai": "voyage"}
"""CrewAI's embedder provider names that litellm spells another way."""


class Embedder:
    """An embedding model and how to call it, built from CrewAI's `embedder` setting.

    Args:
        model: A litellm model string ("openai/text-embedding-3-small").
        api_base: The provider's base URL.
        api_key: The key; None lets litellm read the provider's environment variable.
        dimensions: Ask the provider for vectors of this size (where it supports that).
        batch_size: Texts sent in one request.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        dimensions: int | None = None,
        batch_size: int = 64,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        register_secrets([api_key])
        self.dimensions = dimensions
        self.batch_size = max(1, batch_size)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Embedder:
        """Builds one from CrewAI's `{"provider": ..., "config": {"model": ...}}` shape.

        Raises:
            ValueError: No model is named.
        """
        provider = str(config.get("provider") or "openai")
        options = dict(config.get("config") or {})
        model = options.get("model") or options.get("model_name")
        if not model:
            raise ValueError("the embedder needs a model: {'config': {'model': ...}}")
        route = _EMBEDDER_ROUTES.get(provider, provider)
        model = str(model) if "/" in str(model) else f"{route}/{model}"
        return cls(
            model,
            api_base=options.get("api_base") or options.get("base_url") or options.get("url"),
            api_key=options.get("api_key"),
            dimensions=options.get("dimensions"),
        )

    @property
    def identity(self) -> str:
        """What makes two embedders' vectors comparable: model and size."""
        return f"{self.model}:{self.dimensions or ''}"

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embeds `texts` in batches, natively for OpenAI-protocol providers, else through
        litellm's async API.

        Raises:
            LLMError: The provider refused or failed.
        """
        route = self._route()
        vectors: list[list[float]] = []
        if route is not None:
            native = await _aload_native()
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                vectors.extend(await native.aembed(route, batch, self.dimensions))
            return vectors
        litellm = await _aload_litellm()
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            try:
                response = await litellm.aembedding(**self._request(batch))
            except Exception as exc:
                raise self._error(exc) from exc
            vectors.extend(_vectors_of(response))
        return vectors

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The blocking twin of `aembed` (the `kickoff` path)."""
        route = self._route()
        vectors: list[list[float]] = []
        if route is not None:
            native = load_native()
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                vectors.extend(native.embed(route, batch, self.dimensions))
            return vectors
        litellm = load_litellm()
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            try:
                response = litellm.embedding(**self._request(batch))
            except Exception as exc:
                raise self._error(exc) from exc
            vectors.extend(_vectors_of(response))
        return vectors

    def _route(self) -> _routes.NativeRoute | None:
        """The native route of the next request, or None for litellm (`_llm_routes`)."""
        request = self._request([])
        model = request["model"]
        try:
            return _routes.route_for(
                model, request.get("api_base"), request.get("api_key"), {}, purpose="embeddings"
            )
        except _routes.NeedsLitellm as exc:
            raise LLMError("other", str(exc), provider=model.split("/")[0], model=model) from None

    def _request(self, batch: list[str]) -> dict[str, Any]:
        model, api_base, api_key = self.model, self.api_base, self.api_key
        forced = _current_forced()
        if forced is not None:
            model = forced.model or model
            if forced.base_url is not None:
                api_base, api_key = forced.base_url, forced.api_key
            else:
                api_key = forced.api_key or api_key
        request: dict[str, Any] = {"model": model, "input": batch}
        optional = {
            "api_base": api_base,
            "api_key": api_key,
            "dimensions": self.dimensions,
        }
        request.update({key: value for key, value in optional.items() if value is not None})
        _register_litellm_key(model, api_key)
        return request

    def _error(self, exc: Exception) -> LLMError:
        provider = self.model.split("/", 1)[0]
        return classify(exc, provider=provider, model=self.model, streaming=False)


def _register_litellm_key(model: str, api_key: str | None) -> None:
    """Registers the key a litellm call sends: `api_key`, else the one litellm reads from
    the provider's environment variable ("ANTHROPIC_API_KEY"), so it is masked in run text."""
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    register_secrets([api_key or os.environ.get(_routes.key_env_of(provider))])


def _vectors_of(response: Any) -> list[list[float]]:
    data = sorted(_field(response, "data") or [], key=lambda item: _field(item, "index") or 0)
    return [[float(v) for v in _field(item, "embedding")] for item in data]
