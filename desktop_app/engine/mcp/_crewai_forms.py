"""CrewAI's ways to name MCP servers, as server specs: `Agent(mcps=[...])` and
`MCPServerAdapter(serverparams)`.

`Agent.mcps` holds URL strings (``"https://host/mcp"``, ``"https://host/mcp#tool"`` for one
tool) and config objects (`crewai.mcp`'s `MCPServerStdio(command, args, env)`,
`MCPServerHTTP(url, headers)`, `MCPServerSSE(url, headers)`, each with an optional
`tool_filter`). They are read by their fields, so the engine needs no compat import. Names
follow CrewAI's: a URL's host and path, or a command and its arguments; tools are called
``<server>_<tool>``. CrewAI AMP references (``"crewai-amp:notion"``, ``"notion"``) need
CrewAI's cloud and are not supported: each warns, naming it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.engine.mcp._config import McpServerSpec, McpToolInfo

ToolFilter = Callable[[McpToolInfo], bool]


def _letter_first(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return cleaned if cleaned[:1].isalpha() else f"mcp_{cleaned}"


def url_server_name(url: str) -> str:
    """CrewAI's server name of a URL: host and path, with `.` and `/` as `_`."""
    parsed = urlparse(url)
    domain = parsed.netloc.rpartition("@")[2].replace(".", "_")
    path = parsed.path.replace("/", "_").strip("_")
    return _letter_first(f"{domain}_{path}" if path else domain)


def _only(names: set[str] | None) -> ToolFilter | None:
    return None if names is None else (lambda info: info.name in names)


def _object_filter(entry: Any) -> ToolFilter | None:
    """A config object's `tool_filter` (CrewAI's: called with the tool as a dict, or with a
    context and the tool), as a filter of `McpToolInfo`."""
    given = getattr(entry, "tool_filter", None)
    if given is None:
        return None
    two = len(inspect.signature(given).parameters) >= 2 if callable(given) else False

    def keep(info: McpToolInfo) -> bool:
        tool = {"name": info.name, "description": info.description,
                "inputSchema": dict(info.input_schema)}
        return bool(given(None, tool) if two else given(tool))

    return keep


def spec_of(entry: Any, *, timeout: float = 30.0) -> tuple[McpServerSpec, ToolFilter | None] | None:
    """The spec (and tool filter) of one `mcps` entry; None for a form CrewDesk lacks."""
    if isinstance(entry, str):
        if not re.match(r"https?://", entry):
            return None
        url, _, wanted = entry.partition("#")
        spec = McpServerSpec(name=url_server_name(url), transport="http", url=url,
                             connect_timeout=timeout)
        return spec, _only({wanted} if wanted else None)
    command = getattr(entry, "command", None)
    if isinstance(command, str) and command:
        args = [str(a) for a in getattr(entry, "args", None) or []]
        env = dict(getattr(entry, "env", None) or {})
        name = _letter_first(f"{command}_{'_'.join(args)}")
        spec = McpServerSpec(name=name, transport="stdio", command=(command, *args), env=env,
                             connect_timeout=timeout)
        return spec, _object_filter(entry)
    address = getattr(entry, "url", None)
    if isinstance(address, str) and address:
        url = address
        sse = "SSE" in type(entry).__name__ or getattr(entry, "streamable", True) is False
        headers = dict(getattr(entry, "headers", None) or {})
        spec = McpServerSpec(name=url_server_name(url), transport="sse" if sse else "http",
                             url=url, headers=headers, connect_timeout=timeout)
        return spec, _object_filter(entry)
    return None


def specs_of(entries: Iterable[Any], *, warn: bool = True) -> list[tuple[McpServerSpec, ToolFilter | None]]:
    """The specs of an agent's `mcps`; each entry CrewDesk cannot use warns, naming it."""
    found: list[tuple[McpServerSpec, ToolFilter | None]] = []
    for entry in entries:
        made = spec_of(entry)
        if made is not None:
            found.append(made)
        elif warn:
            import warnings

            warnings.warn(IgnoredSettingWarning(
                f"mcps entry {entry!r} is not supported by CrewDesk and is ignored (CrewAI AMP "
                "references need CrewAI's cloud; give an https:// URL or an MCPServerStdio / "
                "MCPServerHTTP / MCPServerSSE from crewai.mcp)"), stacklevel=3)
    return found


def mcps_tools(entries: Iterable[Any]) -> list[Any]:
    """The tools of an agent's `mcps` (listing servers not listed yet, blocking)."""
    from desktop_app.engine.mcp._listing import tools_blocking
    from desktop_app.engine.mcp._tool import McpTool

    tools: list[Any] = []
    for spec, keep in specs_of(entries, warn=False):
        infos = tools_blocking(spec)
        tools += [McpTool.from_info(spec, info) for info in infos if keep is None or keep(info)]
    return tools


def stdio_params(params: Any) -> Mapping[str, Any]:
    """The fields of the SDK's `StdioServerParameters` (or a dict of them)."""
    if isinstance(params, Mapping):
        return params
    return {"command": getattr(params, "command", None), "args": getattr(params, "args", None),
            "env": getattr(params, "env", None), "url": getattr(params, "url", None),
            "headers": getattr(params, "headers", None),
            "transport": getattr(params, "transport", None)}
