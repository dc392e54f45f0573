"""Anthropic's Messages API spoken over httpx without litellm (private to `llm.py`).

Serves `anthropic/...` and bare `claude-*` model strings (`_llm_routes.OTHER_PROTOCOLS`). Why:
litellm's import takes 6-8 s here; this module costs httpx's, and the request is one dict
(benchmarks/README.md, "Native Anthropic and Gemini clients").

- The request: `POST <base>/v1/messages` with `x-api-key` and `anthropic-version: 2023-06-01`.
  The engine's messages are OpenAI-shaped; system messages become `system`, assistant tool
  calls `tool_use` blocks, `tool` messages `tool_result` blocks of a user turn, and turns of
  one role in a row are merged (tool results of parallel calls share one turn). Tools become
  `{name, description, input_schema}`. `max_tokens` is required: the LLM's, else the model's
  largest from litellm's price file, else 32,000 (CrewAI 1.15's default).
- Structured output: Anthropic has no `json_schema` response format. As litellm does, the
  schema becomes a tool `json_tool_call` the model is forced to call, and that call's
  arguments are streamed back as the answer's text (finish reason `stop`), so the engine
  reads and validates them as any JSON answer (`_structured`). With tools on the same call
  the schema is not sent: the prompt carries it (the engine's text fallback).
- The stream: `message_start` (input usage), `content_block_start/delta/stop` (`text_delta`,
  `input_json_delta`), `message_delta` (stop reason, output usage), `message_stop`, read into
  the same OpenAI-shaped chunks `_openai_protocol` feeds the caller's sink. An `error` event
  mid-stream keeps its kind (`overloaded_error` is a 529, a server error).
- Failures go through `_provider_errors.classify` (`_native_stream`), so kinds and messages are
  the ones litellm's path gives: 401 auth, 429 rate_limit with `Retry-After`, 529 server,
  400 bad_request ("prompt is too long" for the context window).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from desktop_app.engine import _native_stream as _http
from desktop_app.engine import _price_table
from desktop_app.engine._litellm_sse import ProviderStreamError
from desktop_app.engine._llm_routes import NativeRoute
from desktop_app.engine._openai_protocol import DROPPED_OPTIONS, ChunkSink
from desktop_app.engine._openai_protocol import response_format as openai_response_format

ANTHROPIC_VERSION = "2023-06-01"
JSON_TOOL = "json_tool_call"
"""The forced tool that carries a structured answer (litellm's name for it)."""

DEFAULT_MAX_TOKENS = 32_000
"""`max_tokens` when neither the LLM nor the price file gives one (CrewAI 1.15's default)."""

UNSUPPORTED_OPTIONS = frozenset(
    {
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "n",
        "user",
        "stream_options",
        "parallel_tool_calls",
        "reasoning_effort",
    }
)
"""OpenAI options Anthropic refuses; litellm drops them (`drop_params`), and so do we."""

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "content_filter",
}

_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
"""The HTTP status of each error type, for an `error` event inside a stream."""

_DUMMY_TOOL = {
    "name": "dummy_tool",
    "description": "Not to be called.",
    "input_schema": {"type": "object", "properties": {}},
}
"""Offered (with `tool_choice: none`) when the history holds tool calls but the call gives no
tools: Anthropic refuses `tool_use` blocks in a request without tools (litellm does the same)."""


def messages_url(base_url: str) -> str:
    """`<base>/v1/messages`; a base that already ends in `/v1` or `/v1/messages` is kept."""
    if base_url.endswith("/v1/messages"):
        return base_url
    if base_url.endswith("/v1"):
        return f"{base_url}/messages"
    return f"{base_url}/v1/messages"


# --- the request -----------------------------------------------------------------------------


