"""`AppServices`: the collaborators every view and controller of the app shares.

Built once by `desktop_app.ui.app.main` (or by a test, with any part swapped) and handed to
the main window. Creating it does no I/O; `start()` loads the settings and opens the run
history off the GUI thread, and `close()` flushes and closes them.

The offline simulator (`SimulatorService`) runs in its own daemon thread and starts only when
a dry run first needs it, so it never shares the GUI thread's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings, SettingsStore

if TYPE_CHECKING:
    from desktop_app.simulator import SimulatorThread
    from desktop_app.storage.crew_library import CrewLibrary
    from desktop_app.storage.history import RunHistory

__all__ = ["SIMULATOR_MODEL", "SIMULATOR_PROVIDER_ID", "AppServices", "SimulatorService"]

log = logging.getLogger(__name__)

SIMULATOR_PROVIDER_ID = "simulator"
"""Id of the provider entry that "Use the offline simulator" adds to the settings."""

SIMULATOR_MODEL = "openai/sim:tps=60,tokens=60,ttft=0.3"
"""The model a dry run gives every agent: a steady, readable stream from the simulator."""


class SimulatorService:
    """The built-in offline LLM simulator, started in a daemon thread on first use."""

    def __init__(self) -> None:
        """Prepares the service; nothing runs before `base_url` is awaited."""
        self._thread: SimulatorThread | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        """Whether the simulator has been started."""
        return self._thread is not None

    async def base_url(self) -> str:
        """Starts the simulator if needed (in a worker thread) and returns its base URL."""
        async with self._lock:
            if self._thread is None:
                from desktop_app.simulator import SimulatorThread

                thread = SimulatorThread()
                await asyncio.to_thread(thread.start)
                self._thread = thread
            return self._thread.base_url

    async def stop(self) -> None:
        """Stops the simulator thread, if it runs."""
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.stop, 2.0)


class AppServices:
    """The app's shared services: paths, settings, secrets, run history, crews, simulator.

    Attributes:
        paths: The folders of this installation.
        settings: The settings store (load and save through its `aload` / `asave`).
        secrets: The keychain store.
        history: The run history (SQLite).
        library: The user's crews and the bundled examples.
        simulator: The offline simulator, started on demand.
        current_settings: The settings as last loaded or saved.
        settings_warning: A sentence for the user when the settings file was unusable.
    """

    def __init__(
        self,
        paths: AppPaths,
        *,
        settings: SettingsStore | None = None,
        secrets: SecretStore | None = None,
        history: RunHistory | None = None,
        library: CrewLibrary | None = None,
        simulator: SimulatorService | None = None,
    ) -> None:
        """Wires the services; does no I/O.

        Args:
            paths: The folders of this installation.
            settings: The settings store; one on `paths` when None.
            secrets: The keychain store; the default service when None.
            history: The run history; one on `paths.history_db` when None.
            library: The crew library; one on `paths` when None.
            simulator: The offline simulator service; a fresh one when None.
        """
        from desktop_app.storage.crew_library import CrewLibrary
        from desktop_app.storage.history import RunHistory

        self.paths = paths
        self.settings = settings or SettingsStore(paths)
        self.secrets = secrets or SecretStore()
        self.history: RunHistory = history or RunHistory(paths)
        self.library: CrewLibrary = library or CrewLibrary(paths)
        self.simulator = simulator or SimulatorService()
        self.current_settings = Settings()
        self.settings_warning: str | None = None
        self.interrupted_runs = 0

    @classmethod
    def from_env(cls) -> AppServices:
        """Services on the folders of `$CREWDESK_HOME` or the platform's defaults."""
        return cls(AppPaths.from_env())

    async def start(self) -> None:
        """Loads the settings and marks runs left running by a killed app as interrupted."""
        await asyncio.to_thread(self.paths.ensure)
        loaded = await self.settings.aload()
        self.current_settings = loaded.settings
        self.settings_warning = loaded.warning
        self.interrupted_runs = await self.history.mark_interrupted()

    async def reload_settings(self) -> Settings:
        """Reads the settings file again (after the settings dialog saved it)."""
        loaded = await self.settings.aload()
        self.current_settings = loaded.settings
        return loaded.settings

    async def save_settings(self, settings: Settings) -> None:
        """Saves the settings and makes them current."""
        await self.settings.asave(settings)
        self.current_settings = settings

    def has_provider(self) -> bool:
        """Whether any model provider is set up."""
        return bool(self.current_settings.providers)

    async def use_simulator_provider(self) -> None:
        """Adds the offline simulator as a provider and makes it the default."""
        settings = self.current_settings.model_copy(deep=True)
        if settings.provider(SIMULATOR_PROVIDER_ID) is None:
            settings.providers = [
                *settings.providers,
                ProviderSettings(
                    id=SIMULATOR_PROVIDER_ID,
                    kind="simulator",
                    display_name="Offline simulator",
                    default_model=SIMULATOR_MODEL,
                ),
            ]
        settings.default_provider = SIMULATOR_PROVIDER_ID
        await self.save_settings(settings)

    async def close(self) -> None:
        """Flushes and closes the history and stops the simulator; never raises."""
        for step in (self.history.flush, self.history.close, self.simulator.stop):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(step(), timeout=3.0)
