"""Google AI Studio's Gemini API spoken over httpx without litellm (private to `llm.py`).

Serves `gemini/...` model strings (`_llm_routes.OTHER_PROTOCOLS`; `vertex_ai/` stays on
litellm, which knows Google Cloud's credentials). Why: litellm's import takes 6-8 s here.

- The request: `POST <base>/models/<model>:streamGenerateContent?alt=sse` with the key in
  `x-goog-api-key` (litellm's URL and header). System messages become `systemInstruction`;
  user and assistant messages `contents` with roles `user` and `model`; assistant tool calls
  `functionCall` parts, `tool` messages `functionResponse` parts (named after the call they
  answer); tools `functionDeclarations`. Settings go to `generationConfig` (`maxOutputTokens`,
  `stopSequences`, `topP`, ...), `tool_choice` to `toolConfig`.
- Schemas (tool parameters, structured output) are cut to the OpenAPI subset Gemini reads:
  local `$ref`s inlined, `["string", "null"]` and `anyOf [..., null]` as `nullable`, keys it
  refuses (`additionalProperties`, `$defs`, `title`, ...) left out, as litellm does. A
  `json_schema` response format becomes `responseMimeType: application/json` with that
  `responseSchema`; the engine still validates the answer (`_structured`).
- Gemini 2.5+ returns a `thoughtSignature` with a function call that must come back with it;
  it rides in the tool call's id after `__thought__` (litellm's convention), so crews resumed
  from either path keep working.
- The stream: each event is a whole `GenerateContentResponse` (text parts, function calls,
  `finishReason`, cumulative `usageMetadata`); there is no end event, so the finish reason is
  handed on when the body ends. Errors go through `_provider_errors.classify`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from desktop_app.engine import _native_stream as _http
from desktop_app.engine._litellm_sse import ProviderStreamError
from desktop_app.engine._llm_routes import NativeRoute
from desktop_app.engine._openai_protocol import DROPPED_OPTIONS, ChunkSink
from desktop_app.engine._openai_protocol import response_format as openai_response_format

SIGNATURE_SEPARATOR = "__thought__"

_CONFIG_NAMES = {
    "temperature": "temperature",
    "top_p": "topP",
    "top_k": "topK",
    "max_tokens": "maxOutputTokens",
    "max_completion_tokens": "maxOutputTokens",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "n": "candidateCount",
}
"""OpenAI's sampling options and their names in `generationConfig`."""

UNSUPPORTED_OPTIONS = frozenset(
    {"logit_bias", "logprobs", "top_logprobs", "user", "stream_options", "parallel_tool_calls"}
)
"""OpenAI options Gemini has no field for; litellm drops them (`drop_params`), and so do we."""

_SCHEMA_KEYS = frozenset(
    {
        "type", "format", "description", "nullable", "enum", "properties", "required", "items",
        "anyOf", "minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength",
        "pattern", "minProperties", "maxProperties", "propertyOrdering", "default", "example",
    }
)
"""The keys of Gemini's `Schema` (an OpenAPI subset); others are refused, so left out."""

_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
}


def stream_url(route: NativeRoute) -> str:
    """`<base>/models/<model>:streamGenerateContent?alt=sse`."""
    return f"{route.base_url}/models/{route.model}:streamGenerateContent?alt=sse"


# --- the request -----------------------------------------------------------------------------


