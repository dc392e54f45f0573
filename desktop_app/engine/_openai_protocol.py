"""OpenAI's chat-completions protocol, spoken over httpx without litellm (private to `llm.py`).

Serves OpenAI and every OpenAI-compatible endpoint of `_llm_routes.OPENAI_PROTOCOL` (Azure
OpenAI, Groq, OpenRouter, LM Studio, vLLM, Ollama's `/v1`, the project's simulator). Why: `import litellm`
takes 6-8 s here and each `litellm.acompletion` spends 3-4 ms of CPU on request setup and
pricing before the first byte; this module costs the import of httpx (0.4 s) and builds the
request as one dict (benchmarks/README.md, "Native OpenAI-protocol client").

- Streamed calls on a loop go through `_http_lite` (a small HTTP/1.1 client on asyncio
  streams: about a third of httpx's CPU per call, every connection kept alive) wherever it
  serves the URL, else through one `httpx.AsyncClient` per event loop (proxies from the
  environment, `CREWDESK_HTTP_CLIENT=httpx`); both are closed when the loop shuts down its
  async generators (`asyncio.run`, pytest's loops). One `httpx.Client` for the blocking path
  and embeddings, shared by every thread, closed when the interpreter exits.
- Requests are streamed with `stream_options.include_usage`; SSE lines are read and parsed in
  place (`_litellm_sse.parse_line`) into the caller's `ChunkSink`, which assembles text, tool
  calls by index and usage. A server that answers with one JSON body is read as one chunk.
- Leaving the `async with` early (cancellation, an error) closes the response, and with it the
  connection of an unfinished stream, at once.
- Failures become the `LLMError`s `_provider_errors.classify` makes for litellm's exceptions:
  the status, the provider's own message, `Retry-After`. Retries stay in `llm.py`.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import sys
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import httpx

from desktop_app.engine import _http_lite
from desktop_app.engine import _litellm_sse as _sse
from desktop_app.engine._llm_routes import NativeRoute, key_env_of, needs_key
from desktop_app.engine._provider_errors import classify
from desktop_app.engine.errors import LLMError

DEFAULT_TIMEOUT = 600.0
"""Seconds to wait on one read or connect when the LLM sets no timeout (litellm's default)."""

_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=30)
"""No cap on open connections (`_litellm_pacing.provider_limit` caps requests per provider);
20 kept alive between calls, httpx's default. More is slower, not faster: httpcore 1.0's pool
walks every connection for each idle one on every request and response (quadratic), and with
200 kept-alive connections 200 streamed calls at once took 2-23 s instead of 1 s here."""

DROPPED_OPTIONS = frozenset(
    {"num_retries", "drop_params", "metadata", "api_base", "base_url", "api_version"}
)
"""litellm's bookkeeping options that mean nothing to the provider: never sent."""


class ChunkSink(Protocol):
    """What reads the answer: one OpenAI chunk (parsed JSON) at a time."""

    def feed_openai(self, chunk: Any) -> None:
        """Takes one chunk as OpenAI's JSON has it."""


class ProviderHTTPError(Exception):
    """The provider answered with an error status (read by `classify`: status, headers, message)."""

    def __init__(self, status_code: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.status_code = status_code
        self.headers = headers
        text = body.decode("utf-8", "replace").strip()
        self.message = text or f"HTTP {status_code}"
        super().__init__(self.message)


# --- the request -----------------------------------------------------------------------------


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


def _timeout(seconds: float | None) -> httpx.Timeout:
    return httpx.Timeout(seconds if seconds is not None else DEFAULT_TIMEOUT)


def _missing_key(route: NativeRoute) -> LLMError:
    return LLMError(
        "auth",
        f"no API key was given and {key_env_of(route.provider)} is not set",
        provider=route.provider,
        model=route.model_string,
    )


# --- the async path --------------------------------------------------------------------------

_loop_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
] = weakref.WeakKeyDictionary()


