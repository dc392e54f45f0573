"""Which connections a run owns: opened at its start (or at first use), closed at its end.

`run_scope()` wraps a run (`_run.execute`): it sets the run's `McpScope` in a context
variable, which the run's tasks, worker threads and their loops inherit; an `McpTool`
called in the run takes its server's connection from there, so one run opens each server
once, and the run's end closes every connection it opened, killing stdio servers. Before
the first task, `prepare` opens the servers of the run's MCP tools and agents' `mcps`
together and fills in the tools' schemas, so that building the run's tool list never
blocks. Outside any run a tool opens a connection for one call.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import AsyncIterator, Iterable

from desktop_app.engine.mcp._config import McpServerSpec, McpToolInfo
from desktop_app.engine.mcp._connection import McpConnection

_current: contextvars.ContextVar[McpScope | None] = contextvars.ContextVar(
    "crewdesk_mcp_scope", default=None
)


class McpScope:
    """The connections of one run, by server."""

    def __init__(self) -> None:
        self._connections: dict[tuple[object, ...], McpConnection] = {}
        self._lock = threading.Lock()

    def connection(self, spec: McpServerSpec) -> McpConnection:
        """The run's connection to `spec`'s server, started at first use."""
        with self._lock:
            connection = self._connections.get(spec.key())
            if connection is None:
                connection = self._connections[spec.key()] = McpConnection(spec)
        connection.start()
        return connection

    async def tools(self, specs: Iterable[McpServerSpec]) -> dict[tuple[object, ...], list[McpToolInfo]]:
        """Every given server's tools, listed at once (the servers start together).

        Raises:
            McpError: A server could not be started or asked (the first such error).
        """
        unique = {spec.key(): spec for spec in specs}
        listed = await asyncio.gather(
            *(self.connection(spec).list_tools() for spec in unique.values())
        )
        return dict(zip(unique, listed, strict=True))

    async def aclose(self) -> None:
        """Closes every connection (in parallel), stopping stdio servers."""
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        await asyncio.gather(*(connection.aclose() for connection in connections))


def current_scope() -> McpScope | None:
    """The running run's scope, or None outside a run."""
    return _current.get()


@contextlib.asynccontextmanager
async def run_scope() -> AsyncIterator[McpScope]:
    """A fresh scope for one run, closed (with its servers) when the run ends."""
    scope = McpScope()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        await scope.aclose()


def open_run_scope() -> tuple[McpScope, contextvars.Token[McpScope | None]]:
    """`run_scope` for code that cannot wrap itself in `async with`: opens a scope and makes
    it the current one; give the pair to `close_run_scope` when the run ends."""
    scope = McpScope()
    return scope, _current.set(scope)


async def close_run_scope(opened: tuple[McpScope, contextvars.Token[McpScope | None]]) -> None:
    """Ends a scope from `open_run_scope`: closes its connections, stopping stdio servers."""
    scope, token = opened
    _current.reset(token)
    await scope.aclose()