def request_body(
    route: NativeRoute,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON body and headers of one streamed call (see the module docstring)."""
    system, contents = convert_messages(messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": text} for text in system]}
    if tools:
        body["tools"] = [{"functionDeclarations": [declaration_of(tool) for tool in tools]}]
    config: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for name, value in options.items():
        if value is None or name in DROPPED_OPTIONS or name in UNSUPPORTED_OPTIONS:
            continue
        _apply_option(body, config, headers, name, value)
    if config:
        body["generationConfig"] = {**config, **body.get("generationConfig", {})}
    if route.api_key:
        headers["x-goog-api-key"] = route.api_key
    return body, headers


def _apply_option(
    body: dict[str, Any], config: dict[str, Any], headers: dict[str, str], name: str, value: Any
) -> None:
    if name in _CONFIG_NAMES:
        config[_CONFIG_NAMES[name]] = value
    elif name == "stop":
        config["stopSequences"] = [value] if isinstance(value, str) else list(value)
    elif name == "response_format":
        config.update(_json_config(value))
    elif name == "tool_choice":
        if "tools" in body:
            body["toolConfig"] = {"functionCallingConfig": calling_config(value)}
    elif name == "extra_body":
        body.update(value)
    elif name == "extra_headers":
        headers.update({str(k): str(v) for k, v in value.items()})
    else:
        body[name] = value


def convert_messages(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[dict[str, Any]]]:
    """OpenAI-shaped messages as Gemini's system texts and `contents`."""
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for message in messages:
        role, text = message.get("role"), _plain_text(message.get("content"))
        if role == "system":
            system.extend([text] if text.strip() else [])
        elif role == "assistant":
            parts: list[dict[str, Any]] = [{"text": text}] if text.strip() else []
            for call in message.get("tool_calls") or ():
                parts.append(_function_call(call, names))
            _append(contents, "model", parts)
        elif role == "tool":
            call_id = str(message.get("tool_call_id") or "")
            response = {"name": names.get(call_id, call_id), "response": {"content": text}}
            _append(contents, "user", [{"functionResponse": response}])
        else:
            _append(contents, "user", [{"text": text}] if text else [])
    if not contents or contents[0]["role"] != "user":
        contents.insert(0, {"role": "user", "parts": [{"text": "."}]})
    return system, contents


def _append(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _plain_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, dict)]
        return "\n".join(text for text in texts if isinstance(text, str))
    return "" if content is None else str(content)


def _function_call(call: Mapping[str, Any], names: dict[str, str]) -> dict[str, Any]:
    function = call.get("function") or {}
    name = str(function.get("name") or "")
    call_id = str(call.get("id") or "")
    names[call_id] = name
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except ValueError:
        arguments = {}
    part: dict[str, Any] = {
        "functionCall": {"name": name, "args": arguments if isinstance(arguments, dict) else {}}
    }
    _, _, signature = call_id.partition(SIGNATURE_SEPARATOR)
    if signature:
        part["thoughtSignature"] = signature
    return part


def declaration_of(tool: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool as a Gemini function declaration."""
    function = tool.get("function")
    if not isinstance(function, Mapping):
        return dict(tool)
    out: dict[str, Any] = {"name": function.get("name")}
    if function.get("description"):
        out["description"] = function["description"]
    parameters = function.get("parameters")
    if isinstance(parameters, Mapping) and parameters.get("properties"):
        out["parameters"] = gemini_schema(parameters)
    return out


def calling_config(value: Any) -> dict[str, Any]:
    """OpenAI's `tool_choice` as Gemini's `functionCallingConfig`."""
    if isinstance(value, Mapping) and isinstance(value.get("function"), Mapping):
        return {"mode": "ANY", "allowedFunctionNames": [value["function"].get("name")]}
    return {"mode": {"required": "ANY", "none": "NONE"}.get(str(value), "AUTO")}


def _json_config(value: Any) -> dict[str, Any]:
    value = openai_response_format(value)
    if not isinstance(value, Mapping):
        return {}
    if value.get("type") == "json_object":
        return {"responseMimeType": "application/json"}
    wrapper = value.get("json_schema")
    if value.get("type") != "json_schema" or not isinstance(wrapper, Mapping):
        return {}
    schema = wrapper.get("schema")
    config: dict[str, Any] = {"responseMimeType": "application/json"}
    if isinstance(schema, Mapping):
        config["responseSchema"] = gemini_schema(schema)
    return config


def gemini_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema cut to Gemini's OpenAPI subset (see the module docstring)."""
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    return _clean(schema, defs, 0)


def _clean(schema: Any, defs: Mapping[str, Any], depth: int) -> dict[str, Any]:
    if not isinstance(schema, Mapping) or depth > 20:
        return {"type": "object"}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rsplit("/", 1)[-1])
        return _clean({**(target or {}), **{k: v for k, v in schema.items() if k != "$ref"}},
                      defs, depth + 1)
    out: dict[str, Any] = {}
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        kept = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
        if len(kept) < len(options):
            out["nullable"] = True
        if len(kept) == 1:
            return {**_clean(kept[0], defs, depth + 1), **out}
        out["anyOf"] = [_clean(o, defs, depth + 1) for o in kept]
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS or key == "anyOf":
            continue
        if key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out["nullable"] = out.get("nullable", False) or len(types) < len(value)
            value = types[0] if types else "string"
        if key == "properties" and isinstance(value, Mapping):
            value = {name: _clean(sub, defs, depth + 1) for name, sub in value.items()}
        elif key == "items":
            value = _clean(value, defs, depth + 1)
        out[key] = value
    if "enum" in out:
        out["enum"] = [str(item) for item in out["enum"]]
        out["type"] = "string"  # Gemini's enums are strings only
    return out