async def _close_with_loop(
    client: httpx.AsyncClient, restore_hooks: Callable[[], None] | None
) -> AsyncGenerator[None, None]:
    """Suspended for the loop's life; `loop.shutdown_asyncgens()` resumes it to close `client`.

    A loop closed without that step keeps its entry (and open connections) until the process
    ends; `asyncio.run`, `asyncio.Runner` and pytest-asyncio's loops all take it.
    """
    try:
        yield
    finally:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # finalized outside any loop: nothing can be awaited
            loop = None
        if loop is not None:
            _loop_clients.pop(loop, None)
            await client.aclose()
            await _http_lite.close_loop_pool(loop)
        if restore_hooks is not None:
            restore_hooks()


def _track_async_generators(loop: asyncio.AbstractEventLoop) -> Callable[[], None] | None:
    """Lets `loop` track async generators when it does not itself, and returns what puts the
    thread's previous hooks back (run when the loop shuts its generators down).

    qasync's loop runs Qt's event loop instead of asyncio's `run_forever`, which is what
    installs these hooks; without them `shutdown_asyncgens` would never close the loop's
    client (its pooled connections would be unclosed transports once the loop is closed).
    """
    previous = sys.get_asyncgen_hooks()
    if getattr(previous.firstiter, "__self__", None) is loop:
        return None
    firstiter = getattr(loop, "_asyncgen_firstiter_hook", None)
    finalizer = getattr(loop, "_asyncgen_finalizer_hook", None)
    if firstiter is None or finalizer is None:
        return None
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    return lambda: sys.set_asyncgen_hooks(*previous)


async def loop_client() -> httpx.AsyncClient:
    """The running loop's shared client (made on first use)."""
    loop = asyncio.get_running_loop()
    entry = _loop_clients.get(loop)
    if entry is None:
        restore_hooks = _track_async_generators(loop)
        client = httpx.AsyncClient(limits=_LIMITS, timeout=DEFAULT_TIMEOUT)
        closer = _close_with_loop(client, restore_hooks)
        _loop_clients[loop] = entry = (client, closer)
        await closer.__anext__()  # the loop now tracks it (its first-iteration hook)
    return entry[0]


async def open_stream(
    url: str, body: Mapping[str, Any], headers: Mapping[str, str], request_timeout: float | None
) -> httpx.Response | _http_lite.LiteResponse:
    """POSTs `body` as JSON and returns the response once its head is read, its body unread.

    Through `_http_lite` where it serves the URL (no proxy from the environment, http or
    https, `CREWDESK_HTTP_CLIENT` not `httpx`), else through the loop's httpx client; either
    way the caller reads `aiter_lines()` or `aread()` and must `aclose()` it.

    Raises:
        httpx.HTTPError: Connecting, sending or reading the head failed.
    """
    client = await loop_client()  # also makes sure the loop's pool is closed with it
    if _http_lite.serves(url):
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        seconds = request_timeout if request_timeout is not None else DEFAULT_TIMEOUT
        return await _http_lite.post_stream(url, data.encode(), headers, seconds)
    request = client.build_request(
        "POST", url, json=body, headers=headers, timeout=_timeout(request_timeout)
    )
    return await client.send(request, stream=True)


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
    if needs_key(route):
        raise _missing_key(route)
    try:
        response = await open_stream(_url(route), body, headers, request_timeout)
    except Exception as exc:
        raise _error(exc, route, streaming=False) from exc
    # Held until the response is closed: dropped while suspended (an error in the loop
    # below), httpx's generators would be finalized with the stream still open, and their
    # cleanup awaits (outside a loop that does not track async generators: an error).
    lines = response.aiter_lines()
    try:
        if response.status_code >= 400:
            raise ProviderHTTPError(response.status_code, await response.aread(), response.headers)
        if not _is_event_stream(response):
            feed_whole(json.loads(await response.aread()), sink)
            return
        done = False
        # Read to the body's end, past `[DONE]`: the connection then goes back to the pool,
        # and no generator of httpx's is left suspended.
        async for line in lines:
            if done:
                continue
            chunk = _sse.parse_line(line)
            if chunk is _sse.DONE:
                done = True
            elif chunk is not None:
                sink.feed_openai(chunk)
    except LLMError:
        raise
    except ProviderHTTPError as exc:
        raise _error(exc, route, streaming=False) from exc
    except Exception as exc:
        raise _error(exc, route, streaming=True) from exc
    finally:
        await response.aclose()


