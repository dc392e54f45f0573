"""What the designer, settings and history views need from the app's services.

The shell's `AppServices` satisfies this protocol; tests may pass any object with the same
attributes. Declared here so that these views type-check without importing the shell.
"""

from __future__ import annotations

from typing import Any, Protocol

from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import SettingsStore


class ServicesLike(Protocol):
    """The services these views use.

    Attributes:
        paths: The folders of this installation.
        settings: The settings store.
        secrets: The keychain store.
        history: The run history (`desktop_app.storage` `RunHistory`).
        library: The user's crews (`desktop_app.storage.crew_library.CrewLibrary`).
    """

    @property
    def paths(self) -> AppPaths: ...

    @property
    def settings(self) -> SettingsStore: ...

    @property
    def secrets(self) -> SecretStore: ...

    @property
    def history(self) -> Any: ...

    @property
    def library(self) -> Any: ...