def request_body(
    route: NativeRoute,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body and headers of one streamed call (see the module docstring)."""
    system, turns = convert_messages(messages)
    body: dict[str, Any] = {"model": route.model, "messages": turns, "stream": True}
    if system:
        body["system"] = system
    if tools:
        body["tools"] = [tool_of(tool) for tool in tools]
    elif _has_tool_blocks(turns):
        body["tools"] = [_DUMMY_TOOL]
        body["tool_choice"] = {"type": "none"}
    headers = {"anthropic-version": ANTHROPIC_VERSION}
    for name, value in options.items():
        if value is None or name in DROPPED_OPTIONS or name in UNSUPPORTED_OPTIONS:
            continue
        _apply_option(body, headers, name, value)
    body.setdefault("max_tokens", _max_tokens(route))
    if route.api_key:
        if route.bearer:
            headers["Authorization"] = f"Bearer {route.api_key}"
        else:
            headers["x-api-key"] = route.api_key
    return body, headers


def _apply_option(body: dict[str, Any], headers: dict[str, str], name: str, value: Any) -> None:
    if name == "extra_body":
        body.update(value)
    elif name == "extra_headers":
        headers.update({str(k): str(v) for k, v in value.items()})
    elif name in ("max_tokens", "max_completion_tokens"):
        body["max_tokens"] = value
    elif name == "stop":
        body["stop_sequences"] = [value] if isinstance(value, str) else list(value)
    elif name == "tool_choice":
        if "tools" in body and body.get("tool_choice") != {"type": "none"}:
            body["tool_choice"] = tool_choice_of(value)
    elif name == "response_format":
        _ask_for_json(body, value)
    else:
        body[name] = value


def _max_tokens(route: NativeRoute) -> int:
    limit = _price_table.max_output_tokens(route.provider, route.model)
    return limit or DEFAULT_MAX_TOKENS


def convert_messages(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """OpenAI-shaped messages as Anthropic's `system` blocks and alternating turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            system.extend(_text_blocks(message.get("content")))
            continue
        if role == "assistant":
            blocks = _text_blocks(message.get("content"))
            blocks.extend(_tool_use(call) for call in message.get("tool_calls") or ())
            _append(turns, "assistant", blocks)
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": str(message.get("tool_call_id") or ""),
                "content": _plain_text(message.get("content")) or "(no output)",
            }
            _append(turns, "user", [result])
        else:
            _append(turns, "user", _content_blocks(message.get("content")))
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"type": "text", "text": "."}]})
    return system, turns


def _append(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _plain_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, dict)]
        return "\n".join(text for text in texts if isinstance(text, str))
    return "" if content is None else str(content)


def _text_blocks(content: Any) -> list[dict[str, Any]]:
    text = _plain_text(content)
    return [{"type": "text", "text": text}] if text.strip() else []


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    """A user message's content: text, and images given as OpenAI `image_url` parts."""
    if not isinstance(content, list):
        return _text_blocks(content)
    blocks: list[dict[str, Any]] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "image_url":
            blocks.append(_image_block(part.get("image_url")))
        else:
            blocks.extend(_text_blocks(part.get("text")))
    return blocks