# --- the blocking path -----------------------------------------------------------------------

_sync_client: httpx.Client | None = None
_sync_lock = threading.Lock()


def sync_client() -> httpx.Client:
    """The process's shared blocking client (thread-safe), closed at exit (`_close_sync_client`)."""
    global _sync_client
    with _sync_lock:
        if _sync_client is None:
            _sync_client = httpx.Client(limits=_LIMITS, timeout=DEFAULT_TIMEOUT)
            atexit.register(_close_sync_client)
        return _sync_client


def _close_sync_client() -> None:
    """Closes the blocking client's pooled connections. An error answer (HTTP 400) is read to
    its end, so its connection goes back to the pool; left there, it was an unclosed socket
    when the interpreter exited (a `ResourceWarning`)."""
    global _sync_client
    with _sync_lock:
        client, _sync_client = _sync_client, None
    if client is not None:
        client.close()


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
    if needs_key(route):
        raise _missing_key(route)
    with (
        _errors_of(route) as state,
        sync_client().stream(
            "POST", _url(route), json=body, headers=dict(headers), timeout=_timeout(request_timeout)
        ) as response,
    ):
        if response.status_code >= 400:
            raise ProviderHTTPError(response.status_code, response.read(), response.headers)
        if not _is_event_stream(response):
            feed_whole(json.loads(response.read()), sink)
            return
        state["streaming"] = True
        done = False
        for line in response.iter_lines():  # to the body's end, as `astream`
            if cancelled is not None and cancelled():
                raise asyncio.CancelledError
            if done:
                continue
            chunk = _sse.parse_line(line)
            if chunk is _sse.DONE:
                done = True
            elif chunk is not None:
                sink.feed_openai(chunk)


@contextmanager
def _errors_of(route: NativeRoute) -> Iterator[dict[str, bool]]:
    state = {"streaming": False}
    try:
        yield state
    except LLMError:
        raise
    except ProviderHTTPError as exc:
        raise _error(exc, route, streaming=False) from exc
    except Exception as exc:
        raise _error(exc, route, streaming=state["streaming"]) from exc


# --- shared ----------------------------------------------------------------------------------


def _error(exc: Exception, route: NativeRoute, *, streaming: bool) -> LLMError:
    error = classify(exc, provider=route.provider, model=route.model_string, streaming=streaming)
    if not streaming and error.kind == "stream_dropped":
        # A kept-alive connection the server closed before answering (httpx's
        # RemoteProtocolError, "Server disconnected"): no answer began, so it may be retried,
        # as the openai SDK's APIConnectionError is.
        return LLMError(
            "connection",
            error.provider_message,
            provider=error.provider,
            model=error.model,
            status_code=error.status_code,
        )
    return error


def _is_event_stream(response: httpx.Response | _http_lite.LiteResponse) -> bool:
    return "json" not in response.headers.get("content-type", "")


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
        raise ProviderHTTPError(response.status_code, response.content, response.headers)
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
        raise _missing_key(route)
    url, body, headers = _embedding_request(route, texts, dimensions)
    client = await loop_client()
    try:
        return _vectors(await client.post(url, json=body, headers=headers))
    except Exception as exc:
        raise _error(exc, route, streaming=False) from exc


def embed(route: NativeRoute, texts: Sequence[str], dimensions: int | None) -> list[list[float]]:
    """The blocking twin of `aembed`."""
    if needs_key(route):
        raise _missing_key(route)
    url, body, headers = _embedding_request(route, texts, dimensions)
    try:
        return _vectors(sync_client().post(url, json=body, headers=headers))
    except Exception as exc:
        raise _error(exc, route, streaming=False) from exc
