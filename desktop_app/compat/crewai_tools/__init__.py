"""`crewai_tools`: CrewDesk's working equivalents of the most used CrewAI tools.

`SerperDevTool`, `ScrapeWebsiteTool`, `FileReadTool`, the RAG search tools... come from
`desktop_app.engine.toolkit`, with crewai-tools' constructor arguments; `MCPServerAdapter`
gives an MCP server's tools (`_mcp_adapter`). `BaseTool` and `tool`
are here too, as older projects import them from `crewai_tools`. Any other name raises an
`ImportError` naming the tool and how to replace it (a `@tool` function), never a tool
silently missing from an agent.
"""

from __future__ import annotations

from desktop_app.compat.crewai.tools.base_tool import BaseTool, tool
from desktop_app.compat.crewai_tools._mcp_adapter import MCPServerAdapter, ToolCollection
from desktop_app.engine.toolkit import *  # noqa: F403  # the toolkit's __all__ is this surface
from desktop_app.engine.toolkit import __all__ as _toolkit_names
from desktop_app.engine.toolkit.unsupported import unsupported_tool_error


def __getattr__(name: str) -> object:
    if name.startswith("_"):
        raise AttributeError(f"module 'crewai_tools' has no attribute {name!r}")
    raise unsupported_tool_error(name)


__all__ = [*_toolkit_names, "BaseTool", "MCPServerAdapter", "ToolCollection", "tool"]  # noqa: PLE0604
