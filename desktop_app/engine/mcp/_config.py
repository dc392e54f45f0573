"""What CrewDesk needs to know about one MCP server, and what it says about its tools.

Stdlib (and the engine's secret mask) only: the settings, the designer and `import desktop_app.engine` read these without
loading the `mcp` SDK (about 1 s to import), which only `_connection` imports, in the
connection's own thread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from desktop_app.engine._secrets_mask import register_secrets

Transport: TypeAlias = Literal["stdio", "http", "sse"]
"""How CrewDesk talks to the server: a local command over stdin/stdout, streamable HTTP,
or the older HTTP + server-sent events transport."""

_KEYISH = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|AUTH", re.IGNORECASE)

REFERENCE_PREFIX = "mcp:"
"""How a crew document names an MCP tool: ``mcp:<server>/<tool>``."""


class McpError(RuntimeError):
    """An MCP server could not be started, reached, or asked; the message names the server."""


@dataclass(frozen=True)
class McpServerSpec:
    """One MCP server.

    Attributes:
        name: The server's name (settings, tool names, approval prompts).
        transport: "stdio", "http" (streamable HTTP) or "sse".
        command: The program and its arguments (stdio).
        url: The endpoint (http, sse).
        headers: HTTP headers to send (http, sse); a key goes here.
        env: Extra environment of a stdio server; a key goes here. Nothing else of
            CrewDesk's environment reaches it.
        network: A stdio server may reach the network (it never may otherwise).
        read_paths: Extra files or folders a stdio server may read (beside its command's
            prefix and the files its arguments name).
        connect_timeout: Seconds to start, connect and list the tools.
        call_timeout: Seconds one tool call may take.
    """

    name: str
    transport: Transport = "stdio"
    command: tuple[str, ...] = ()
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    network: bool = False
    read_paths: tuple[str, ...] = ()
    connect_timeout: float = 30.0
    call_timeout: float = 120.0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an MCP server needs a name")
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"MCP server '{self.name}': a stdio server needs a command")
        if self.transport in ("http", "sse") and not re.match(r"https?://", self.url):
            raise ValueError(
                f"MCP server '{self.name}': the URL must start with http:// or https:// "
                f"(got {self.url!r})"
            )
        register_secrets(self.secrets())

    def secrets(self) -> list[str]:
        """The keys it carries (header values, a scheme's token, variables named like a
        key), masked in every output once the spec exists."""
        found = [value.split(" ", 1)[-1] for value in self.headers.values()]
        found += list(self.headers.values())
        found += [value for name, value in self.env.items() if _KEYISH.search(name)]
        return found

    def key(self) -> tuple[object, ...]:
        """What makes two specs the same server (they share one connection in a run)."""
        return (self.name, self.transport, self.command, self.url,
                tuple(sorted(self.headers.items())), tuple(sorted(self.env.items())),
                self.network, self.read_paths)

    def where(self) -> str:
        """The command or URL, for messages."""
        return " ".join(self.command) if self.transport == "stdio" else self.url


@dataclass(frozen=True)
class McpToolInfo:
    """One tool a server offers (what the designer's tool picker lists).

    Attributes:
        server: The server's name.
        name: The tool's name on the server.
        description: What it does, from the server.
        input_schema: Its arguments as JSON schema, from the server.
    """

    server: str
    name: str
    description: str
    input_schema: Mapping[str, object]

    @property
    def reference(self) -> str:
        """How a crew document names it: ``mcp:<server>/<tool>``."""
        return f"{REFERENCE_PREFIX}{self.server}/{self.name}"


def parse_reference(reference: str) -> tuple[str, str]:
    """Splits ``mcp:<server>/<tool>`` into the server's and the tool's names.

    Raises:
        ValueError: `reference` is not of that form; the message names it.
    """
    body = reference.removeprefix(REFERENCE_PREFIX)
    server, _, tool = body.rpartition("/")
    if not reference.startswith(REFERENCE_PREFIX) or not server or not tool:
        raise ValueError(f"'{reference}' is no MCP tool name: write mcp:<server>/<tool>")
    return server, tool


def tool_function_name(server: str, tool: str) -> str:
    """The name the model calls a server's tool by: ``<server>_<tool>``, cleaned as
    providers want it (CrewAI prefixes the server the same way)."""
    server = re.sub(r"[^A-Za-z0-9_-]", "_", server)
    tool = re.sub(r"[^A-Za-z0-9_-]", "_", tool)[:48]
    if not server[:1].isalpha():
        server = "mcp_" + server
    return f"{server[: 63 - len(tool)]}_{tool}"  # a long server name is cut, never the tool's
