"""What the tool picker needs from the app: the crew's folder, its trust, the MCP tools.

`ToolHost` is the seam (tests pass `FixedToolHost`); `ServicesToolHost` is the app's: the
folder of the crew the designer shows (a CrewAI project's root, else the library crew's file
folder), whether the user trusts that folder's code (``Settings.project_trust``, the same key
the project opener uses), and the MCP servers' tools.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from desktop_app.documents.tool_catalog import ToolEntry
from desktop_app.storage.settings import Settings
from desktop_app.ui.controllers.run_controller import PROJECT_ID_PREFIX
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.projects._trust import trust_key
from desktop_app.ui.widgets.protocols import ServicesLike

__all__ = ["FixedToolHost", "ServicesToolHost", "ToolContext", "ToolHost"]


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Where the picker looks for tools now.

    Attributes:
        folder: The crew's folder (its ``tools/`` are its own tools); None: never saved.
        trusted: The user trusts the code in ``folder`` (its tools may run).
        mcp_tools: The tools of the MCP servers in Settings (`mcp_entry`).
    """

    folder: Path | None = None
    trusted: bool = False
    mcp_tools: tuple[ToolEntry, ...] = ()


class ToolHost(Protocol):
    """The app side of the tool picker."""

    def folder(self) -> Path | None:
        """The crew's folder now (cheap: the picker asks at every document change)."""
        ...

    async def context(self) -> ToolContext:
        """The crew's folder, its trust and the MCP tools (may read settings)."""
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

    async def context(self) -> ToolContext:
        """The given context."""
        return self.current

    async def trust_folder(self, folder: Path) -> None:
        """Marks the context trusted when ``folder`` is its folder."""
        if folder == self.current.folder:
            self.current = ToolContext(folder, True, self.current.mcp_tools)


McpLister = Callable[[Settings], Sequence[ToolEntry]]
"""Lists the MCP tools for the given settings (blocking; run in a worker thread)."""


class ServicesToolHost:
    """The app's host: the designer's crew folder and the settings' trust."""

    def __init__(
        self, services: ServicesLike, editor: CrewEditor, *, mcp_lister: McpLister | None = None
    ) -> None:
        """Makes the host.

        Args:
            services: The app's services (settings, crew library).
            editor: The crew being designed (its id says where its folder is).
            mcp_lister: Lists the MCP servers' tools from the settings; None: no MCP tools.
        """
        self._services = services
        self._editor = editor
        self._mcp_lister = mcp_lister

    def folder(self) -> Path | None:
        """The folder of the crew the designer shows (None for a crew never saved)."""
        crew_id = self._editor.crew_id
        if crew_id is not None and crew_id.startswith(PROJECT_ID_PREFIX):
            return Path(crew_id.removeprefix(PROJECT_ID_PREFIX))
        return self._services.library.base_dir_of(crew_id)

    async def context(self) -> ToolContext:
        """The crew's folder, whether it is trusted, and the MCP tools (settings read in a
        worker thread)."""
        settings = (await self._services.settings.aload()).settings
        folder = self.folder()
        trusted = folder is not None and settings.project_trust.get(trust_key(folder), False)
        mcp: tuple[ToolEntry, ...] = ()
        if self._mcp_lister is not None:
            mcp = tuple(await asyncio.to_thread(self._mcp_lister, settings))
        return ToolContext(folder, trusted, mcp)

    async def trust_folder(self, folder: Path) -> None:
        """Saves ``project_trust[folder] = True`` in the settings."""
        settings = (await self._services.settings.aload()).settings
        settings.project_trust = {**settings.project_trust, trust_key(folder): True}
        await self._services.save_settings(settings)
