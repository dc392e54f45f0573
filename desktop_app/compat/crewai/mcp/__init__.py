"""`crewai.mcp`: CrewAI's MCP server configs for `Agent(mcps=[...])`, and its tool filters.

The configs are plain data; the engine reads their fields (`desktop_app.engine.mcp`), runs a
stdio server inside the OS sandbox (no network, only its command's files readable) and
opens every server when a run starts and closes it when the run ends. CrewAI's
`MCPClient`, `MCPToolResolver` and transports are not provided: the engine does that work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from desktop_app.compat._unsupported import unsupported_name

ToolFilter = Callable[..., bool]


class ToolFilterContext(BaseModel):
    """What a dynamic tool filter is told (CrewAI's fields; CrewDesk passes None)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    agent: Any = None
    server_name: str = ""
    run_context: dict[str, Any] | None = None


class StaticToolFilter:
    """Keeps the allowed tools (all when none are named) minus the blocked ones."""

    def __init__(
        self,
        allowed_tool_names: list[str] | None = None,
        blocked_tool_names: list[str] | None = None,
    ) -> None:
        self.allowed_tool_names = set(allowed_tool_names or [])
        self.blocked_tool_names = set(blocked_tool_names or [])

    def __call__(self, tool: dict[str, Any]) -> bool:
        name = str(tool.get("name", ""))
        if name in self.blocked_tool_names:
            return False
        return not self.allowed_tool_names or name in self.allowed_tool_names


def create_static_tool_filter(
    allowed_tool_names: list[str] | None = None,
    blocked_tool_names: list[str] | None = None,
) -> Callable[[dict[str, Any]], bool]:
    """CrewAI's `create_static_tool_filter`."""
    return StaticToolFilter(allowed_tool_names, blocked_tool_names)


def create_dynamic_tool_filter(
    filter_func: Callable[[Any, dict[str, Any]], bool],
) -> Callable[[Any, dict[str, Any]], bool]:
    """CrewAI's `create_dynamic_tool_filter`: the function itself (called with a context,
    None in CrewDesk, and the tool)."""
    return filter_func


class MCPServerStdio(BaseModel):
    """A local server run as a command (inside CrewDesk's sandbox)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None
    tool_filter: Any = None
    cache_tools_list: bool = False


class MCPServerHTTP(BaseModel):
    """A remote server over streamable HTTP."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    url: str
    headers: dict[str, str] | None = None
    streamable: bool = True
    tool_filter: Any = None
    cache_tools_list: bool = False


class MCPServerSSE(BaseModel):
    """A remote server over HTTP with server-sent events."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    url: str
    headers: dict[str, str] | None = None
    tool_filter: Any = None
    cache_tools_list: bool = False


MCPServerConfig = MCPServerStdio | MCPServerHTTP | MCPServerSSE


def __getattr__(name: str) -> object:
    if name.startswith("_"):
        raise AttributeError(f"module 'crewai.mcp' has no attribute {name!r}")
    raise unsupported_name(__name__, name)


__all__ = [
    "MCPServerConfig",
    "MCPServerHTTP",
    "MCPServerSSE",
    "MCPServerStdio",
    "StaticToolFilter",
    "ToolFilter",
    "ToolFilterContext",
    "create_dynamic_tool_filter",
    "create_static_tool_filter",
]
