"""Google's Gemini API: ``POST <prefix>/models/<model>:generateContent`` and
``:streamGenerateContent`` (``?alt=sse`` for server-sent events, else a JSON array).

Any prefix is served (``/v1beta``, ``/v1``, none), so a client pointed at the simulator's
root or base URL both work. The request is read into the OpenAI chat shape the fake model
understands (``systemInstruction``, ``contents`` with ``user``/``model`` roles, ``functionCall``
and ``functionResponse`` parts, ``functionDeclarations``, ``toolConfig`` modes ``AUTO``/``ANY``/
``NONE`` and ``allowedFunctionNames``, ``generationConfig.responseSchema`` with
``responseMimeType: application/json``), so scripting and faults work as on the other
endpoints; the model string is the path's. Errors use Google's ``{"error": {"code",
"message", "status"}}``. Usage: ``usageMetadata`` with prompt words and streamed pieces.
A function call arrives whole in one event, as Gemini sends it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from desktop_app.simulator import _handlers
from desktop_app.simulator._behaviour import Reply, plan_reply
from desktop_app.simulator._config import ModelSettings
from desktop_app.simulator._emission import Outcome, Schedule
from desktop_app.simulator._handlers import RequestRejected, ServerState
from desktop_app.simulator._http import Connection, Request, response_head

JsonObject = dict[str, Any]
Handler = Callable[[ServerState, Connection, Request, JsonObject], Awaitable[bool]]

_PATH = re.compile(r"^(?:/[^/:]+)*/models/(?P<model>[^/]+):(?P<method>generateContent|"
                   r"streamGenerateContent)$")

_STATUSES: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument (simulated)."),
    401: ("UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
    403: ("PERMISSION_DENIED", "The caller does not have permission (simulated)."),
    404: ("NOT_FOUND", "models/sim is not found for API version v1beta (simulated)."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota) (simulated)."),
    500: ("INTERNAL", "An internal error has occurred (simulated)."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later (simulated)."),
}


def handler_for(path: str) -> Handler | None:
    """The handler of a Gemini path, or None for any other path."""
    return generate if _PATH.match(path) else None


def error_body(status: int, message: str) -> JsonObject:
    """Google's error object."""
    name = _STATUSES.get(status, ("INTERNAL" if status >= 500 else "INVALID_ARGUMENT", ""))[0]
    return {"error": {"code": status, "message": message, "status": name}}


def _as_gemini(rejected: RequestRejected) -> RequestRejected:
    """An OpenAI-shaped rejection of the shared code in Google's shape; a 429 with
    ``retry_after`` also says it as Google does, in a ``RetryInfo`` detail."""
    error = rejected.body["error"]
    message = error["message"]
    if error.get("param") is None and rejected.status in _STATUSES:
        message = _STATUSES[rejected.status][1]
    body = error_body(rejected.status, message)
    delay = rejected.headers.get("retry-after")
    if delay is not None:
        body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                     "retryDelay": f"{delay}s"}]
    return RequestRejected(rejected.status, body, rejected.headers)


def _invalid(message: str) -> RequestRejected:
    return RequestRejected(400, error_body(400, message))


# --- the request as a chat ---------------------------------------------------------------


def _texts(parts: object) -> str:
    if not isinstance(parts, list):
        return ""
    return "\n".join(p["text"] for p in parts if isinstance(p, dict)
                     and isinstance(p.get("text"), str))


def _content(content: JsonObject) -> list[JsonObject]:
    found = content.get("parts")
    parts: list[Any] = found if isinstance(found, list) else []
    if content.get("role") == "model":
        calls = [{"id": f"call_{i}", "type": "function", "function": {
            "name": p["functionCall"].get("name"),
            "arguments": json.dumps(p["functionCall"].get("args") or {})}}
            for i, p in enumerate(parts) if isinstance(p, dict) and "functionCall" in p]
        return [{"role": "assistant", "content": _texts(parts), "tool_calls": calls}]
    out: list[JsonObject] = [
        {"role": "tool", "tool_call_id": p["functionResponse"].get("name"),
         "content": _response_text(p["functionResponse"].get("response"))}
        for p in parts if isinstance(p, dict) and isinstance(p.get("functionResponse"), dict)]
    text = _texts(parts)
    if text or not out:
        out.append({"role": "user", "content": text})
    return out


def _response_text(response: object) -> str:
    content = response.get("content") if isinstance(response, dict) else None
    if isinstance(content, str):
        return content
    return json.dumps(response)


