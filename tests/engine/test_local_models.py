"""Local models found, not typed (`engine/_local_models.py`), and Ollama's and LM Studio's
chat replies through the native client.

Both servers are third-party programs on the user's machine, so each test starts a tiny fake
of one over real HTTP on loopback, answering with the wire formats those servers send
(recorded shapes: Ollama 0.6's `/api/tags`, `/api/show` and OpenAI-compatible `/v1` stream;
LM Studio 0.3's `/api/v0/models`, `/v1/models` and `/v1` stream).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from desktop_app.engine import LLM
from desktop_app.engine._local_models import (
    LocalModel,
    afind_local_models,
    find_local_models,
    local_model_named,
)

Route = Callable[[dict[str, Any] | None], tuple[int, str, bytes]]
"""A fake endpoint: the request's JSON body (None for a GET) -> status, content type, body."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes: dict[str, Route] = {}
    seen: list[tuple[str, str, dict[str, Any] | None]] = []

    def _answer(self, body: dict[str, Any] | None) -> None:
        self.seen.append((self.command, self.path, body))
        route = self.routes.get(f"{self.command} {self.path}")
        status, kind, data = route(body) if route else (404, "text/plain", b"404 page not found")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if kind == "text/event-stream":  # streamed as the servers do: chunked
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in data.split(b"\n\n"):
                if event:
                    piece = event + b"\n\n"
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(None)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(json.loads(self.rfile.read(length) or b"null"))

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fake_server() -> Iterator[Callable[[dict[str, Route]], tuple[str, list[Any]]]]:
    """Starts fake servers: routes ("GET /api/tags") -> (base URL, requests seen)."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> tuple[str, list[Any]]:
        seen: list[Any] = []
        handler = type("Handler", (_Handler,), {"routes": routes, "seen": seen})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _json(payload: Any) -> Route:
    return lambda _body: (200, "application/json", json.dumps(payload).encode())


# --- what the servers list ---------------------------------------------------------------

_OLLAMA_TAGS = {"models": [
    {"name": "llama3.2:latest", "model": "llama3.2:latest", "modified_at":
     "2025-11-02T10:12:00.1+01:00", "size": 2019393189, "digest": "a80c4f17acd5",
     "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                 "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}},
    {"name": "llama2:7b", "model": "llama2:7b", "size": 3826793677, "digest": "78e26419b446",
     "details": {"format": "gguf", "family": "llama", "parameter_size": "7B",
                 "quantization_level": "Q4_0"}},
    {"name": "nomic-embed-text:latest", "model": "nomic-embed-text:latest", "size": 274302450,
     "digest": "0a109f422b47", "details": {"family": "nomic-bert", "parameter_size": "137M"}},
]}
_OLLAMA_CAPABILITIES = {
    "llama3.2:latest": ["completion", "tools"],
    "llama2:7b": ["completion"],
    "nomic-embed-text:latest": ["embedding"],
}


def _ollama_show(body: dict[str, Any] | None) -> tuple[int, str, bytes]:
    name = (body or {}).get("model")
    if name not in _OLLAMA_CAPABILITIES:
        return 404, "application/json", b'{"error":"model not found"}'
    show = {"license": "...", "modelfile": "# Modelfile", "template": "{{ .Prompt }}",
            "details": {"format": "gguf"}, "model_info": {"general.architecture": "llama"},
            "capabilities": _OLLAMA_CAPABILITIES[name], "modified_at": "2025-11-02T10:12:00Z"}
    return 200, "application/json", json.dumps(show).encode()


_LM_STUDIO_V0 = {"object": "list", "data": [
    {"id": "qwen2.5-7b-instruct", "object": "model", "type": "llm", "publisher": "lmstudio-community",
     "arch": "qwen2", "compatibility_type": "gguf", "quantization": "Q4_K_M", "state": "loaded",
     "max_context_length": 32768, "capabilities": ["tool_use"]},
    {"id": "gemma-2-2b-it", "object": "model", "type": "llm", "publisher": "lmstudio-community",
     "arch": "gemma2", "quantization": "Q8_0", "state": "not-loaded",
     "max_context_length": 8192, "capabilities": []},
    {"id": "text-embedding-nomic-embed-text-v1.5", "object": "model", "type": "embeddings",
     "arch": "nomic-bert", "quantization": "Q4_K_M", "state": "not-loaded",
     "max_context_length": 2048},
]}
_LM_STUDIO_V1 = {"object": "list", "data": [
    {"id": "qwen2.5-7b-instruct", "object": "model", "owned_by": "organization_owner"}]}


def test_ollama_and_lm_studio_models_are_listed_with_what_they_can_do(
    fake_server: Callable[[dict[str, Route]], tuple[str, list[Any]]],
) -> None:
    ollama, seen = fake_server({"GET /api/tags": _json(_OLLAMA_TAGS), "POST /api/show": _ollama_show})
    lm_studio, _ = fake_server({"GET /api/v0/models": _json(_LM_STUDIO_V0)})
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
    fake_server: Callable[[dict[str, Route]], tuple[str, list[Any]]],
) -> None:
    tags = {"models": [{"name": "mistral:latest", "details": {"family": "llama"}}]}
    old_show = _json({"modelfile": "# Modelfile", "details": {"family": "llama"}})
    ollama, _ = fake_server({"GET /api/tags": _json(tags), "POST /api/show": old_show})
    lm_studio, _ = fake_server({"GET /v1/models": _json(_LM_STUDIO_V1)})
    found = find_local_models({"ollama": ollama, "lm_studio": lm_studio})
    assert [(m.model, m.tools) for m in found] == [
        ("ollama/mistral:latest", None), ("lm_studio/qwen2.5-7b-instruct", None)]
    assert all(m.tool_warning() is None for m in found)


@pytest.mark.asyncio
async def test_no_server_running_finds_nothing_quickly_and_off_the_loop(
    fake_server: Callable[[dict[str, Route]], tuple[str, list[Any]]],
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
    fake_server: Callable[[dict[str, Route]], tuple[str, list[Any]]],
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
    fake_server: Callable[[dict[str, Route]], tuple[str, list[Any]]],
) -> None:
    base, seen = fake_server({"POST /v1/chat/completions": _stream(_LM_STUDIO_TOOL_STREAM)})
    llm = LLM("lm_studio/qwen2.5-7b-instruct", base_url=f"{base}/v1", max_retries=0)
    result = await llm.acall(_ASK, tools=_TOOLS)
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("361829406", "get_weather", '{"city":"Paris"}')]
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (211, 24)
    assert seen[0][2]["model"] == "qwen2.5-7b-instruct"


def test_a_found_model_runs_as_its_model_string(
    fake_server: Callable[[dict[str, Route]], tuple[str, list[Any]]],
) -> None:
    base, _ = fake_server({"GET /api/tags": _json(_OLLAMA_TAGS), "POST /api/show": _ollama_show,
                          "POST /v1/chat/completions": _stream(_OLLAMA_TEXT_STREAM)})
    found: LocalModel = find_local_models({"ollama": base})[0]
    assert LLM(found.model, base_url=found.base_url).call(_ASK).text == "Bonjour !"
