"""What the tool picker needs from the app: the crew's folder, its trust, the MCP tools.

`ToolHost` is the seam (tests pass `FixedToolHost`); `ServicesToolHost` is the app's: the
folder of the crew the designer shows (a CrewAI project's root, else the library crew's file
folder), whether the user trusts that folder's code (``Settings.project_trust``, the same key
the project opener uses), and the tools of the MCP servers in Settings. Listing those starts
or reaches each server, so the list is kept until the servers' settings change or the user
asks for it again (``fresh``); a server that fails is a warning naming it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from desktop_app.documents.tool_catalog import ToolEntry, mcp_entry
from desktop_app.storage.mcp_servers import ServerTools, list_configured_tools
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.ui.controllers.run_controller import PROJECT_ID_PREFIX
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.projects._trust import trust_key
from desktop_app.ui.widgets.protocols import ServicesLike

__all__ = ["FixedToolHost", "McpLister", "ServicesToolHost", "ToolContext", "ToolHost",
           "mcp_entries"]


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Where the picker looks for tools now.

    Attributes:
        folder: The crew's folder (its ``tools/`` are its own tools); None: never saved.
        trusted: The user trusts the code in ``folder`` (its tools may run).
        mcp_tools: The tools of the MCP servers in Settings (`mcp_entry`).
        warnings: What went wrong while listing them (a server that did not answer).
    """

    folder: Path | None = None
    trusted: bool = False
    mcp_tools: tuple[ToolEntry, ...] = ()
    warnings: tuple[str, ...] = ()


class ToolHost(Protocol):
    """The app side of the tool picker."""

    def folder(self) -> Path | None:
        """The crew's folder now (cheap: the picker asks at every document change)."""
        ...

    async def context(self, *, fresh: bool = False) -> ToolContext:
        """The crew's folder, its trust and the MCP tools; ``fresh`` lists the MCP servers'
        tools again instead of the kept list."""
        ...

    async def trust_folder(self, folder: Path) -> None:
        """Records that the user trusts the code in ``folder``."""
        ...


@dataclass(slots=True)
class FixedToolHost:
    """A host with a given context; `trust_folder` trusts it (for tests and previews)."""

    current: ToolContext = field(default_factory=ToolContext)

    def folder(self) -> Path | None:
        """The context's folder."""
        return self.current.folder

    async def context(self, *, fresh: bool = False) -> ToolContext:
        """The given context."""
        return self.current

    async def trust_folder(self, folder: Path) -> None:
        """Marks the context trusted when ``folder`` is its folder."""
        if folder == self.current.folder:
            self.current = ToolContext(folder, True, self.current.mcp_tools,
                                       self.current.warnings)


McpLister = Callable[[Settings, SecretStore], Awaitable[ServerTools]]
"""Asks the configured MCP servers for their tools (`list_configured_tools`)."""


def mcp_entries(settings: Settings, listed: ServerTools) -> tuple[ToolEntry, ...]:
    """The catalog entries of the tools the servers gave, with each server's needs."""
    servers = {server.name: server for server in settings.mcp_servers}
    entries = []
    for info in listed.tools:
        server = servers.get(info.server)
        entries.append(mcp_entry(
            info.server, info.name, info.description,
            key_name=server.keychain_name if server is not None and server.key_name else None,
            network=server is None or server.transport == "http" or server.network,
        ))
    return tuple(entries)


class ServicesToolHost:
    """The app's host: the designer's crew folder, the settings' trust, the MCP servers."""

    def __init__(
        self,
        services: ServicesLike,
        editor: CrewEditor,
        *,
        mcp_lister: McpLister = list_configured_tools,
    ) -> None:
        """Makes the host.

        Args:
            services: The app's services (settings, keychain, crew library).
            editor: The crew being designed (its id says where its folder is).
            mcp_lister: Asks the MCP servers for their tools.
        """
        self._services = services
        self._editor = editor
        self._mcp_lister = mcp_lister
        self._mcp_kept: tuple[str, tuple[ToolEntry, ...], tuple[str, ...]] | None = None

    def folder(self) -> Path | None:
        """The folder of the crew the designer shows (None for a crew never saved)."""
        crew_id = self._editor.crew_id
        if crew_id is not None and crew_id.startswith(PROJECT_ID_PREFIX):
            return Path(crew_id.removeprefix(PROJECT_ID_PREFIX))
        return self._services.library.base_dir_of(crew_id)

    async def context(self, *, fresh: bool = False) -> ToolContext:
        """The crew's folder, whether it is trusted, and the MCP tools (settings read in a
        worker thread; the servers asked only when their settings changed, or ``fresh``)."""
        settings = (await self._services.settings.aload()).settings
        folder = self.folder()
        trusted = folder is not None and settings.project_trust.get(trust_key(folder), False)
        tools, warnings = await self._mcp_tools(settings, fresh)
        return ToolContext(folder, trusted, tools, warnings)

    async def _mcp_tools(
        self, settings: Settings, fresh: bool
    ) -> tuple[tuple[ToolEntry, ...], tuple[str, ...]]:
        if not settings.mcp_servers:
            return (), ()
        servers = "\n".join(server.model_dump_json() for server in settings.mcp_servers)
        kept = self._mcp_kept
        if kept is None or kept[0] != servers or fresh:
            listed = await self._mcp_lister(settings, self._services.secrets)
            warnings = tuple(f"The MCP server '{name}' gave no tools: {problem}"
                             for name, problem in listed.problems.items())
            kept = self._mcp_kept = (servers, mcp_entries(settings, listed), warnings)
        return kept[1], kept[2]

    async def trust_folder(self, folder: Path) -> None:
        """Saves ``project_trust[folder] = True`` in the settings."""
        settings = (await self._services.settings.aload()).settings
        settings.project_trust = {**settings.project_trust, trust_key(folder): True}
        await self._services.save_settings(settings)
