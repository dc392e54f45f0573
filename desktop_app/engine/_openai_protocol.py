"""OpenAI's chat-completions protocol, spoken over httpx without litellm (private to `llm.py`).

Serves OpenAI and every OpenAI-compatible endpoint of `_llm_routes.OPENAI_PROTOCOL` (Azure
OpenAI, Groq, OpenRouter, LM Studio, vLLM, Ollama's `/v1`, the project's simulator). Why: `import litellm`
takes 6-8 s here and each `litellm.acompletion` spends 3-4 ms of CPU on request setup and
pricing before the first byte; this module costs the import of httpx (0.4 s) and builds the
request as one dict (benchmarks/README.md, "Native OpenAI-protocol client").

- The call itself is `_native_stream`'s, as for the other native protocols (transports in
  `_http_transport`: `_http_lite` on a loop, httpx otherwise); this module only shapes the
  request and decodes the answer.
- Requests are streamed with `stream_options.include_usage`; SSE lines are read and parsed in
  place (`_litellm_sse.parse_line`) into the caller's `ChunkSink`, which assembles text, tool
  calls by index and usage. A server that answers with one JSON body is read as one chunk.
- Failures become the `LLMError`s `_provider_errors.classify` makes for litellm's exceptions:
  the status, the provider's own message, `Retry-After`. Retries stay in `llm.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import httpx

from desktop_app.engine import _http_transport as _transport
from desktop_app.engine import _litellm_sse as _sse
from desktop_app.engine import _native_stream as _stream
from desktop_app.engine._llm_routes import NativeRoute, needs_key

DROPPED_OPTIONS = frozenset(
    {"num_retries", "drop_params", "metadata", "api_base", "base_url", "api_version"}
)
"""litellm's bookkeeping options that mean nothing to the provider: never sent."""


class ChunkSink(Protocol):
    """What reads the answer: one OpenAI chunk (parsed JSON) at a time."""

    def feed_openai(self, chunk: Any) -> None:
        """Takes one chunk as OpenAI's JSON has it."""


