"""What the designer, settings and history views need from the app's services.

The shell's `AppServices` (`desktop_app.ui.services`) satisfies this protocol; tests may pass
any object with the same attributes. Declared here so that these views depend only on what
they use.
"""

from __future__ import annotations

from typing import Protocol

from desktop_app.storage.crew_library import CrewLibrary
from desktop_app.storage.history import RunHistory
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings, SettingsStore
from desktop_app.ui.projects._registry import OpenProjects


class ServicesLike(Protocol):
    """The services these views use.

    Attributes:
        paths: The folders of this installation.
        settings: The settings store.
        secrets: The keychain store.
        history: The run history.
        library: The user's crews and the bundled examples.
        projects: The CrewAI projects open in the app.
    """

    @property
    def paths(self) -> AppPaths: ...

    @property
    def settings(self) -> SettingsStore: ...

    @property
    def secrets(self) -> SecretStore: ...

    @property
    def history(self) -> RunHistory: ...

    @property
    def library(self) -> CrewLibrary: ...

    @property
    def projects(self) -> OpenProjects: ...

    async def save_settings(self, settings: Settings) -> None:
        """Saves the settings and makes them the app's current ones."""
        ...
