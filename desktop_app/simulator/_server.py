"""The asyncio server: accepts connections, parses requests, routes them, owns every task."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self

from desktop_app.simulator import _anthropic, _gemini, _handlers, _openai, _tool_apis
from desktop_app.simulator._config import SimulatorConfig
from desktop_app.simulator._emission import Ticker
from desktop_app.simulator._http import Connection, HttpError, Request
from desktop_app.simulator._stats import RecordedRequest, SimulatorStats

_log = logging.getLogger(__name__)

_POST_ROUTES = {
    "/v1/chat/completions": _handlers.chat_completions,
    "/v1/embeddings": _handlers.embeddings,
    "/v1/messages": _anthropic.messages,
}
_GET_ROUTES: dict[str, Callable[[SimulatorStats], object]] = {
    "/health": lambda stats: {"status": "ok"},
    "/stats": lambda stats: stats.counters(),
    "/v1/models": lambda stats: _openai.model_list(),
}


class Simulator:
    """A local OpenAI-compatible server with a fake, deterministic model.

    Use it as ``async with Simulator(config) as sim:`` and point a client at
    ``sim.base_url`` with any API key.

    Attributes:
        config: The server-wide settings.
        stats: What the server has seen so far.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        """Prepare a server; nothing listens before ``start``."""
        self.config = config or SimulatorConfig()
        self.stats = SimulatorStats()
        self._server: asyncio.Server | None = None
        self._state: _handlers.ServerState | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connections: set[Connection] = set()
        self._port = 0

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, e.g. ``http://127.0.0.1:8765/v1``."""
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:8765``, under which the search and
        scrape endpoints live (``/serper/search``, ``/web/<path>``... see `_tool_apis`)."""
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Start listening on ``config.host`` and ``config.port``.

        Raises:
            RuntimeError: The server is already started.
            OSError: The address cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("the simulator is already started")
        loop = asyncio.get_running_loop()
        self._state = _handlers.ServerState(
            ticker=Ticker(loop, self.stats), stats=self.stats, defaults=self.config.settings(),
            spawn=self._spawn)
        self._server = await asyncio.start_server(
            self._serve_connection, self.config.host, self.config.port, backlog=4096,
            limit=64 * 1024)
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, close every connection and cancel every task."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._connections):
            connection.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        if self._state is not None:
            self._state.ticker.close()
        await server.wait_closed()

    def reset(self) -> None:
        """Reset the stats and the ``fail_times`` counts, as if the server were new."""
        self.stats.reset()
        if self._state is not None:
            self._state.fail_counts.clear()

    async def __aenter__(self) -> Self:
        """Start the server."""
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        """Stop the server."""
        await self.stop()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._own(task)
        return task

    def _own(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_connection(self, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until it closes or asks to."""
        task = asyncio.current_task()
        if task is not None:
            self._own(task)
        connection = Connection(reader, writer)
        self._connections.add(connection)
        try:
            await self._serve_until_closed(connection)
        except asyncio.CancelledError:
            if self._server is not None:
                raise
            # Stopping: end normally. Before Python 3.12.2 asyncio's own done-callback on this
            # task crashes when the task is cancelled (https://github.com/python/cpython/issues/113538).
        finally:
            self._connections.discard(connection)

    async def _serve_until_closed(self, connection: Connection) -> None:
        try:
            await self._serve_requests(connection)
        except HttpError as exc:
            body = _openai.error_body(exc.message, "invalid_request_error")
            connection.send_json(exc.status, body, keep_alive=False)
        except ConnectionError:
            pass
        finally:
            if self._server is None:
                connection.abort()
            else:
                await connection.close()

    async def _serve_requests(self, connection: Connection) -> None:
        while self._server is not None:
            request = await connection.read_request()
            if request is None:
                return
            self.stats.request_started()
            try:
                keep_alive = await self._answer(connection, request)
            finally:
                self.stats.request_finished()
            if not keep_alive:
                return

    async def _answer(self, connection: Connection, request: Request) -> bool:
        """Route one request; return whether the connection can serve another."""
        keep_alive = request.keep_alive
        service = _tool_apis.service_of(request.path)
        if service is not None:
            result = _tool_apis.answer(request, self.root_url)
            self.stats.record_tool_request(service, RecordedRequest(
                request.path, None, result.recorded, time.monotonic()))
            connection.send(result.status, result.body, keep_alive, result.content_type)
            return keep_alive
        if request.method == "GET" and request.path in _GET_ROUTES:
            connection.send_json(200, _GET_ROUTES[request.path](self.stats), keep_alive)
            return keep_alive
        if request.method == "GET" and request.path.startswith("/v1/models/"):
            model = request.path.removeprefix("/v1/models/")
            connection.send_json(200, _openai.model_entry(model), keep_alive)
            return keep_alive
        handler = _POST_ROUTES.get(request.path) or _gemini.handler_for(request.path)
        if handler is None or request.method != "POST":
            known = request.path in _POST_ROUTES or request.path in _GET_ROUTES
            status, message = (405, "Method not allowed.") if known else (
                404, f"Unknown request URL: {request.method} {request.path}.")
            connection.send_json(status, _openai.error_body(message, "invalid_request_error"),
                                 keep_alive)
            return keep_alive
        try:
            body = self._parse_body(request)
            assert self._state is not None
            return await handler(self._state, connection, request, body)
        except _handlers.RequestRejected as rejected:
            connection.send_json(rejected.status, rejected.body, keep_alive, rejected.headers)
            return keep_alive
        except ConnectionError:
            return False
        except Exception:  # noqa: BLE001  (logged: a simulator bug must not hang its client)
            _log.exception("simulator failed on %s %s", request.method, request.path)
            body = _openai.error_body("The simulator failed; see its log.", "server_error")
            connection.send_json(500, body, keep_alive=False)
            return False

    def _parse_body(self, request: Request) -> dict[str, Any]:
        """Parse and record a JSON request body.

        Raises:
            RequestRejected: The body is not a JSON object.
        """
        try:
            body = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict):
            message = ("We could not parse the JSON body of your request. The OpenAI API "
                       "expects a JSON payload.")
            raise _handlers.RequestRejected(400, _openai.error_body(
                message, "invalid_request_error"))
        model = body.get("model")
        self.stats.record(RecordedRequest(request.path, model if isinstance(model, str) else None,
                                          body, time.monotonic()))
        return body
