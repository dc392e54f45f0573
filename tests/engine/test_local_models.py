"""Local models found, not typed (`engine/_local_models.py`), and Ollama's and LM Studio's
chat replies through the native client.

Both servers are third-party programs on the user's machine, so each test starts a tiny fake
of one over real HTTP on loopback, answering with the wire formats those servers send
(recorded shapes: Ollama 0.6's `/api/tags`, `/api/show` and OpenAI-compatible `/v1` stream;
LM Studio 0.3's `/api/v0/models`, `/v1/models` and `/v1` stream).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.engine import LLM
from desktop_app.engine._local_models import (
    LocalModel,
    afind_local_models,
    find_local_models,
    local_model_named,
)
from tests.engine.local_servers import (
    LM_STUDIO_V0,
    LM_STUDIO_V1,
    OLLAMA_TAGS,
    Route,
    Starter,
    json_route,
    ollama_show,
    serving,
)


@pytest.fixture
def fake_server() -> Iterator[Starter]:
    """Starts fake Ollama / LM Studio servers for the test."""
    with serving() as start:
        yield start


def test_ollama_and_lm_studio_models_are_listed_with_what_they_can_do(
    fake_server: Starter,
) -> None:
    ollama, seen = fake_server({"GET /api/tags": json_route(OLLAMA_TAGS), "POST /api/show": ollama_show})
    lm_studio, _ = fake_server({"GET /api/v0/models": json_route(LM_STUDIO_V0)})
    found = find_local_models({"ollama": ollama, "lm_studio": lm_studio})

    assert [(m.model, m.tools, m.embedding) for m in found] == [
        ("ollama/llama3.2:latest", True, False),
        ("ollama/llama2:7b", False, False),
        ("ollama/nomic-embed-text:latest", False, True),
        ("lm_studio/qwen2.5-7b-instruct", True, False),
        ("lm_studio/gemma-2-2b-it", False, False),
        ("lm_studio/text-embedding-nomic-embed-text-v1.5", None, True),
    ]
    assert found[0].detail == "llama · 3.2B · Q4_K_M" and found[0].base_url == ollama
    assert found[3].detail == "qwen2 · Q4_K_M · loaded"
    assert ("POST", "/api/show", {"model": "llama2:7b"}) in seen
    assert found[0].tool_warning() is None
    warning = found[1].tool_warning()
    assert warning is not None and "llama2:7b (Ollama) cannot call tools" in warning
    assert local_model_named(found, "ollama/llama3.2") is found[0]  # ":latest" implied
    assert local_model_named(found, "lm_studio/gemma-2-2b-it") is found[4]
    assert local_model_named(found, "openai/gpt-4o") is None


def test_an_older_lm_studio_and_an_ollama_without_capabilities_leave_tools_unknown(
    fake_server: Starter,
) -> None:
    tags = {"models": [{"name": "mistral:latest", "details": {"family": "llama"}}]}
    old_show = json_route({"modelfile": "# Modelfile", "details": {"family": "llama"}})
    ollama, _ = fake_server({"GET /api/tags": json_route(tags), "POST /api/show": old_show})
    lm_studio, _ = fake_server({"GET /v1/models": json_route(LM_STUDIO_V1)})
    found = find_local_models({"ollama": ollama, "lm_studio": lm_studio})
    assert [(m.model, m.tools) for m in found] == [
        ("ollama/mistral:latest", None), ("lm_studio/qwen2.5-7b-instruct", None)]
    assert all(m.tool_warning() is None for m in found)


@pytest.mark.asyncio
async def test_no_server_running_finds_nothing_quickly_and_off_the_loop(
    fake_server: Starter,
) -> None:
    broken, _ = fake_server({"GET /api/tags": lambda _b: (200, "application/json", b"{not json")})
    start = time.perf_counter()
    found = await afind_local_models({"ollama": "http://127.0.0.1:9", "lm_studio": broken})
    assert found == [] and time.perf_counter() - start < 1.5
    assert await afind_local_models({"ollama": broken}) == []


# --- their chat replies through the native client -------------------------------------------


def _sse(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + (
        b"data: [DONE]\n\n")


def _ollama_chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"id": "chatcmpl-535", "object": "chat.completion.chunk", "created": 1764990000,
            "model": "llama3.2", "system_fingerprint": "fp_ollama",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


_OLLAMA_TOOL_STREAM = _sse([
    # Ollama sends a tool call whole, in one chunk, with its id.
    _ollama_chunk({"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_x1", "index": 0, "type": "function",
         "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}, None),
    _ollama_chunk({"role": "assistant", "content": ""}, "tool_calls"),
    {"id": "chatcmpl-535", "object": "chat.completion.chunk", "created": 1764990000,
     "model": "llama3.2", "system_fingerprint": "fp_ollama", "choices": [],
     "usage": {"prompt_tokens": 160, "completion_tokens": 18, "total_tokens": 178}},
])
_OLLAMA_TEXT_STREAM = _sse([
    _ollama_chunk({"role": "assistant", "content": "Bonjour"}, None),
    _ollama_chunk({"role": "assistant", "content": " !"}, None),
    _ollama_chunk({"role": "assistant", "content": ""}, "stop"),
    {"id": "chatcmpl-535", "object": "chat.completion.chunk", "created": 1764990000,
     "model": "llama3.2", "system_fingerprint": "fp_ollama", "choices": [],
     "usage": {"prompt_tokens": 26, "completion_tokens": 3, "total_tokens": 29}},
])


def _lm_chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"id": "chatcmpl-k2x", "object": "chat.completion.chunk", "created": 1764990000,
            "model": "qwen2.5-7b-instruct", "system_fingerprint": "qwen2.5-7b-instruct",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}


_LM_STUDIO_TOOL_STREAM = _sse([
    # LM Studio streams a tool call in pieces, as OpenAI does.
    _lm_chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "361829406", "type":
              "function", "function": {"name": "get_weather", "arguments": ""}}]}, None),
    _lm_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}, None),
    _lm_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}, None),
    _lm_chunk({}, "tool_calls"),
    {"id": "chatcmpl-k2x", "object": "chat.completion.chunk", "created": 1764990000,
     "model": "qwen2.5-7b-instruct", "system_fingerprint": "qwen2.5-7b-instruct", "choices": [],
     "usage": {"prompt_tokens": 211, "completion_tokens": 24, "total_tokens": 235}},
])

_TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]
_ASK = [{"role": "user", "content": "Weather in Paris?"}]


def _stream(data: bytes) -> Route:
    return lambda _body: (200, "text/event-stream", data)


@pytest.mark.asyncio
async def test_ollamas_stream_through_the_native_client(
    fake_server: Starter,
) -> None:
    replies = iter([_OLLAMA_TOOL_STREAM, _OLLAMA_TEXT_STREAM])
    base, seen = fake_server({"POST /v1/chat/completions": lambda _b: (
        200, "text/event-stream", next(replies))})
    llm = LLM("ollama/llama3.2", base_url=base, max_retries=0)  # no key: a local server

    called = await llm.acall(_ASK, tools=_TOOLS)
    assert [(c.id, c.name, c.arguments) for c in called.tool_calls] == [
        ("call_x1", "get_weather", '{"city":"Paris"}')]
    assert called.finish_reason == "tool_calls"
    assert (called.usage.prompt_tokens, called.usage.completion_tokens) == (160, 18)
    answered = llm.call(_ASK)  # the blocking path (httpx)
    assert answered.text == "Bonjour !" and answered.finish_reason == "stop"
    assert answered.usage.total_tokens == 29
    [(_, path, body), _second] = seen
    assert path == "/v1/chat/completions"
    assert body["model"] == "llama3.2" and body["stream"] is True and body["tools"] == _TOOLS


@pytest.mark.asyncio
async def test_lm_studios_stream_through_the_native_client(
    fake_server: Starter,
) -> None:
    base, seen = fake_server({"POST /v1/chat/completions": _stream(_LM_STUDIO_TOOL_STREAM)})
    llm = LLM("lm_studio/qwen2.5-7b-instruct", base_url=f"{base}/v1", max_retries=0)
    result = await llm.acall(_ASK, tools=_TOOLS)
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("361829406", "get_weather", '{"city":"Paris"}')]
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (211, 24)
    assert seen[0][2]["model"] == "qwen2.5-7b-instruct"


def test_a_found_model_runs_as_its_model_string(
    fake_server: Starter,
) -> None:
    base, _ = fake_server({"GET /api/tags": json_route(OLLAMA_TAGS), "POST /api/show": ollama_show,
                          "POST /v1/chat/completions": _stream(_OLLAMA_TEXT_STREAM)})
    found: LocalModel = find_local_models({"ollama": base})[0]
    assert LLM(found.model, base_url=found.base_url).call(_ASK).text == "Bonjour !"
