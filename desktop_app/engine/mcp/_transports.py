"""Opening the SDK's transport for a server spec: sandboxed stdio, streamable HTTP or SSE.

Imported only in a connection's thread (it imports the `mcp` SDK).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from desktop_app.engine.mcp._config import McpServerSpec
from desktop_app.engine.mcp._stdio import ServerProcess, Streams, sandboxed_stdio


@contextlib.asynccontextmanager
async def open_transport(spec: McpServerSpec, server: list[ServerProcess]) -> AsyncIterator[Any]:
    """Yields the read and write streams of a session with `spec`'s server.

    Args:
        spec: The server.
        server: Receives a stdio server's `ServerProcess` once it is started.
    """
    if spec.transport == "stdio":
        async with sandboxed_stdio(spec, server) as streams:
            yield streams
    elif spec.transport == "sse":
        from mcp.client.sse import sse_client

        async with sse_client(spec.url, headers=dict(spec.headers),
                              timeout=spec.connect_timeout) as streams:
            yield streams
    else:
        async with _streamable_http(spec) as streams:
            yield streams


@contextlib.asynccontextmanager
async def _streamable_http(spec: McpServerSpec) -> AsyncIterator[Streams]:
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with create_mcp_http_client(headers=dict(spec.headers)) as client, \
            streamable_http_client(spec.url, http_client=client) as streams:
        yield streams  # type: ignore[misc]