def _lower_types(schema: object) -> object:
    """Gemini's schemas may spell types in capitals (``OBJECT``); the fake model reads JSON
    schema's lower case."""
    if isinstance(schema, dict):
        return {k: (v.lower() if k == "type" and isinstance(v, str) else _lower_types(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_lower_types(item) for item in schema]
    return schema


def _tools(body: JsonObject) -> list[JsonObject]:
    functions: list[JsonObject] = []
    for tool in body.get("tools") or []:
        for declaration in (tool.get("functionDeclarations") or []) if isinstance(tool, dict) else []:
            parameters = declaration.get("parameters") or declaration.get("parametersJsonSchema")
            functions.append({"type": "function", "function": {
                "name": declaration.get("name"), "description": declaration.get("description", ""),
                "parameters": _lower_types(parameters or {"type": "object", "properties": {}})}})
    return functions


def _tool_choice(body: JsonObject) -> object:
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode, allowed = config.get("mode"), config.get("allowedFunctionNames")
    if mode == "ANY" and isinstance(allowed, list) and len(allowed) == 1:
        return {"type": "function", "function": {"name": allowed[0]}}
    return {"ANY": "required", "NONE": "none", "AUTO": "auto"}.get(str(mode))


def to_chat(model: str, body: JsonObject) -> JsonObject:
    """A Gemini request as the OpenAI chat request the fake model reads.

    Raises:
        RequestRejected: The request has no contents.
    """
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise _invalid("* GenerateContentRequest.contents: contents is not specified")
    system = _texts((body.get("systemInstruction") or {}).get("parts"))
    messages = [{"role": "system", "content": system}] if system else []
    for content in contents:
        if isinstance(content, dict):
            messages.extend(_content(content))
    chat: JsonObject = {"model": model, "messages": messages}
    tools = _tools(body)
    if tools:
        chat["tools"] = tools
    choice = _tool_choice(body)
    if choice is not None:
        chat["tool_choice"] = choice
    config = body.get("generationConfig") or {}
    if config.get("responseMimeType") == "application/json":
        schema = config.get("responseSchema") or config.get("responseJsonSchema")
        chat["response_format"] = ({"type": "json_schema", "json_schema": {
            "schema": _lower_types(schema)}} if schema else {"type": "json_object"})
    return chat


# --- the answer ------------------------------------------------------------------------------


def _usage(reply: Reply) -> JsonObject:
    return {"promptTokenCount": reply.prompt_tokens,
            "candidatesTokenCount": reply.completion_tokens,
            "totalTokenCount": reply.prompt_tokens + reply.completion_tokens}


def _response(model: str, parts: list[JsonObject], finish: bool, usage: JsonObject | None
              ) -> JsonObject:
    candidate: JsonObject = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = "STOP"
    response: JsonObject = {"candidates": [candidate], "modelVersion": model}
    if usage is not None:
        response["usageMetadata"] = usage
    return response


def _pieces(reply: Reply) -> list[list[JsonObject]]:
    """The parts of each event: the whole function call in one, or one text piece each."""
    call = reply.tool_call
    if call is not None:
        return [[{"functionCall": {"name": call.name, "args": json.loads(call.arguments or "{}")}}]]
    return [[{"text": piece}] for piece in reply.pieces]


def responses(reply: Reply, model: str) -> list[JsonObject]:
    """The responses of a streamed answer; the last carries the finish reason and usage."""
    pieces = _pieces(reply)
    usage = _usage(reply)
    return [_response(model, parts, i == len(pieces) - 1, usage) for i, parts in enumerate(pieces)]


def whole(reply: Reply, model: str) -> JsonObject:
    """A non-streamed answer (``:generateContent``)."""
    parts = [part for event in _pieces(reply) for part in event]
    if reply.tool_call is None:
        parts = [{"text": reply.text}]
    return _response(model, parts, True, _usage(reply))


async def generate(state: ServerState, connection: Connection, request: Request,
                   body: JsonObject) -> bool:
    """Answer ``:generateContent`` and ``:streamGenerateContent``; return whether the
    connection can be reused.

    Raises:
        RequestRejected: The request is invalid or a fault asks for an error.
    """
    match = _PATH.match(request.path)
    assert match is not None
    model, method = match.group("model"), match.group("method")
    chat = to_chat(model, body)
    try:
        settings = _handlers.settings_for(state, chat, request)
    except RequestRejected as rejected:
        raise _as_gemini(rejected) from None
    reply = plan_reply(chat, settings)
    if settings.context is not None and reply.prompt_tokens > settings.context:
        raise _invalid(f"The input token count ({reply.prompt_tokens}) exceeds the maximum "
                       f"number of tokens allowed ({settings.context}).")
    streaming = method == "streamGenerateContent" and "alt=sse" in request.query
    schedule = (_sse_schedule(reply, model, settings) if streaming
                else _json_schedule(reply, model, method, settings, request.keep_alive))
    outcome = await _handlers.emit(state, connection, schedule, settings.hang,
                                   request.keep_alive if streaming else None)
    if streaming:
        _handlers.count_outcome(state, outcome)
    return request.keep_alive and outcome is Outcome.COMPLETED


def _sse_schedule(reply: Reply, model: str, settings: ModelSettings) -> Schedule:
    parts = [f"data: {json.dumps(r)}\r\n\r\n".encode() for r in responses(reply, model)]
    if settings.malformed:
        parts.insert(1, b'data: {"candidates": [{"content": \r\n\r\n')
    drop = None if settings.drop_after is None else min(settings.drop_after, len(parts))
    loop = asyncio.get_running_loop()
    return Schedule(parts=parts, first_due=loop.time() + settings.ttft,
                    interval=1.0 / settings.tps, chunked=True, drop_after=drop)


def _json_schedule(reply: Reply, model: str, method: str, settings: ModelSettings,
                   keep_alive: bool
                   ) -> Schedule:
    answer: object = whole(reply, model)
    if method == "streamGenerateContent":
        answer = responses(reply, model)
    payload = json.dumps(answer).encode()
    if settings.malformed:
        payload = payload[: len(payload) // 2]
    fields = {"content-type": "application/json", "content-length": str(len(payload))}
    due = asyncio.get_running_loop().time() + settings.ttft
    due += (reply.completion_tokens - 1) / settings.tps
    return Schedule(parts=[response_head(200, fields, keep_alive) + payload], first_due=due,
                    interval=0.0, drop_after=None if settings.drop_after is None else 0)
