"""The configured MCP servers with their keys: specs for runs, tool lists for the designer.

`Settings.mcp_servers` holds the servers (never a key); each key is in the keychain under
``mcp:<name>`` (`McpServer.keychain_name`). These helpers read the keys off the loop and
make the engine's `McpServerSpec`s: `server_specs` for building crews (a crew's tool named
``mcp:<server>/<tool>`` becomes `desktop_app.engine.mcp.tool_from_reference(name, specs)`),
and `list_configured_tools` for the tool picker (each server started or reached, asked
for its tools, and closed; a server that fails is reported, not fatal).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from desktop_app.documents import CrewDocument
from desktop_app.engine import register_secrets
from desktop_app.engine.mcp import REFERENCE_PREFIX, McpServerSpec, McpToolInfo, list_server_tools
from desktop_app.storage.secrets import SecretStore, SecretStoreError
from desktop_app.storage.settings import McpServer, Settings

__all__ = [
    "ServerTools",
    "list_configured_tools",
    "server_spec",
    "server_specs",
    "server_specs_blocking",
    "servers_for_document",
]


@dataclass(frozen=True)
class ServerTools:
    """What the configured servers offer: their tools, and why some gave none.

    Attributes:
        tools: Every tool of every server that answered, server by server.
        problems: The servers that failed, by name, with the reason (naming the server).
    """

    tools: list[McpToolInfo] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


async def server_spec(server: McpServer, secrets: SecretStore) -> McpServerSpec:
    """The engine's spec of one server, with its key from the keychain (read off the loop);
    the key is registered to be masked in every output.

    Raises:
        ValueError: The entry is incomplete; the message names it.
    """
    key: str | None = None
    if server.key_name:
        try:
            key = await secrets.aget(server.keychain_name)
        except SecretStoreError:
            key = None
    if key:
        register_secrets([key])
    return server.spec(key)


async def server_specs(settings: Settings, secrets: SecretStore) -> dict[str, McpServerSpec]:
    """Every configured server's spec, by name (an incomplete entry is left out)."""
    specs: dict[str, McpServerSpec] = {}
    for server in settings.mcp_servers:
        try:
            specs[server.name] = await server_spec(server, secrets)
        except ValueError:
            continue
    return specs


async def list_configured_tools(settings: Settings, secrets: SecretStore) -> ServerTools:
    """Asks every configured server for its tools, all at once (for the tool picker)."""
    result = ServerTools()

    async def one(server: McpServer) -> None:
        try:
            tools = await list_server_tools(await server_spec(server, secrets))
        except (ValueError, RuntimeError) as exc:  # McpError is a RuntimeError
            result.problems[server.name] = str(exc)
        else:
            result.tools.extend(tools)

    await asyncio.gather(*(one(server) for server in settings.mcp_servers))
    order = {server.name: index for index, server in enumerate(settings.mcp_servers)}
    result.tools.sort(key=lambda tool: order.get(tool.server, 0))
    return result


def server_specs_blocking(settings: Settings, secrets: SecretStore) -> dict[str, McpServerSpec]:
    """`server_specs` for a worker thread (the crew factory builds crews in one)."""
    specs: dict[str, McpServerSpec] = {}
    for server in settings.mcp_servers:
        key: str | None = None
        if server.key_name:
            try:
                key = secrets.get(server.keychain_name)
            except SecretStoreError:
                key = None
        if key:
            register_secrets([key])
        try:
            specs[server.name] = server.spec(key)
        except ValueError:
            continue
    return specs


def servers_for_document(document: CrewDocument) -> dict[str, McpServerSpec] | None:
    """The app's MCP servers with their keys, when the crew names an ``mcp:`` tool (for
    `crewdesk run`, before its event loop starts: keychain calls may block); None otherwise,
    so a crew without MCP tools never reads the settings.
    """
    named = any(tool.startswith(REFERENCE_PREFIX) for agent in document.agents
                for tool in agent.tools)
    if not named:
        return None
    from desktop_app.storage.paths import AppPaths
    from desktop_app.storage.settings import SettingsStore

    settings = SettingsStore(AppPaths.from_env()).load().settings
    return server_specs_blocking(settings, SecretStore())
