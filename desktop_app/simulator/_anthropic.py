"""Anthropic's Messages API: ``POST /v1/messages``, streamed as Anthropic's SSE events or not.

The request is read into the OpenAI chat shape the fake model already understands (system
blocks, ``tool_use`` and ``tool_result`` blocks, tools with ``input_schema``, ``tool_choice``
``auto``/``any``/``none``/``tool``), so every scripting feature works the same: ``sim-call:``
directives, tool calls when tools are offered, a forced tool answered with arguments that fit
its schema (how litellm and the engine ask Claude for structured output), the ``sim:`` model
string's faults (``status``, ``retry_after``, ``fail_times``, ``drop_after``, ``hang``,
``malformed``, ``context``). Errors use Anthropic's ``{"type": "error", "error": {...}}``
shape and types (``authentication_error`` 401, ``rate_limit_error`` 429, ``overloaded_error``
529, ``invalid_request_error`` 400 with "prompt is too long" for ``context``). Usage:
``input_tokens`` = words in the request, ``output_tokens`` = streamed pieces.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from desktop_app.simulator import _handlers
from desktop_app.simulator._behaviour import Reply, plan_reply
from desktop_app.simulator._config import ModelSettings
from desktop_app.simulator._emission import Outcome, Schedule
from desktop_app.simulator._handlers import RequestRejected, ServerState
from desktop_app.simulator._http import Connection, Request, response_head

JsonObject = dict[str, Any]

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (simulated)."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified "
          "resource (simulated)."),
    404: ("not_found_error", "model: not found (simulated)"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes "
          "(simulated)."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate "
          "limit (simulated)."),
    500: ("api_error", "Internal server error (simulated)."),
    529: ("overloaded_error", "Overloaded (simulated)."),
}


def error_body(kind: str, message: str) -> JsonObject:
    """Anthropic's error object."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def _invalid(message: str) -> RequestRejected:
    return RequestRejected(400, error_body("invalid_request_error", message))


def _as_anthropic(rejected: RequestRejected) -> RequestRejected:
    """An OpenAI-shaped rejection of the shared code, in Anthropic's shape and words."""
    error = rejected.body["error"]
    if error.get("param") is not None or rejected.status not in _ERRORS:
        kind = _ERRORS.get(rejected.status, ("api_error", ""))[0]
        return RequestRejected(rejected.status, error_body(kind, error["message"]),
                               rejected.headers)
    kind, message = _ERRORS[rejected.status]
    return RequestRejected(rejected.status, error_body(kind, message), rejected.headers)


# --- the request as a chat ---------------------------------------------------------------


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def _turn(message: JsonObject) -> list[JsonObject]:
    """One Anthropic turn as OpenAI messages (tool results become ``tool`` messages)."""
    role, content = message.get("role"), message.get("content")
    blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
    out: list[JsonObject] = []
    if role == "assistant":
        calls = [{"id": b.get("id"), "type": "function",
                  "function": {"name": b.get("name"), "arguments": json.dumps(b.get("input"))}}
                 for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
        out.append({"role": "assistant", "content": _text_of(blocks), "tool_calls": calls})
        return out
    for block in blocks:
        if isinstance(block, dict) and block.get("type") == "tool_result":
            out.append({"role": "tool", "tool_call_id": block.get("tool_use_id"),
                        "content": _text_of(block.get("content"))})
    text = _text_of(blocks)
    if text or not out:
        out.append({"role": "user", "content": text})
    return out


def _tool_choice(choice: object) -> object:
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return {"any": "required", "none": "none", "auto": "auto"}.get(str(kind))


def to_chat(body: JsonObject) -> JsonObject:
    """An Anthropic request as the OpenAI chat request the fake model reads.

    Raises:
        RequestRejected: The request breaks the Messages API's rules.
    """
    if not isinstance(body.get("model"), str):
        raise _invalid("model: Field required")
    if not isinstance(body.get("max_tokens"), int):
        raise _invalid("max_tokens: Field required")
    turns = body.get("messages")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns):
        raise _invalid("messages: at least one message is required")
    if turns[0].get("role") != "user":
        raise _invalid("messages: the first message must use the \"user\" role")
    system = _text_of(body.get("system"))
    messages = [{"role": "system", "content": system}] if system else []
    for turn in turns:
        messages.extend(_turn(turn))
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise _invalid("tools: Input should be a valid list")
    chat: JsonObject = {"model": body["model"], "messages": messages}
    functions = [{"type": "function", "function": {
        "name": t.get("name"), "description": t.get("description", ""),
        "parameters": t.get("input_schema") or {}}} for t in tools if isinstance(t, dict)]
    if functions:
        chat["tools"] = functions
    choice = _tool_choice(body.get("tool_choice"))
    if choice is not None:
        chat["tool_choice"] = choice
    return chat


