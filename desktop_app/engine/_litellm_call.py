"""The litellm path of an LLM call: every provider without a native client (`_llm_routes`).

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

litellm itself is given to these functions, loaded by `_llm_loading` (never imported here).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from desktop_app.engine import _litellm_pacing as _pacing
from desktop_app.engine import _litellm_sse as _sse
from desktop_app.engine._llm_result import Accumulator, Message
from desktop_app.engine._llm_routes import key_env_of
from desktop_app.engine._llm_targets import LLMTarget
from desktop_app.engine._provider_errors import classify
from desktop_app.engine._secrets_mask import register_secrets
from desktop_app.engine.outputs import UsageMetrics

RAW_STREAM_PROVIDERS = frozenset(
    {"openai", "hosted_vllm", "openai_like", "custom_openai", "lm_studio", "azure"}
)
"""Providers whose raw chunks have OpenAI's shape, read without litellm's wrapper."""

Request = Callable[[], dict[str, Any]]
"""Builds the keywords of `litellm.(a)completion`, once the call may start."""


async def astream(
    litellm: ModuleType, target: LLMTarget, request: Request, max_concurrency: int,
    acc: Accumulator,
) -> str:
    """Streams one completion through litellm's async API into `acc`; returns the provider.

    Raises:
        LLMError: The provider refused or failed (`_provider_errors.classify`).
    """
    provider = provider_for(litellm, target)
    limit = _pacing.provider_limit(provider, target.base_url)
    await limit.acquire(max_concurrency)
    try:
        await _pacing.setup_turn()
        try:
            wrapper = await litellm.acompletion(**request())
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
    return provider


def stream(
    litellm: ModuleType, target: LLMTarget, request: Request, max_concurrency: int,
    acc: Accumulator, cancelled: Callable[[], bool] | None,
) -> str:
    """The blocking twin of `astream` (litellm's sync API); polls `cancelled` between pieces."""
    provider = provider_for(litellm, target)
    limit = _pacing.provider_limit(provider, target.base_url)
    limit.acquire_blocking(max_concurrency)
    try:
        try:
            wrapper = litellm.completion(**request())
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
    return provider


def request_of(
    target: LLMTarget,
    messages: Sequence[Message],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The keywords of a streamed litellm call: `options` (temperature, max_tokens, timeout)
    where set, then the LLM's `extra` as they are; registers the key sent for masking."""
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
        **options,
        "tools": list(tools) if tools else None,
    }
    request.update({key: value for key, value in optional.items() if value is not None})
    request.update(extra)
    register_litellm_key(target.model, target.api_key)
    return request


def register_litellm_key(model: str, api_key: str | None) -> None:
    """Registers the key a litellm call sends: `api_key`, else the one litellm reads from
    the provider's environment variable ("ANTHROPIC_API_KEY"), so it is masked in run text."""
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    register_secrets([api_key or os.environ.get(key_env_of(provider))])


async def _aread(wrapper: Any, provider: str, acc: Accumulator) -> None:
    """Feeds `acc` from the rawest form of the stream this provider allows."""
    if provider not in RAW_STREAM_PROVIDERS:
        async for chunk in wrapper:
            acc.feed(chunk)
        return
    completion_stream = wrapper.completion_stream
    lines = _sse.async_lines(completion_stream)
    if lines is None:
        async for chunk in completion_stream:
            acc.feed(chunk)
        return
    async for line in lines:
        chunk = _sse.parse_line(line)
        if chunk is _sse.DONE:
            break
        if chunk is not None:
            acc.feed_openai(chunk)


def _read(
    wrapper: Any, provider: str, acc: Accumulator, cancelled: Callable[[], bool] | None
) -> None:
    """The blocking twin of `_aread`; polls `cancelled` between pieces."""
    if provider not in RAW_STREAM_PROVIDERS:
        _feed_chunks(wrapper, acc, cancelled)
        return
    completion_stream = wrapper.completion_stream
    lines = _sse.sync_lines(completion_stream)
    if lines is None:
        _feed_chunks(completion_stream, acc, cancelled)
        return
    for line in lines:
        if cancelled is not None and cancelled():
            raise asyncio.CancelledError
        chunk = _sse.parse_line(line)
        if chunk is _sse.DONE:
            break
        if chunk is not None:
            acc.feed_openai(chunk)


def _feed_chunks(stream: Any, acc: Accumulator, cancelled: Callable[[], bool] | None) -> None:
    for chunk in stream:
        if cancelled is not None and cancelled():
            raise asyncio.CancelledError
        acc.feed(chunk)


_providers: dict[tuple[str, str | None], str] = {}


def provider_for(litellm: ModuleType, target: LLMTarget) -> str:
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


def cost_of(litellm: ModuleType, model: str, usage: UsageMetrics) -> float | None:
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