# --- the answer ------------------------------------------------------------------------------


class _Decoder:
    """Reads Gemini's responses into OpenAI-shaped chunks for `sink`."""

    def __init__(self, sink: ChunkSink) -> None:
        self._sink = sink
        self._calls = 0
        self._finish: str | None = None
        self._usage: dict[str, Any] | None = None

    def line(self, line: str) -> None:
        if not line.startswith("data:"):
            return
        data = line[5:].strip()
        if data:
            self._response(json.loads(data))

    def whole(self, answer: Any) -> None:
        for response in answer if isinstance(answer, list) else [answer]:
            self._response(response)
        self.end()

    def end(self) -> None:
        if self._finish is not None:
            if self._finish == "stop" and self._calls:
                self._finish = "tool_calls"
            self._sink.feed_openai(_http.finish_chunk(self._finish, self._usage))

    def _response(self, response: Any) -> None:
        if not isinstance(response, dict):
            raise json.JSONDecodeError("an event is not a JSON object", str(response)[:100], 0)
        if response.get("error"):
            raise ProviderStreamError(response["error"])
        usage = response.get("usageMetadata")
        if isinstance(usage, dict):
            self._usage = _openai_usage(usage)
        candidates = response.get("candidates") or []
        if not candidates:
            if (response.get("promptFeedback") or {}).get("blockReason"):
                self._finish = "content_filter"
            return
        candidate = candidates[0]
        for part in (candidate.get("content") or {}).get("parts") or ():
            self._part(part)
        reason = candidate.get("finishReason")
        if reason:
            self._finish = _FINISH.get(reason, "stop")

    def _part(self, part: Mapping[str, Any]) -> None:
        if part.get("thought"):
            return
        call = part.get("functionCall")
        if isinstance(call, Mapping):
            call_id = str(call.get("id") or f"call_{os.urandom(12).hex()}")
            if part.get("thoughtSignature"):
                call_id = f"{call_id}{SIGNATURE_SEPARATOR}{part['thoughtSignature']}"
            arguments = json.dumps(call.get("args") or {})
            chunk = _http.tool_chunk(self._calls, call_id, str(call.get("name") or ""), arguments)
            self._calls += 1
            self._sink.feed_openai(chunk)
        elif part.get("text"):
            self._sink.feed_openai(_http.text_chunk(part["text"]))


def _openai_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    prompt = int(usage.get("promptTokenCount") or 0)
    completion = int(usage.get("candidatesTokenCount") or 0) + int(
        usage.get("thoughtsTokenCount") or 0
    )
    return _http.openai_usage(prompt, completion, int(usage.get("cachedContentTokenCount") or 0))


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
    await _http.apost_stream(route, stream_url(route), body, headers, request_timeout,
                             _Decoder(sink))


def stream(
    route: NativeRoute,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    request_timeout: float | None,
    sink: ChunkSink,
    cancelled: Callable[[], bool] | None,
) -> None:
    """The blocking twin of `astream` (polls `cancelled` between lines)."""
    _http.post_stream(route, stream_url(route), body, headers, request_timeout, _Decoder(sink),
                      cancelled)