def request_body(
    route: NativeRoute,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body and extra headers of one streamed call.

    `options` are the LLM's settings (temperature, max_tokens, top_p, stop, seed, tool_choice,
    response_format, ...), passed through as they are; `extra_body` is merged into the body
    and `extra_headers` into the headers, as litellm and the openai SDK do.
    """
    body: dict[str, Any] = {
        "model": route.model,
        "messages": list(messages),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if tools:
        body["tools"] = list(tools)
    headers: dict[str, str] = {}
    for name, value in options.items():
        if value is None or name in DROPPED_OPTIONS:
            continue
        if name == "extra_body":
            body.update(value)
        elif name == "extra_headers":
            headers.update({str(k): str(v) for k, v in value.items()})
        elif name == "response_format":
            body[name] = response_format(value)
        else:
            body[name] = value
    if route.provider == "openai" and _is_reasoning_model(route.model):
        _adapt_for_reasoning_model(body)
    headers.update(route.auth_headers())
    return body, headers


def response_format(value: Any) -> Any:
    """OpenAI's `response_format`; a pydantic model class becomes a strict JSON schema, as
    litellm turns it."""
    schema_of = getattr(value, "model_json_schema", None)
    if not isinstance(value, type) or schema_of is None:
        return value
    return {
        "type": "json_schema",
        "json_schema": {"name": value.__name__, "schema": _strict(schema_of()), "strict": True},
    }


def _strict(schema: Any) -> Any:
    """Every object closed and every property required, as OpenAI's strict mode wants."""
    if isinstance(schema, dict):
        out = {key: _strict(value) for key, value in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
            out["required"] = list(out["properties"])
        return out
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _is_reasoning_model(model: str) -> bool:
    return model.startswith(("o1", "o3", "o4", "gpt-5"))


def _adapt_for_reasoning_model(body: dict[str, Any]) -> None:
    """OpenAI's reasoning models refuse `max_tokens` and any temperature but 1 (litellm maps
    the one and drops the other)."""
    if "max_tokens" in body:
        body.setdefault("max_completion_tokens", body.pop("max_tokens"))
    if body.get("temperature") not in (None, 1, 1.0):
        del body["temperature"]


def _url(route: NativeRoute) -> str:
    return route.endpoint("chat/completions")


class _SseDecoder:
    """OpenAI's server-sent events: one JSON chunk per `data:` line, `[DONE]` at the end
    (lines after it are read, to the body's end, and ignored)."""

    def __init__(self, sink: ChunkSink) -> None:
        self._sink = sink
        self._done = False

    def line(self, line: str) -> None:
        if self._done:
            return
        chunk = _sse.parse_line(line)
        if chunk is _sse.DONE:
            self._done = True
        elif chunk is not None:
            self._sink.feed_openai(chunk)

    def whole(self, answer: Any) -> None:
        feed_whole(answer, self._sink)

    def end(self) -> None:
        """Nothing is held back: every chunk went to the sink as its line came."""


async def astream(
    route: NativeRoute,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    sink: ChunkSink,
) -> None:
    """Makes one streamed call and feeds its chunks to `sink`.

    Raises:
        LLMError: The provider refused or failed, or the stream broke (kind as litellm's).
    """
    await _stream.apost_stream(route, _url(route), body, headers, request_timeout,
                               _SseDecoder(sink))


def stream(
    route: NativeRoute,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    sink: ChunkSink,
    cancelled: Callable[[], bool] | None,
) -> None:
    """The blocking twin of `astream`; polls `cancelled` between lines and, when it returns
    True, closes the stream and raises `asyncio.CancelledError`."""
    _stream.post_stream(route, _url(route), body, headers, request_timeout, _SseDecoder(sink),
                        cancelled)


def feed_whole(completion: Any, sink: ChunkSink) -> None:
    """Feeds a non-streamed completion to `sink` as one chunk of the streamed shape."""
    if not isinstance(completion, dict):
        raise json.JSONDecodeError("the answer is not a JSON object", str(completion)[:100], 0)
    if completion.get("error"):
        raise _sse.ProviderStreamError(completion["error"])
    choices = completion.get("choices") or []
    chunk: dict[str, Any] = {"usage": completion.get("usage"), "choices": []}
    if choices:
        message = choices[0].get("message") or {}
        calls = [
            {"index": index, **call} for index, call in enumerate(message.get("tool_calls") or ())
        ]
        delta = {"content": message.get("content"), "tool_calls": calls}
        chunk["choices"] = [{"delta": delta, "finish_reason": choices[0].get("finish_reason")}]
    sink.feed_openai(chunk)


# --- embeddings ------------------------------------------------------------------------------


def _embedding_request(
    route: NativeRoute, texts: Sequence[str], dimensions: int | None
) -> tuple[str, dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {"model": route.model, "input": list(texts)}
    if dimensions is not None:
        body["dimensions"] = dimensions
    return route.endpoint("embeddings"), body, route.auth_headers()


def _vectors(response: httpx.Response) -> list[list[float]]:
    if response.status_code >= 400:
        raise _transport.ProviderHTTPError(response.status_code, response.content, response.headers)
    data = sorted(response.json().get("data") or [], key=lambda item: item.get("index") or 0)
    return [[float(v) for v in item["embedding"]] for item in data]


async def aembed(
    route: NativeRoute, texts: Sequence[str], dimensions: int | None
) -> list[list[float]]:
    """Embeds one batch through `POST /embeddings`.

    Raises:
        LLMError: The provider refused or failed.
    """
    if needs_key(route):
        raise _stream.missing_key(route)
    url, body, headers = _embedding_request(route, texts, dimensions)
    client = await _transport.loop_client()
    try:
        return _vectors(await client.post(url, json=body, headers=headers))
    except Exception as exc:
        raise _stream.error_of(exc, route, streaming=False) from exc


def embed(route: NativeRoute, texts: Sequence[str], dimensions: int | None) -> list[list[float]]:
    """The blocking twin of `aembed`."""
    if needs_key(route):
        raise _stream.missing_key(route)
    url, body, headers = _embedding_request(route, texts, dimensions)
    try:
        return _vectors(_transport.sync_client().post(url, json=body, headers=headers))
    except Exception as exc:
        raise _stream.error_of(exc, route, streaming=False) from exc
