"""`crewai_tools.MCPServerAdapter`: an MCP server's tools, with a connection the caller owns.

As crewai-tools', it connects when made (`connect_timeout`), offers the server's tools as
`.tools` (or as the value of `with MCPServerAdapter(...) as tools:`), optionally only the
named ones, and `stop()` (or leaving the `with` block) disconnects; a stdio server is then
stopped. The server runs inside CrewDesk's sandbox (see `desktop_app.engine.mcp`).
`serverparams` is the SDK's `StdioServerParameters` (`from mcp import StdioServerParameters`)
or a dict: ``{"url": ..., "transport": "streamable-http" | "sse", "headers": {...}}`` or
``{"command": ..., "args": [...], "env": {...}}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, SupportsIndex, overload

from desktop_app.engine.mcp import McpConnection, McpServerSpec, McpTool
from desktop_app.engine.mcp._crewai_forms import stdio_params, url_server_name
from desktop_app.engine.tools import BaseTool


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


class ToolCollection(list[BaseTool]):
    """A list of tools that can also be read by tool name (`tools["add"]`)."""

    @overload
    def __getitem__(self, key: SupportsIndex) -> BaseTool: ...
    @overload
    def __getitem__(self, key: slice) -> list[BaseTool]: ...
    @overload
    def __getitem__(self, key: str) -> BaseTool: ...

    def __getitem__(self, key: SupportsIndex | slice | str) -> Any:
        if isinstance(key, str):
            for tool in self:
                if tool.name in (key, _clean(key)):
                    return tool
            raise KeyError(f"no tool named {key!r}; tools: {[t.name for t in self]}")
        return super().__getitem__(key)

    def filter_by_names(self, names: Iterable[str] | None) -> ToolCollection:
        """Only the named tools (all when `names` is None or empty)."""
        wanted = {_clean(name) for name in names or ()}
        return ToolCollection(t for t in self if not wanted or t.name in wanted)


def adapter_spec(params: Any, timeout: float) -> McpServerSpec:
    """The server spec of crewai-tools' `serverparams`.

    Raises:
        ValueError: The parameters name neither a command nor a URL.
    """
    fields: Mapping[str, Any] = stdio_params(params)
    command, url = fields.get("command"), fields.get("url")
    if isinstance(command, str) and command:
        args = [str(a) for a in fields.get("args") or []]
        name = _clean(f"{command}_{'_'.join(args)}")
        return McpServerSpec(name=name, transport="stdio", command=(command, *args),
                             env=dict(fields.get("env") or {}), connect_timeout=timeout)
    if isinstance(url, str) and url:
        sse = fields.get("transport") == "sse"
        return McpServerSpec(name=url_server_name(url), transport="sse" if sse else "http", url=url,
                             headers=dict(fields.get("headers") or {}), connect_timeout=timeout)
    raise ValueError(f"MCPServerAdapter: {params!r} names neither a command (stdio) nor a url")


class MCPServerAdapter:
    """Connects to one MCP server and gives its tools (crewai-tools' adapter)."""

    def __init__(self, serverparams: Any, *tool_names: str, connect_timeout: int = 30) -> None:
        self._spec = adapter_spec(serverparams, float(connect_timeout))
        self._tool_names: Sequence[str] = tool_names
        self._connection = McpConnection(self._spec)
        try:
            infos = self._connection.list_tools_blocking()
        except Exception as exc:
            self._connection.close()
            raise RuntimeError(f"Failed to initialize MCP Adapter: {exc}") from exc
        self._tools = ToolCollection(
            McpTool.from_info(self._spec, info, name=_clean(info.name)).bind(self._connection)
            for info in infos
        )

    def start(self) -> None:
        """Connects (done when the adapter is made; kept for crewai-tools' API)."""
        self._connection.start()

    def stop(self) -> None:
        """Disconnects, stopping a stdio server."""
        self._connection.close()

    @property
    def tools(self) -> ToolCollection:
        """The server's tools (only those named when the adapter was made, if any).

        Raises:
            ValueError: A named tool is not on the server.
        """
        if self._tool_names:
            missing = [n for n in self._tool_names if _clean(n) not in {t.name for t in self._tools}]
            if missing:
                raise ValueError(f"MCP server tools not found: {missing}; the server has "
                                 f"{[t.name for t in self._tools]}")
        return self._tools.filter_by_names(self._tool_names)

    def __enter__(self) -> ToolCollection:
        try:
            return self.tools
        except ValueError:
            self.stop()  # `with` will not call __exit__: the server must not outlive this
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
