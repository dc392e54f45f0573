"""One streamed POST to a provider, its lines handed to a protocol's decoder (private to the
native protocol modules `_openai_protocol`, `_anthropic_protocol` and `_gemini_protocol`).

Every protocol shares the transports (`_http_transport`: `_http_lite` or the loop's
`httpx.AsyncClient`; one blocking `httpx.Client`), `ProviderHTTPError` for an error status
(read by `_provider_errors.classify`: the status, `Retry-After`, the provider's own message),
and the rules: the body is read to its end (the connection goes back to the pool, no
generator of httpx's is left suspended); leaving early (cancellation, an error) closes the
response and with it the connection at once; an error before any answer began is a
`connection` error, retried. What differs per protocol is only how a line or a whole JSON
answer becomes OpenAI-shaped chunks for the caller's sink: the `Decoder`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import httpx

from desktop_app.engine._http_lite import LiteResponse
from desktop_app.engine._http_transport import ProviderHTTPError, open_stream, sync_client, timeout
from desktop_app.engine._llm_routes import NativeRoute, key_envs_text, needs_key
from desktop_app.engine._provider_errors import classify
from desktop_app.engine.errors import LLMError


class Decoder(Protocol):
    """Turns one protocol's answer into OpenAI-shaped chunks for a sink."""

    def line(self, line: str) -> None:
        """Takes one line of the event stream."""

    def whole(self, answer: Any) -> None:
        """Takes an answer sent as one JSON document (a server that does not stream)."""

    def end(self) -> None:
        """The body ended (a protocol without an end event finishes here)."""


def missing_key(route: NativeRoute) -> LLMError:
    """The error of a call to a provider's own endpoint without any key."""
    return LLMError(
        "auth",
        f"no API key was given and {key_envs_text(route.provider)} is not set",
        provider=route.provider,
        model=route.model_string,
    )


def error_of(exc: Exception, route: NativeRoute, *, streaming: bool) -> LLMError:
    """The `LLMError` of a failed call (`classify`'s), `streaming` once an answer began."""
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


def _is_event_stream(response: httpx.Response | LiteResponse) -> bool:
    return "json" not in response.headers.get("content-type", "")


async def apost_stream(
    route: NativeRoute,
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    decoder: Decoder,
) -> None:
    """Makes one streamed call and feeds its lines to `decoder`.

    Raises:
        LLMError: The provider refused or failed, or the stream broke (kinds as litellm's).
    """
    if needs_key(route):
        raise missing_key(route)
    try:
        response = await open_stream(url, body, headers, request_timeout)
    except Exception as exc:
        raise error_of(exc, route, streaming=False) from exc
    # Held until the response is closed: dropped while suspended (an error in the loop
    # below), httpx's generators would be finalized with the stream still open, and their
    # cleanup awaits (outside a loop that does not track async generators: an error).
    lines = response.aiter_lines()
    try:
        if response.status_code >= 400:
            raise ProviderHTTPError(response.status_code, await response.aread(), response.headers)
        if not _is_event_stream(response):
            decoder.whole(json.loads(await response.aread()))
            return
        async for line in lines:  # to the body's end: the connection goes back to the pool
            decoder.line(line)
        decoder.end()
    except LLMError:
        raise
    except ProviderHTTPError as exc:
        raise error_of(exc, route, streaming=False) from exc
    except Exception as exc:
        raise error_of(exc, route, streaming=True) from exc
    finally:
        await response.aclose()


def post_stream(
    route: NativeRoute,
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    decoder: Decoder,
    cancelled: Callable[[], bool] | None,
) -> None:
    """The blocking twin of `apost_stream`; polls `cancelled` between lines and, when it
    returns True, closes the stream and raises `asyncio.CancelledError`."""
    if needs_key(route):
        raise missing_key(route)
    with (
        _errors_of(route) as state,
        sync_client().stream(
            "POST", url, json=body, headers=dict(headers), timeout=timeout(request_timeout)
        ) as response,
    ):
        if response.status_code >= 400:
            raise ProviderHTTPError(response.status_code, response.read(), response.headers)
        if not _is_event_stream(response):
            decoder.whole(json.loads(response.read()))
            return
        state["streaming"] = True
        for line in response.iter_lines():
            if cancelled is not None and cancelled():
                raise asyncio.CancelledError
            decoder.line(line)
        decoder.end()


@contextmanager
def _errors_of(route: NativeRoute) -> Iterator[dict[str, bool]]:
    state = {"streaming": False}
    try:
        yield state
    except LLMError:
        raise
    except ProviderHTTPError as exc:
        raise error_of(exc, route, streaming=False) from exc
    except Exception as exc:
        raise error_of(exc, route, streaming=state["streaming"]) from exc


def text_chunk(text: str) -> dict[str, Any]:
    """An OpenAI chunk carrying a piece of text."""
    return {"choices": [{"delta": {"content": text}}]}


def tool_chunk(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    """An OpenAI chunk carrying (a piece of) a tool call."""
    call: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id is not None:
        call["id"] = call_id
    if name is not None:
        call["function"]["name"] = name
    return {"choices": [{"delta": {"tool_calls": [call]}}]}


def finish_chunk(finish_reason: str, usage: Mapping[str, Any] | None) -> dict[str, Any]:
    """The last OpenAI chunk: the finish reason and the usage."""
    return {"choices": [{"delta": {}, "finish_reason": finish_reason}], "usage": usage}


def openai_usage(prompt: int, completion: int, cached: int) -> dict[str, Any]:
    """Usage in OpenAI's shape (what `_llm_result.Accumulator` reads)."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
