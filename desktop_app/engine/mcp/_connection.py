"""One open session with one MCP server, living in a thread of its own.

The SDK's session is built on anyio: its cancel scopes must be entered and left in the
same task, and its streams belong to the loop that made them. A run, though, may call a
tool from the app's loop, from the blocking path's private loop, or from an async task's
worker-thread loop. So each connection owns a thread with its own loop, and one task in
it (`_serve`) opens the transport and the session, waits until asked to stop, and closes
them: the session's whole life is inside that one task. Calls from any loop or thread are
handed to that loop (`run_coroutine_threadsafe`) and awaited there; cancelling the caller
cancels the call. `close` stops the task, which stops a stdio server and its sandbox.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from desktop_app.engine.mcp._config import McpError, McpServerSpec, McpToolInfo

if TYPE_CHECKING:
    from mcp import ClientSession

T = TypeVar("T")
_CLOSE_WAIT_S = 10.0


class McpConnection:
    """A session with one server, opened by `start` and closed by `close`/`aclose`."""

    def __init__(self, spec: McpServerSpec) -> None:
        self.spec = spec
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: ClientSession | None = None
        self._server: list[Any] = []
        self._thread = threading.Thread(
            target=self._main, name=f"crewdesk-mcp-{spec.name}", daemon=True
        )
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Starts the thread that opens the session (once; later calls do nothing)."""
        with self._lock:
            if not self._started:
                self._started = True
                self._thread.start()

    @property
    def server_pid_folder(self) -> str | None:
        """The stdio server's sandbox folder, once started (tests look for its processes)."""
        return self._server[0].folder if self._server else None

    async def list_tools(self) -> list[McpToolInfo]:
        """The server's tools (every page)."""
        return await self._call(self._list_tools)

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """Calls a tool; returns its result as text and whether the server flagged an error."""
        return await self._call(lambda: self._call_tool(name, arguments))

    def list_tools_blocking(self) -> list[McpToolInfo]:
        """`list_tools`, for synchronous code (not on this connection's own thread)."""
        self.start()
        self._wait_ready_blocking()
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._list_tools(), self._loop)
        return future.result(self.spec.connect_timeout + 5)

    def call_tool_blocking(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """`call_tool`, for synchronous code (not on this connection's own thread)."""
        self.start()
        self._wait_ready_blocking()
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._call_tool(name, arguments), self._loop)
        return future.result(self.spec.call_timeout + 5)

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        self.start()
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._ready), self.spec.connect_timeout)
        except TimeoutError:
            raise McpError(
                f"MCP server '{self.spec.name}' did not answer within "
                f"{self.spec.connect_timeout:g} s ({self.spec.where()}){self._said()}"
            ) from None
        assert self._loop is not None

        async def run() -> T:
            return await make()

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return await asyncio.wrap_future(future)

    def _wait_ready_blocking(self) -> None:
        try:
            self._ready.result(self.spec.connect_timeout)
        except concurrent.futures.TimeoutError:
            raise McpError(f"MCP server '{self.spec.name}' did not answer within "
                           f"{self.spec.connect_timeout:g} s{self._said()}") from None

    async def _list_tools(self) -> list[McpToolInfo]:
        session = self._live_session()
        tools: list[McpToolInfo] = []
        cursor: str | None = None
        while True:
            params = None
            if cursor is not None:
                from mcp_types import PaginatedRequestParams

                params = PaginatedRequestParams(cursor=cursor)
            page = await asyncio.wait_for(session.list_tools(params=params),
                                          self.spec.connect_timeout)
            tools += [McpToolInfo(self.spec.name, tool.name, tool.description or "",
                                  dict(tool.input_schema or {})) for tool in page.tools]
            cursor = page.next_cursor
            if not cursor:
                return tools

    async def _call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        from desktop_app.engine.mcp._results import result_text

        session = self._live_session()
        try:
            result = await session.call_tool(name, arguments,
                                             read_timeout_seconds=self.spec.call_timeout)
        except Exception as exc:
            if isinstance(exc, McpError):
                raise
            raise McpError(f"MCP server '{self.spec.name}', tool '{name}': "
                           f"{exc or type(exc).__name__}{self._said()}") from exc
        return result_text(result)

    def _live_session(self) -> ClientSession:
        if self._session is None:
            raise McpError(f"MCP server '{self.spec.name}' is closed{self._said()}")
        return self._session

    def _said(self) -> str:
        return self._server[0].said() if self._server else ""

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        """The connection's one task: opens, waits for `close`, closes."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._task = asyncio.current_task()
        try:
            async with self._open() as session:
                self._session = session
                self._ready.set_result(None)
                await self._stop.wait()
        except BaseException as exc:  # noqa: BLE001 - handed to the callers waiting
            error = exc if isinstance(exc, McpError) else McpError(
                f"MCP server '{self.spec.name}' could not be reached ({self.spec.where()}): "
                f"{_reason(exc)}{self._said()}"
            )
            if not self._ready.done():
                self._ready.set_exception(error)
        finally:
            self._session = None
            if not self._ready.done():
                self._ready.set_exception(McpError(f"MCP server '{self.spec.name}' closed"))

    @contextlib.asynccontextmanager
    async def _open(self) -> AsyncIterator[ClientSession]:
        from mcp import ClientSession

        from desktop_app.engine.mcp._transports import open_transport

        async with open_transport(self.spec, self._server) as (read, write), \
                ClientSession(read, write) as session:
            await asyncio.wait_for(session.initialize(), self.spec.connect_timeout)
            yield session

    def close(self) -> None:
        """Closes the session (and stops a stdio server); waits for it, blocking."""
        if not self._started:
            return
        with contextlib.suppress(concurrent.futures.TimeoutError):
            self._ready.exception(_CLOSE_WAIT_S)  # waits for the opening to end, either way
        loop, stop, task = self._loop, self._stop, self._task
        if loop is not None and stop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set if self._ready.done() else task.cancel)
        self._thread.join(_CLOSE_WAIT_S)

    async def aclose(self) -> None:
        """`close`, without blocking the loop."""
        await asyncio.to_thread(self.close)


def _reason(exc: BaseException) -> str:
    """The innermost useful message of an error (anyio wraps them in exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__