# --- the answer ------------------------------------------------------------------------------


def _event(kind: str, data: JsonObject) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def _usage(reply: Reply) -> JsonObject:
    return {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens}


def _stop_reason(reply: Reply) -> str:
    return "tool_use" if reply.tool_call is not None else "end_turn"


def message(reply: Reply, model: str, message_id: str) -> JsonObject:
    """A non-streamed answer."""
    content: list[JsonObject] = []
    if reply.tool_call is not None:
        call = reply.tool_call
        content.append({"type": "tool_use", "id": call.id, "name": call.name,
                        "input": json.loads(call.arguments or "{}")})
    else:
        content.append({"type": "text", "text": reply.text})
    return {"id": message_id, "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": _stop_reason(reply), "stop_sequence": None,
            "usage": _usage(reply)}


def stream_parts(reply: Reply, model: str, message_id: str) -> tuple[list[bytes], bytes]:
    """The SSE events of a streamed answer: one part per token, and the closing events."""
    start = _event("message_start", {"message": {
        "id": message_id, "type": "message", "role": "assistant", "model": model,
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": 1}}})
    if reply.tool_call is not None:
        call = reply.tool_call
        opening = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p}
                  for p in call.argument_pieces()]
        parts = [start + _event("content_block_start", {"index": 0, "content_block": opening})]
    else:
        deltas = [{"type": "text_delta", "text": piece} for piece in reply.pieces]
        parts = [start + _event("content_block_start", {
            "index": 0, "content_block": {"type": "text", "text": ""}})]
    events = [_event("content_block_delta", {"index": 0, "delta": d}) for d in deltas]
    if reply.tool_call is None and events:
        parts[0] += events.pop(0)
    parts.extend(events)
    trailer = (_event("content_block_stop", {"index": 0})
               + _event("message_delta", {"delta": {"stop_reason": _stop_reason(reply),
                                                    "stop_sequence": None},
                                          "usage": {"output_tokens": reply.completion_tokens}})
               + _event("message_stop", {}))
    return parts, trailer


_MALFORMED = b'event: content_block_delta\ndata: {"type": "content_block_delta", "oops\n\n'


def _stream_schedule(reply: Reply, model: str, message_id: str, settings: ModelSettings
                     ) -> Schedule:
    parts, trailer = stream_parts(reply, model, message_id)
    if settings.malformed:
        parts.insert(1, _MALFORMED)
    drop = None if settings.drop_after is None else min(settings.drop_after, len(parts))
    return Schedule(parts=parts, first_due=asyncio.get_running_loop().time() + settings.ttft,
                    interval=1.0 / settings.tps, trailer=trailer, chunked=True,
                    drop_after=drop)


def _whole_schedule(reply: Reply, model: str, message_id: str, settings: ModelSettings,
                    keep_alive: bool) -> Schedule:
    payload = json.dumps(message(reply, model, message_id)).encode()
    if settings.malformed:
        payload = payload[: len(payload) // 2]
    fields = {"content-type": "application/json", "content-length": str(len(payload))}
    due = asyncio.get_running_loop().time() + settings.ttft
    due += (reply.completion_tokens - 1) / settings.tps
    return Schedule(parts=[response_head(200, fields, keep_alive) + payload], first_due=due,
                    interval=0.0, drop_after=None if settings.drop_after is None else 0)


async def messages(state: ServerState, connection: Connection, request: Request,
                   body: JsonObject) -> bool:
    """Answer ``POST /v1/messages``; return whether the connection can be reused.

    Raises:
        RequestRejected: The request is invalid or a fault asks for an error.
    """
    chat = to_chat(body)
    try:
        settings = _handlers.settings_for(state, chat, request)
    except RequestRejected as rejected:
        raise _as_anthropic(rejected) from None
    reply = plan_reply(chat, settings)
    if settings.context is not None and reply.prompt_tokens > settings.context:
        raise _invalid(f"prompt is too long: {reply.prompt_tokens} tokens > "
                       f"{settings.context} maximum")
    model, message_id = str(body["model"]), state.next_id("msg")
    streaming = body.get("stream") is True
    if streaming:
        schedule = _stream_schedule(reply, model, message_id, settings)
    else:
        schedule = _whole_schedule(reply, model, message_id, settings, request.keep_alive)
    outcome = await _handlers.emit(state, connection, schedule, settings.hang,
                                   request.keep_alive if streaming else None)
    if streaming:
        _handlers.count_outcome(state, outcome)
    return request.keep_alive and outcome is Outcome.COMPLETED