def _image_block(image: Any) -> dict[str, Any]:
    url = str(image.get("url") if isinstance(image, dict) else image or "")
    if url.startswith("data:") and ";base64," in url:
        media_type, _, data = url[5:].partition(";base64,")
        return {"type": "image", "source": {"type": "base64", "media_type": media_type,
                                            "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _tool_use(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        arguments = {}
    return {
        "type": "tool_use",
        "id": str(call.get("id") or ""),
        "name": str(function.get("name") or ""),
        "input": arguments if isinstance(arguments, dict) else {},
    }


def _has_tool_blocks(turns: list[dict[str, Any]]) -> bool:
    return any(
        block.get("type") in ("tool_use", "tool_result")
        for turn in turns
        for block in turn["content"]
    )


def tool_of(tool: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool as Anthropic's `{name, description, input_schema}`."""
    function = tool.get("function")
    if not isinstance(function, Mapping):
        return dict(tool)  # already Anthropic's shape (or one of its server tools)
    schema = dict(function.get("parameters") or {})
    schema.setdefault("type", "object")
    if schema["type"] == "object":
        schema.setdefault("properties", {})
    out: dict[str, Any] = {"name": function.get("name"), "input_schema": schema}
    if function.get("description"):
        out["description"] = function["description"]
    return out


def tool_choice_of(value: Any) -> Any:
    """OpenAI's `tool_choice` in Anthropic's words (`required` is `any`; a function, `tool`)."""
    if value in ("auto", "required", "none"):
        return {"type": {"required": "any"}.get(value, value)}
    if isinstance(value, Mapping) and isinstance(value.get("function"), Mapping):
        return {"type": "tool", "name": value["function"].get("name")}
    return value


def _ask_for_json(body: dict[str, Any], value: Any) -> None:
    """A `response_format` as a forced tool whose arguments are the answer (module docstring)."""
    value = openai_response_format(value)
    if not isinstance(value, Mapping) or "tools" in body:
        return
    kind = value.get("type")
    if kind == "json_schema":
        wrapper = value.get("json_schema")
        schema = dict((wrapper or {}).get("schema") or {}) if isinstance(wrapper, Mapping) else {}
    elif kind == "json_object":
        schema = {"type": "object", "additionalProperties": True, "properties": {}}
    else:
        return
    schema.setdefault("type", "object")
    body["tools"] = [{"name": JSON_TOOL, "input_schema": schema}]
    body["tool_choice"] = {"type": "tool", "name": JSON_TOOL}


# --- the answer ------------------------------------------------------------------------------


class _Decoder:
    """Reads Anthropic's events into OpenAI-shaped chunks for `sink`."""

    def __init__(self, sink: ChunkSink, json_mode: bool) -> None:
        self._sink = sink
        self._json_mode = json_mode
        self._tools: dict[int, int] = {}
        self._json_blocks: set[int] = set()
        self._usage: dict[str, int] = {}
        self._stop: str | None = None
        self._done = False
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "error": self._error,
        }

    def line(self, line: str) -> None:
        if self._done or not line.startswith("data:"):
            return
        data = line[5:].strip()
        if not data:
            return
        event = json.loads(data)
        kind = event.get("type") if isinstance(event, dict) else None
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            handler(event)

    def end(self) -> None:
        """Nothing to do: without `message_stop` there is no finish reason (stream_dropped)."""

    def whole(self, answer: Any) -> None:
        if not isinstance(answer, dict):
            raise json.JSONDecodeError("the answer is not a JSON object", str(answer)[:100], 0)
        if answer.get("type") == "error":
            self._error(answer)
        self._message_start({"message": answer})
        for index, block in enumerate(answer.get("content") or ()):
            opening = {**block, "text": "", "input": {}}  # the content follows as a delta
            self._block_start({"index": index, "content_block": opening})
            if block.get("type") == "text":
                self._block_delta({"index": index, "delta": {"type": "text_delta",
                                                             "text": block.get("text") or ""}})
            elif block.get("type") == "tool_use":
                arguments = json.dumps(block.get("input") or {})
                self._block_delta({"index": index, "delta": {"type": "input_json_delta",
                                                             "partial_json": arguments}})
        self._message_delta({"delta": {"stop_reason": answer.get("stop_reason")},
                             "usage": answer.get("usage") or {}})
        self._message_stop({})

    def _message_start(self, event: dict[str, Any]) -> None:
        usage = (event.get("message") or {}).get("usage") or {}
        self._usage.update({k: int(v) for k, v in usage.items() if isinstance(v, int)})

    def _block_start(self, event: dict[str, Any]) -> None:
        index, block = event.get("index", 0), event.get("content_block") or {}
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            self._sink.feed_openai(_http.text_chunk(block["text"]))
        elif kind == "tool_use":
            if self._json_mode and block.get("name") == JSON_TOOL:
                self._json_blocks.add(index)
                return
            position = self._tools[index] = len(self._tools)
            self._sink.feed_openai(
                _http.tool_chunk(position, block.get("id"), block.get("name"), "")
            )

    def _block_delta(self, event: dict[str, Any]) -> None:
        index, delta = event.get("index", 0), event.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            self._sink.feed_openai(_http.text_chunk(delta["text"]))
        elif kind == "input_json_delta" and delta.get("partial_json"):
            piece = delta["partial_json"]
            if index in self._json_blocks:
                self._sink.feed_openai(_http.text_chunk(piece))
            elif index in self._tools:
                self._sink.feed_openai(_http.tool_chunk(self._tools[index], None, None, piece))

    def _message_delta(self, event: dict[str, Any]) -> None:
        self._stop = (event.get("delta") or {}).get("stop_reason") or self._stop
        usage = event.get("usage") or {}
        self._usage.update({k: int(v) for k, v in usage.items() if isinstance(v, int)})

    def _message_stop(self, _event: dict[str, Any]) -> None:
        self._done = True
        finish = _FINISH.get(self._stop or "end_turn", "stop")
        if self._json_blocks and finish == "tool_calls":
            finish = "stop"
        self._sink.feed_openai(_http.finish_chunk(finish, self._openai_usage()))

    def _openai_usage(self) -> dict[str, Any]:
        cached = self._usage.get("cache_read_input_tokens", 0)
        prompt = (
            self._usage.get("input_tokens", 0)
            + cached
            + self._usage.get("cache_creation_input_tokens", 0)
        )
        return _http.openai_usage(prompt, self._usage.get("output_tokens", 0), cached)

    def _error(self, event: dict[str, Any]) -> None:
        error = event.get("error") or {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
        message, kind = error.get("message"), error.get("type")
        status = _ERROR_STATUS.get(kind) if isinstance(kind, str) else None
        raise ProviderStreamError({"message": message or str(error), "status_code": status})


def _decoder(body: Mapping[str, Any], sink: ChunkSink) -> _Decoder:
    choice = body.get("tool_choice")
    json_mode = isinstance(choice, Mapping) and choice.get("name") == JSON_TOOL
    return _Decoder(sink, json_mode)


async def astream(
    route: NativeRoute,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    sink: ChunkSink,
) -> None:
    """Makes one streamed call and feeds its chunks (OpenAI-shaped) to `sink`.

    Raises:
        LLMError: The provider refused or failed, or the stream broke (kinds as litellm's).
    """
    url = messages_url(route.base_url)
    await _http.apost_stream(route, url, body, headers, request_timeout, _decoder(body, sink))


def stream(
    route: NativeRoute,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    sink: ChunkSink,
    cancelled: Callable[[], bool] | None,
) -> None:
    """The blocking twin of `astream` (polls `cancelled` between lines)."""
    url = messages_url(route.base_url)
    decoder = _decoder(body, sink)
    _http.post_stream(route, url, body, headers, request_timeout, decoder, cancelled)
