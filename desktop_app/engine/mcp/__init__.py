"""Tools of MCP (Model Context Protocol) servers, through the official `mcp` SDK.

A server is an `McpServerSpec`: a local command over stdio (run inside the OS sandbox,
see `_stdio`), or a streamable HTTP (or SSE) URL. Its tools become `McpTool`s, engine
`BaseTool`s that ask for approval as kind "mcp". A run owns its connections (`run_scope`):
each server is opened once per run, when the run starts, and closed (a stdio server
killed) when it ends. Each connection lives in a thread of its own, so one session serves
calls from any loop (see `_connection`).

Names: a crew document names a server's tool ``mcp:<server>/<tool>`` (`tool_reference`);
the model calls it ``<server>_<tool>``. The `mcp` SDK (about 1 s to import) loads only in a
connection's thread, when a server is first reached.
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop_app.engine.mcp._config import (
    REFERENCE_PREFIX,
    McpError,
    McpServerSpec,
    McpToolInfo,
    Transport,
    parse_reference,
    tool_function_name,
)
from desktop_app.engine.mcp._connection import McpConnection
from desktop_app.engine.mcp._crewai_forms import mcps_tools, spec_of, specs_of
from desktop_app.engine.mcp._listing import list_server_tools, prepare_run
from desktop_app.engine.mcp._scope import (
    McpScope,
    close_run_scope,
    current_scope,
    open_run_scope,
    run_scope,
)
from desktop_app.engine.mcp._tool import McpTool

__all__ = [
    "REFERENCE_PREFIX",
    "McpConnection",
    "McpError",
    "McpScope",
    "McpServerSpec",
    "McpTool",
    "McpToolInfo",
    "Transport",
    "close_run_scope",
    "current_scope",
    "list_server_tools",
    "mcps_tools",
    "open_run_scope",
    "parse_reference",
    "prepare_run",
    "run_scope",
    "spec_of",
    "specs_of",
    "tool_from_reference",
    "tool_function_name",
]


def tool_from_reference(reference: str, servers: Mapping[str, McpServerSpec]) -> McpTool:
    """The tool a crew document names ``mcp:<server>/<tool>``, from the configured servers.

    Its description and schema are filled in when its run starts (the server is asked then).

    Raises:
        ValueError: The name is malformed, or no server of that name is configured; the
            message names it and the servers there are.
    """
    server, tool = parse_reference(reference)
    spec = servers.get(server)
    if spec is None:
        there = ", ".join(sorted(servers)) or "none"
        raise ValueError(f"the tool '{reference}' needs the MCP server '{server}', which is not "
                         f"configured (Settings › MCP servers; configured: {there})")
    return McpTool(spec=spec, remote_name=tool)
