"""The LLM client. Every model call of the engine goes through here, and only here.

Providers that speak OpenAI's chat-completions protocol (OpenAI, Groq, OpenRouter, LM Studio,
vLLM, Ollama's `/v1`, the simulator) are called natively (`_openai_protocol`, over httpx), and so
are Anthropic (`_anthropic_protocol`) and Gemini on Google AI Studio (`_gemini_protocol`); the
choice is `_llm_routes`, `CREWDESK_LLM_CLIENT=auto|native|litellm`. Every other provider goes
through litellm (`_litellm_call`), imported only when such a model is called.

`LLM` picks the path per call, retries with back-off, and keeps the per-provider concurrency
limit and the per-loop start gate (`_litellm_pacing`) on both paths. Its parts live beside it:
the result and the chunk assembly (`_llm_result`), where calls go (`_llm_targets`), loading the
clients off the loop (`_llm_loading`), and embeddings (`_embedder`); their public names are
importable from here, as before.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from desktop_app.engine import _litellm_call, _price_table
from desktop_app.engine import _litellm_pacing as _pacing
from desktop_app.engine import _llm_routes as _routes
from desktop_app.engine._crewai_surface import (
    IGNORED,
    NO_EFFECT,
    IgnoredSetting,
    find_ignored,
    warn_ignored,
)
from desktop_app.engine._embedder import Embedder
from desktop_app.engine._litellm_call import RAW_STREAM_PROVIDERS
from desktop_app.engine._llm_loading import aload_litellm, aload_native, load_litellm, load_native
from desktop_app.engine._llm_result import (
    Accumulator,
    LLMResult,
    Message,
    TextSink,
    ToolCallRequest,
)
from desktop_app.engine._llm_targets import (
    LLMRoute,
    LLMTarget,
    current_forced,
    current_route,
    default_base_url,
    default_model,
    force_llm_target,
    force_llm_target_here,
    route_llm_targets_here,
)
from desktop_app.engine._secrets_mask import register_secrets
from desktop_app.engine.errors import LLMError
from desktop_app.engine.outputs import UsageMetrics

__all__ = [
    "LLM",
    "RAW_STREAM_PROVIDERS",
    "Embedder",
    "LLMResult",
    "LLMRoute",
    "LLMTarget",
    "Message",
    "TextSink",
    "ToolCallRequest",
    "default_base_url",
    "default_model",
    "force_llm_target",
    "force_llm_target_here",
    "load_litellm",
    "load_native",
    "route_llm_targets_here",
]


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
        forced = current_forced()
        if forced is None:
            own = LLMTarget(self.model, self.base_url, self.api_key)
            route = current_route()
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
        return _litellm_call.provider_for(load_litellm(), self.target())

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
        client = await (aload_native(route.protocol) if route is not None else aload_litellm())
        attempt = 0
        while True:
            acc = Accumulator(on_text)
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
            acc = Accumulator(on_text)
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
        acc: Accumulator,
    ) -> LLMResult:
        target = self.target()
        provider = await _litellm_call.astream(
            litellm,
            target,
            lambda: self._request(target, messages, tools),
            self.max_concurrency,
            acc,
        )
        return acc.result(
            provider,
            target.model,
            lambda usage: _litellm_call.cost_of(litellm, target.model, usage),
        )

    def _call_once(
        self,
        litellm: ModuleType,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: Accumulator,
        cancelled: Callable[[], bool] | None,
    ) -> LLMResult:
        target = self.target()
        provider = _litellm_call.stream(
            litellm,
            target,
            lambda: self._request(target, messages, tools),
            self.max_concurrency,
            acc,
            cancelled,
        )
        return acc.result(
            provider,
            target.model,
            lambda usage: _litellm_call.cost_of(litellm, target.model, usage),
        )

    async def _acall_native(
        self,
        native: ModuleType,
        route: _routes.NativeRoute,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: Accumulator,
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
        return acc.result(route.provider, self.target().model, _native_cost(route))

    def _call_native(
        self,
        native: ModuleType,
        route: _routes.NativeRoute,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
        acc: Accumulator,
        cancelled: Callable[[], bool] | None,
    ) -> LLMResult:
        body, headers = native.request_body(route, messages, tools, self._options())
        limit = _pacing.provider_limit(route.provider, route.base_url)
        limit.acquire_blocking(self.max_concurrency)
        try:
            native.stream(route, body, headers, self.timeout, acc, cancelled)
        finally:
            limit.release()
        return acc.result(route.provider, self.target().model, _native_cost(route))

    def _options(self) -> dict[str, Any]:
        """The request's settings besides model, messages and tools (the native path)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, **self.extra}

    def _request(
        self,
        target: LLMTarget,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None,
    ) -> dict[str, Any]:
        """The keywords of the litellm call (`_litellm_call.request_of`)."""
        options = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "timeout": self.timeout,
        }
        return _litellm_call.request_of(target, messages, tools, options, self.extra)

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


def _native_cost(route: _routes.NativeRoute) -> Callable[[UsageMetrics], float | None]:
    """Cost in USD from litellm's price file (`_price_table`), or None for an unpriced model."""

    def cost(usage: UsageMetrics) -> float | None:
        price = _price_table.price_of(route.provider, route.model)
        if price is None:
            return None
        return usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]

    return cost
