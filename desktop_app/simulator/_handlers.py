"""The API endpoints: chat completions (streamed or not) and embeddings."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from desktop_app.simulator import _openai
from desktop_app.simulator._behaviour import Reply, plan_reply
from desktop_app.simulator._config import (
    ModelSettings,
    ModelStringError,
    parse_model_string,
)
from desktop_app.simulator._emission import Emission, Outcome, Schedule, Ticker
from desktop_app.simulator._http import Connection, Request, response_head
from desktop_app.simulator._stats import SimulatorStats
from desktop_app.simulator._structured import forced_function_name

JsonObject = dict[str, Any]
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


@dataclass
class ServerState:
    """What the endpoints share with the server that owns them.

    Attributes:
        ticker: Paces every timed response.
        stats: Counters to update.
        defaults: The server-wide settings.
        spawn: Starts a task owned (and cancelled on stop) by the server.
        fail_counts: Failures already served per model string (for ``fail_times``).
    """

    ticker: Ticker
    stats: SimulatorStats
    defaults: ModelSettings
    spawn: Spawn
    fail_counts: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def next_id(self, prefix: str) -> str:
        """Return a fresh response id such as ``chatcmpl-sim000000000001``."""
        return f"{prefix}-sim{next(self._ids):012d}"


class RequestRejected(Exception):
    """A request answered with an OpenAI error instead of a result."""

    def __init__(self, status: int, body: JsonObject, headers: dict[str, str] | None = None
                 ) -> None:
        """Keep what to answer with."""
        super().__init__(body["error"]["message"])
        self.status = status
        self.body = body
        self.headers = headers or {}


def _invalid(message: str, param: str | None = None, status: int = 400) -> RequestRejected:
    return RequestRejected(status, _openai.error_body(message, "invalid_request_error", None,
                                                      param))


def settings_for(state: ServerState, body: JsonObject, request: Request) -> ModelSettings:
    """Read the model string of a request and apply its error faults.

    Raises:
        RequestRejected: The model string is wrong, or asks for an error now.
    """
    model = body.get("model")
    if not isinstance(model, str):
        raise _invalid("You must provide a model parameter.", "model")
    try:
        settings = parse_model_string(model, state.defaults)
    except ModelStringError as exc:
        raise _invalid(str(exc), "model") from None
    if settings.status is not None and _should_fail(state, model, settings):
        key = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        headers = {}
        if settings.retry_after is not None:
            headers["retry-after"] = f"{settings.retry_after:g}"
            headers["retry-after-ms"] = str(round(settings.retry_after * 1000))
        body = _openai.simulated_error(settings.status, key, echo_key=settings.echo_key)
        raise RequestRejected(settings.status, body, headers)
    return settings


def _should_fail(state: ServerState, model: str, settings: ModelSettings) -> bool:
    if settings.fail_times is None:
        return True
    failed = state.fail_counts.get(model, 0)
    if failed >= settings.fail_times:
        return False
    state.fail_counts[model] = failed + 1
    return True


async def chat_completions(state: ServerState, connection: Connection, request: Request,
                           body: JsonObject) -> bool:
    """Answer ``POST /v1/chat/completions``; return whether the connection can be reused.

    Raises:
        RequestRejected: The request is invalid or a fault asks for an error.
    """
    settings = settings_for(state, body, request)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _invalid("'messages' must be a non-empty array.", "messages")
    if not all(isinstance(m, dict) for m in messages):
        raise _invalid("Each message must be an object.", "messages")
    if not isinstance(body.get("tools") or [], list):
        raise _invalid("'tools' must be an array.", "tools")
    _check_tool_choice(body)
    streaming = body.get("stream") is True
    reply = plan_reply(body, settings)
    if settings.context is not None and reply.prompt_tokens > settings.context:
        raise _context_exceeded(settings.context, reply.prompt_tokens)
    if streaming:
        schedule = _stream_schedule(state, body, reply, settings)
    else:
        schedule = _whole_schedule(state, body, reply, settings, request.keep_alive)
    outcome = await _emit(state, connection, schedule, settings.hang,
                          request.keep_alive if streaming else None)
    if streaming and outcome is Outcome.COMPLETED:
        state.stats.streams_completed += 1
    elif streaming and outcome is Outcome.PEER_GONE:
        state.stats.streams_aborted_by_client += 1
    return request.keep_alive and outcome is Outcome.COMPLETED


def _context_exceeded(window: int, used: int) -> RequestRejected:
    """OpenAI's 400 for a request longer than the model's context window (``context=N``)."""
    return RequestRejected(400, _openai.error_body(
        f"This model's maximum context length is {window} tokens. However, your messages "
        f"resulted in {used} tokens. Please reduce the length of the messages.",
        "invalid_request_error", "context_length_exceeded", "messages"))


def _check_tool_choice(body: JsonObject) -> None:
    """Reject a ``tool_choice`` that forces a function the request does not offer.

    Raises:
        RequestRejected: With OpenAI's 400, naming the function.
    """
    forced = forced_function_name(body)
    if forced is None:
        return
    tools = body.get("tools") or []
    names = {t["function"].get("name") for t in tools
             if isinstance(t, dict) and isinstance(t.get("function"), dict)}
    if forced not in names:
        raise _invalid(f"Invalid value for 'tool_choice': function '{forced}' is not one of "
                       "the 'tools' of the request.", "tool_choice")


def _stream_schedule(state: ServerState, body: JsonObject, reply: Reply,
                     settings: ModelSettings) -> Schedule:
    encoder = _openai.ChunkEncoder(str(body["model"]), state.next_id("chatcmpl"),
                                   int(time.time()))
    if reply.tool_call is not None:
        parts = encoder.tool_call_events(reply)
    else:
        parts = [encoder.content(piece, i == 0) for i, piece in enumerate(reply.pieces)]
    if settings.malformed:
        parts.insert(1, encoder.malformed())
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    drop = None if settings.drop_after is None else min(settings.drop_after, len(parts))
    return Schedule(parts=parts, first_due=asyncio.get_running_loop().time() + settings.ttft,
                    interval=1.0 / settings.tps, trailer=encoder.closing(reply, include_usage),
                    chunked=True, drop_after=drop)


def _whole_schedule(state: ServerState, body: JsonObject, reply: Reply,
                    settings: ModelSettings, keep_alive: bool) -> Schedule:
    completion = _openai.chat_completion(reply, str(body["model"]), state.next_id("chatcmpl"),
                                         int(time.time()))
    payload = json.dumps(completion).encode()
    if settings.malformed:
        payload = payload[: len(payload) // 2]
    fields = {"content-type": "application/json", "content-length": str(len(payload))}
    generation = (reply.completion_tokens - 1) / settings.tps
    due = asyncio.get_running_loop().time() + settings.ttft + generation
    return Schedule(parts=[response_head(200, fields, keep_alive) + payload], first_due=due,
                    interval=0.0, drop_after=None if settings.drop_after is None else 0)


async def _emit(state: ServerState, connection: Connection, schedule: Schedule, hang: bool,
                stream_keep_alive: bool | None) -> Outcome:
    """Write a response on its schedule (or never, for ``hang``), watching for the client
    going away meanwhile.

    Args:
        state: The server's shared state.
        connection: Where to write.
        schedule: What to write and when.
        hang: Write nothing and wait for the client to give up.
        stream_keep_alive: For a stream, the keep-alive flag of its head; None otherwise.
    """
    emission = Emission(connection, state.ticker, schedule)
    watcher = state.spawn(connection.watch_peer())
    watcher.add_done_callback(lambda _: emission.peer_gone())
    try:
        if not hang:
            if stream_keep_alive is not None:
                connection.start_stream(stream_keep_alive)
            emission.start()
        return await emission.done
    finally:
        if not watcher.done():
            watcher.cancel()
            await asyncio.wait([watcher])
        if not watcher.cancelled() and watcher.exception() is not None:
            raise RuntimeError("watching the client failed") from watcher.exception()


emit = _emit
"""`_emit` for the other protocols' endpoints (`_anthropic`, `_gemini`)."""


