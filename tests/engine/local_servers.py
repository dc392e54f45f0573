"""Tiny fakes of Ollama and LM Studio over real HTTP on loopback, with the listings those
servers send (recorded shapes: Ollama 0.6's `/api/tags` and `/api/show`, LM Studio 0.3's
`/api/v0/models` and `/v1/models`). Shared by the engine's and the app's tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[dict[str, Any] | None], tuple[int, str, bytes]]
"""A fake endpoint: the request's JSON body (None for a GET) -> status, content type, body."""


class FakeHandler(BaseHTTPRequestHandler):
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


Starter = Callable[[dict[str, Route]], tuple[str, list[Any]]]
"""Starts a fake server with routes ("GET /api/tags" -> Route): its base URL and the requests
it saw (method, path, JSON body)."""


@contextmanager
def serving() -> Iterator[Starter]:
    """Fake servers started inside the block, all shut down when it ends."""
    servers: list[ThreadingHTTPServer] = []

    def start(routes: dict[str, Route]) -> tuple[str, list[Any]]:
        seen: list[Any] = []
        handler = type("Handler", (FakeHandler,), {"routes": routes, "seen": seen})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def json_route(payload: Any) -> Route:
    return lambda _body: (200, "application/json", json.dumps(payload).encode())


OLLAMA_TAGS = {"models": [
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
OLLAMA_CAPABILITIES = {
    "llama3.2:latest": ["completion", "tools"],
    "llama2:7b": ["completion"],
    "nomic-embed-text:latest": ["embedding"],
}


def ollama_show(body: dict[str, Any] | None) -> tuple[int, str, bytes]:
    name = (body or {}).get("model")
    if name not in OLLAMA_CAPABILITIES:
        return 404, "application/json", b'{"error":"model not found"}'
    show = {"license": "...", "modelfile": "# Modelfile", "template": "{{ .Prompt }}",
            "details": {"format": "gguf"}, "model_info": {"general.architecture": "llama"},
            "capabilities": OLLAMA_CAPABILITIES[name], "modified_at": "2025-11-02T10:12:00Z"}
    return 200, "application/json", json.dumps(show).encode()


LM_STUDIO_V0 = {"object": "list", "data": [
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
LM_STUDIO_V1 = {"object": "list", "data": [
    {"id": "qwen2.5-7b-instruct", "object": "model", "owned_by": "organization_owner"}]}
