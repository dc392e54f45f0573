"""`ProjectOpener`: the steps of "Open CrewAI project…", minus the views.

1. Is the folder's code trusted? The answer kept in the settings, else the question (once per
   folder; a ``crew.jsonc`` project has no code, so nothing is asked).
2. Its files are read and, when trusted, its code loaded, in a worker thread
   (`load_project`); a failing project still opens from its files, with the error kept.
3. It joins the app's open projects (`AppServices.projects`).

A Flow project (``crewai create flow``) is asked about the same way, then shown as its
graph by `ui.flows` (`open_flow`); `open` returns None for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from desktop_app.documents.crewai_import import find_crewai_layout
from desktop_app.ui.projects._session import OpenProject, is_code_free, load_project
from desktop_app.ui.projects._trust import TrustChoice, ask_trust, trust_key

if TYPE_CHECKING:
    from desktop_app.ui.services import AppServices

__all__ = ["Asker", "ProjectOpener"]

Asker = Callable[[QWidget | None, Path], Awaitable[TrustChoice]]
"""Asks whether a folder's code may run (`ask_trust`; tests may answer instead)."""


class ProjectOpener:
    """Opens CrewAI project folders into the app's open projects."""

    def __init__(
        self, services: AppServices, parent: QWidget | None = None, *, asker: Asker = ask_trust
    ) -> None:
        """Creates an opener.

        Args:
            services: Settings (where answers are kept) and the open projects.
            parent: The window the question belongs to.
            asker: Asks the question.
        """
        self._services = services
        self._parent = parent
        self._asker = asker

    async def trust_for(self, folder: Path) -> TrustChoice:
        """The kept answer for this folder, else the user's (then kept)."""
        if await asyncio.to_thread(is_code_free, folder):
            return "static"
        key = trust_key(folder)
        kept = self._services.current_settings.project_trust.get(key)
        if kept is not None:
            return "trust" if kept else "static"
        choice = await self._asker(self._parent, folder)
        if choice != "cancel":
            settings = self._services.current_settings.model_copy(deep=True)
            settings.project_trust = {**settings.project_trust, key: choice == "trust"}
            await self._services.save_settings(settings)
        return choice

    async def forget_trust(self, folder: Path) -> None:
        """Forgets the answer for a folder (the question comes again next time)."""
        settings = self._services.current_settings.model_copy(deep=True)
        trust = dict(settings.project_trust)
        if trust.pop(trust_key(folder), None) is not None:
            settings.project_trust = trust
            await self._services.save_settings(settings)

    async def open(self, folder: Path) -> OpenProject | None:
        """Opens the project in ``folder`` (asking about trust first when needed).

        Returns:
            The open project, or None when the user cancelled.

        Raises:
            CrewFileError: Its files cannot be read as a crew.
            ProjectError: No CrewAI project is there.
        """
        from desktop_app.ui.flows._window import is_flow_folder, open_flow

        if await asyncio.to_thread(is_flow_folder, folder):  # its graph opens in the designer
            await open_flow(self._parent, folder, self.trust_for)
            return None
        await asyncio.to_thread(find_crewai_layout, folder)  # a project? (no code runs)
        choice = await self.trust_for(folder)
        if choice == "cancel":
            return None
        opened = await asyncio.to_thread(load_project, folder, choice == "trust")
        self._services.projects.add(opened)
        return opened
