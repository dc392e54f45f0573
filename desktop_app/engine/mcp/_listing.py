"""Asking servers for their tools: once per run at its start, or on demand.

Lists are kept per server (`remember`/`known`) for the process, so that the synchronous
places that build a run's tool list (`Agent.all_tools`) find them without asking again;
each run's start asks again (`prepare_run`), so a server's changed tools show in the next
run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from desktop_app.engine.mcp._config import McpServerSpec, McpToolInfo
from desktop_app.engine.mcp._connection import McpConnection
from desktop_app.engine.mcp._scope import McpScope, current_scope

_lock = threading.Lock()
_known: dict[tuple[object, ...], list[McpToolInfo]] = {}


def remember(spec: McpServerSpec, tools: list[McpToolInfo]) -> None:
    """Keeps a server's tool list."""
    with _lock:
        _known[spec.key()] = list(tools)


def known(spec: McpServerSpec) -> list[McpToolInfo] | None:
    """The server's tools as last listed, or None."""
    with _lock:
        tools = _known.get(spec.key())
    return None if tools is None else list(tools)


async def list_server_tools(spec: McpServerSpec) -> list[McpToolInfo]:
    """Connects to the server, lists its tools, and disconnects (a stdio server is started
    in the sandbox and stopped). For the settings page's "Test" and the tool picker.

    Raises:
        McpError: The server could not be started, reached or asked; names the server.
    """
    connection = McpConnection(spec)
    try:
        tools = await connection.list_tools()
    finally:
        await connection.aclose()
    remember(spec, tools)
    return tools


def tools_blocking(spec: McpServerSpec) -> list[McpToolInfo]:
    """The server's tools: remembered, else asked (through the run's connection when in a
    run, else a connection of its own), blocking.

    Raises:
        McpError: The server could not be asked.
    """
    tools = known(spec)
    if tools is not None:
        return tools
    scope = current_scope()
    connection = scope.connection(spec) if scope is not None else McpConnection(spec)
    try:
        tools = connection.list_tools_blocking()
    finally:
        if scope is None:
            connection.close()
    remember(spec, tools)
    return tools


async def prepare_run(scope: McpScope, agents: Iterable[Any], tasks: Iterable[Any]) -> None:
    """Opens the servers of a run's MCP tools and agents' `mcps` together, lists their
    tools, and describes the tools named without a schema (from a crew document).

    Raises:
        McpError: A server could not be started or asked.
    """
    from desktop_app.engine.mcp._crewai_forms import specs_of
    from desktop_app.engine.mcp._tool import McpTool

    tools: list[McpTool] = []
    specs: list[McpServerSpec] = []
    for owner in [*agents, *tasks]:
        tools += [tool for tool in getattr(owner, "tools", None) or [] if isinstance(tool, McpTool)]
        specs += [spec for spec, _ in specs_of(getattr(owner, "mcps", None) or [], warn=False)]
    specs += [tool.spec for tool in tools if tool._connection is None]
    if not specs:
        return
    listed = await scope.tools(specs)
    by_key = {key: tools_of for key, tools_of in listed.items()}
    for spec in specs:
        remember(spec, by_key[spec.key()])
    _describe(tools)  # the lists are remembered now: nothing blocks


def _describe(tools: list[Any]) -> None:
    for tool in tools:
        tool.ensure_described()
