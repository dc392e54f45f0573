"""`AppServices`: the collaborators every view and controller of the app shares.

Built once by `desktop_app.ui.app.main` (or by a test, with any part swapped) and handed to
the main window. Creating it does no I/O; `start()` loads the settings and opens the run
history off the GUI thread, and `close()` flushes and closes them.

The offline simulator (`SimulatorService`) runs in its own daemon thread and starts only when
a dry run first needs it, so it never shares the GUI thread's event loop.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from typing import TYPE_CHECKING

from desktop_app.storage.paths import AppPaths
from desktop_app.storage.secrets import PROVIDER_ENV_VARS, SecretStore
from desktop_app.storage.settings import ProviderSettings, Settings, SettingsStore
from desktop_app.ui.projects._registry import OpenProjects

if TYPE_CHECKING:
    from desktop_app.simulator import SimulatorThread
    from desktop_app.storage.crew_library import CrewLibrary
    from desktop_app.storage.history import RunHistory

__all__ = [
    "SIMULATOR_MODEL",
    "SIMULATOR_PROVIDER_ID",
    "AppServices",
    "SimulatorService",
    "preload_engine",
    "warm_up_llm",
]

log = logging.getLogger(__name__)

SIMULATOR_PROVIDER_ID = "simulator"
"""Id of the provider entry that "Use the offline simulator" adds to the settings."""

SIMULATOR_MODEL = "openai/sim:tps=60,tokens=60,ttft=0.3"
"""The model a dry run gives every agent: a steady, readable stream from the simulator."""


LITELLM_PROVIDER_KINDS: frozenset[str] = frozenset()
"""Provider kinds the engine calls through litellm: none of the kinds Settings offers today
(OpenAI's protocol, Anthropic's and Gemini's each have a native client; docs/ARCHITECTURE.md,
"The LLM path"). A model string of another provider still loads litellm when it runs."""


def preload_engine(with_litellm: bool = True) -> None:
    """Imports the engine's LLM clients and warms them up (blocking; a worker thread).

    * The native clients (OpenAI's, Anthropic's and Gemini's protocols) cost httpx's import
      (about 0.4 s). litellm, needed
      only for `with_litellm` (a provider of `LITELLM_PROVIDER_KINDS`, or
      `CREWDESK_LLM_CLIENT=litellm`), takes seconds and must not be imported on the GUI
      thread; a model that needs it later is loaded by the engine in a worker thread.
    * One fake streamed call (`warm_up_llm`) makes litellm import what it imports on its
      first call (tiktoken's tables alone took 180 ms here), so that the user's first run
      does not freeze the window.
    * The garbage collector is paused meanwhile and everything alive is then frozen out of
      its reach (`gc.freeze`): importing litellm creates hundreds of thousands of objects,
      and the full collections this triggered, each scanning all of them while holding the
      GIL, froze the GUI thread for 60-290 ms at a time. After the freeze a collection scans
      only what came since.
    """
    from desktop_app.engine import llm

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for protocol in ("openai", "anthropic", "gemini"):
            llm.load_native(protocol)
        if with_litellm:
            llm.load_litellm()
            warm_up_llm()
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def warm_up_llm() -> None:
    """One fake streamed LLM call on a private event loop, answered by litellm itself.

    `mock_response` keeps the call off the network; the error the engine raises for the
    mock's unfinished stream is expected and ignored.
    """
    from desktop_app.engine import LLM

    async def call() -> None:
        fake = LLM(model="openai/crewdesk-warm-up", api_key="warm-up",
                   base_url="http://127.0.0.1:9/v1", mock_response="ok", max_retries=0)
        await fake.acall([{"role": "user", "content": "warm up"}], on_text=lambda _text: None)

    try:
        asyncio.run(call())
    except Exception as exc:  # noqa: BLE001 - best effort: a failed warm-up costs only speed
        log.debug("LLM warm-up call ended with %s: %s", type(exc).__name__, exc)


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
        projects: The CrewAI projects open in the app.
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
        self.projects = OpenProjects()
        self.current_settings = Settings()
        self.settings_warning: str | None = None
        self.interrupted_runs = 0
        self._engine: asyncio.Future[None] | None = None

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

    async def load_engine(self) -> None:
        """Imports and warms up the engine in a worker thread (`preload_engine`), once.

        The app starts it once the window shows; the run controller awaits it before a run
        calls a model, so that no run makes the GUI thread wait for litellm's imports.
        """
        if self._engine is None or (self._engine.done() and self._engine.exception()):
            self._engine = asyncio.ensure_future(
                asyncio.to_thread(preload_engine, self._needs_litellm())
            )
        await asyncio.shield(self._engine)

    def _needs_litellm(self) -> bool:
        """Whether a configured provider is called through litellm, or every call is
        (`CREWDESK_LLM_CLIENT=litellm`)."""
        if os.environ.get("CREWDESK_LLM_CLIENT", "").strip().lower() == "litellm":
            return True
        return any(p.kind in LITELLM_PROVIDER_KINDS for p in self.current_settings.providers)

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
        """Whether any model provider is set up: in Settings, or a key in the environment.

        A key in a provider's usual variable (`OPENAI_API_KEY`, ...) is used by agents of that
        provider's models, as in CrewAI, so it counts as set up.
        """
        if self.current_settings.providers:
            return True
        return any(self.secrets.from_environment(kind) for kind in PROVIDER_ENV_VARS)

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
            try:
                await asyncio.wait_for(step(), timeout=3.0)
            except Exception:
                log.exception("closing: %s failed", getattr(step, "__qualname__", step))