def count_outcome(state: ServerState, outcome: Outcome) -> None:
    """Count how a stream ended (completed, or its client went away)."""
    if outcome is Outcome.COMPLETED:
        state.stats.streams_completed += 1
    elif outcome is Outcome.PEER_GONE:
        state.stats.streams_aborted_by_client += 1


async def embeddings(state: ServerState, connection: Connection, request: Request,
                     body: JsonObject) -> bool:
    """Answer ``POST /v1/embeddings``; return whether the connection can be reused.

    Raises:
        RequestRejected: The request is invalid or a fault asks for an error.
    """
    settings = settings_for(state, body, request)
    inputs = _embedding_inputs(body.get("input"))
    dimensions = body.get("dimensions", _openai.EMBEDDING_DIMENSIONS)
    if not isinstance(dimensions, int) or not 1 <= dimensions <= 4096:
        raise _invalid("'dimensions' must be an integer in 1..4096.", "dimensions")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise _invalid("'encoding_format' must be 'float' or 'base64'.", "encoding_format")
    if settings.hang:
        schedule = Schedule(parts=[], first_due=0.0, interval=0.0)
        await _emit(state, connection, schedule, True, None)
        return False
    result = _openai.embeddings(inputs, str(body["model"]), dimensions, encoding)
    connection.send_json(200, result, request.keep_alive)
    return request.keep_alive


def _embedding_inputs(value: object) -> list[str]:
    """Accept a string, a list of strings, or token arrays (hashed as their text).

    Raises:
        RequestRejected: The input is missing or of another shape.
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        if all(isinstance(v, str) for v in value) or all(isinstance(v, list) for v in value):
            return [v if isinstance(v, str) else json.dumps(v) for v in value]
        if all(isinstance(v, int) for v in value):
            return [json.dumps(value)]
    raise _invalid("'input' must be a string, an array of strings or of token arrays.",
                   "input")
