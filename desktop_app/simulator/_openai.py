"""OpenAI's wire formats: completions, stream chunks, embeddings, model lists and errors."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
import struct
from typing import Any

from desktop_app.simulator._behaviour import Reply, count_words
from desktop_app.simulator._config import MODEL_NAME

JsonObject = dict[str, Any]

EMBEDDING_DIMENSIONS = 64

_STATUS_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request (simulated).", "invalid_request_error", None),
    401: ("", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model (simulated).",
          "invalid_request_error", None),
    404: ("The model does not exist or you do not have access to it (simulated).",
          "invalid_request_error", "model_not_found"),
    429: ("Rate limit reached for requests (simulated). Please try again later.",
          "requests", "rate_limit_exceeded"),
    500: (("The server had an error while processing your request. Sorry about that! "
           "(simulated)"), "server_error", None),
    503: ("The engine is currently overloaded, please try again later (simulated).",
          "server_error", None),
}


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None
               ) -> JsonObject:
    """Return OpenAI's error object."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def simulated_error(status: int, api_key: str, *, echo_key: bool = False) -> JsonObject:
    """Return the error body a real server sends with ``status``.

    Args:
        status: The HTTP status asked for by the model string.
        api_key: The bearer token of the request, quoted (masked) in 401 messages.
        echo_key: Quote the key whole in a 401 message, as a careless provider does.
    """
    default = ("Simulated error.", "server_error" if status >= 500 else "invalid_request_error",
               None)
    message, kind, code = _STATUS_ERRORS.get(status, default)
    if status == 401:
        masked = api_key[:3] + "*" * max(0, len(api_key) - 7) + api_key[-4:] if api_key else ""
        masked = api_key if echo_key else masked
        message = (f"Incorrect API key provided: {masked}. You can find your API key at "
                   "https://platform.openai.com/account/api-keys.")
    return error_body(message, kind, code)


def usage(reply: Reply) -> JsonObject:
    """Return the usage object of a reply."""
    completion = reply.completion_tokens
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": reply.prompt_tokens + completion,
    }


def _tool_calls(reply: Reply) -> list[JsonObject]:
    call = reply.tool_call
    assert call is not None
    function = {"name": call.name, "arguments": call.arguments}
    return [{"id": call.id, "type": "function", "function": function}]


def chat_completion(reply: Reply, model: str, completion_id: str, created: int) -> JsonObject:
    """Return a non-streamed ``chat.completion`` for a reply."""
    message: JsonObject = {"role": "assistant", "content": reply.text or None}
    if reply.tool_call is not None:
        message["tool_calls"] = _tool_calls(reply)
    finish = "tool_calls" if reply.tool_call is not None else "stop"
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage(reply),
    }


class ChunkEncoder:
    """Encodes the SSE events of one stream; each event is ``data: {json}\\n\\n``.

    The parts shared by every chunk are encoded once, so a token costs one small
    ``json.dumps`` of its text.
    """

    def __init__(self, model: str, completion_id: str, created: int) -> None:
        """Prepare the shared head of every chunk of one stream."""
        head = json.dumps({"id": completion_id, "object": "chat.completion.chunk",
                           "created": created, "model": model})
        self._head = b"data: " + head[:-1].encode() + b', "choices": '
        self._content_head = self._head + b'[{"index": 0, "delta": {"content": '
        self._content_tail = b'}, "finish_reason": null}]}\n\n'

    def event(self, choices: list[JsonObject], extra: JsonObject | None = None) -> bytes:
        """Encode a chunk with the given ``choices`` (and top-level ``extra`` fields)."""
        tail = json.dumps(choices)
        if extra:
            tail += ", " + json.dumps(extra)[1:-1]
        return self._head + tail.encode() + b"}\n\n"

    def content(self, text: str, first: bool) -> bytes:
        """Encode a content token; the first one also carries the assistant role."""
        if first:
            return self.event([_delta({"role": "assistant", "content": text})])
        return self._content_head + _json_text(text) + self._content_tail

    def tool_call_events(self, reply: Reply) -> list[bytes]:
        """Encode a tool call as OpenAI streams it: id and name, then argument pieces."""
        call = reply.tool_call
        assert call is not None
        opening = {"index": 0, "id": call.id, "type": "function",
                   "function": {"name": call.name, "arguments": ""}}
        events = [self.event([_delta({"role": "assistant", "content": None,
                                      "tool_calls": [opening]})])]
        for piece in call.argument_pieces():
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            events.append(self.event([_delta(delta)]))
        return events

    def closing(self, reply: Reply, include_usage: bool) -> bytes:
        """Encode the final chunk, the usage chunk when asked for, and ``[DONE]``."""
        finish = "tool_calls" if reply.tool_call is not None else "stop"
        data = self.event([_delta({}, finish)])
        if include_usage:
            data += self.event([], {"usage": usage(reply)})
        return data + b"data: [DONE]\n\n"

    def malformed(self) -> bytes:
        """Encode a chunk whose JSON is cut short, as a broken server would send."""
        return self._head + b'[{"index": 0, "delta": {"content": "oops\n\n'


@functools.lru_cache(maxsize=4096)
def _json_text(text: str) -> bytes:
    """JSON-encode a token's text (cached: filler words recur in every stream)."""
    return json.dumps(text).encode()


def _delta(delta: JsonObject, finish_reason: str | None = None) -> JsonObject:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


_EMBED_WORD = re.compile(r"[a-z0-9]+")


def embedding_vector(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """Return a deterministic unit vector: a hashed bag of the words of ``text``.

    Each lower-cased word (a trailing "s" dropped) adds +1 or -1 to one dimension chosen by
    its hash, so texts that share words get similar vectors (cosine), as a real embedding
    model would give related texts. A text without words gets a vector from a hash of it.
    """
    values = [0.0] * dimensions
    for word in _EMBED_WORD.findall(text.lower()):
        stem = word[:-1] if len(word) > 3 and word.endswith("s") else word
        digest = hashlib.sha256(stem.encode()).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        values[index] += 1.0 if digest[4] & 1 else -1.0
    if not any(values):
        values = _hashed_vector(text, dimensions)
    norm = math.sqrt(math.fsum(v * v for v in values))
    return [v / norm for v in values]


def _hashed_vector(text: str, dimensions: int) -> list[float]:
    raw = b""
    counter = 0
    while len(raw) < dimensions * 4:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    return [(n / 0xFFFFFFFF) * 2.0 - 1.0 for n in struct.unpack(f"<{dimensions}I",
                                                               raw[: dimensions * 4])]


def embeddings(inputs: list[str], model: str, dimensions: int, encoding: str) -> JsonObject:
    """Return an embeddings response; ``encoding`` is ``float`` or ``base64``."""
    data: list[JsonObject] = []
    for index, text in enumerate(inputs):
        vector = embedding_vector(text, dimensions)
        value: object = vector
        if encoding == "base64":
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": value})
    tokens = max(1, sum(count_words(t) for t in inputs))
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def model_list() -> JsonObject:
    """Return the ``/v1/models`` listing."""
    return {"object": "list", "data": [model_entry()]}


def model_entry(model: str = MODEL_NAME) -> JsonObject:
    """Return a model's entry: ``sim`` is listed, and any other name is served too."""
    return {"id": model, "object": "model", "created": 0, "owned_by": "crewdesk"}
