"""Tool keys (``SERPER_API_KEY`` ...) for the tools of CrewAI projects, from the keychain.

The engine's toolkit asks `key_for(name)` when a tool runs (contract C4); the app installs a
source backed by its secret store, where a key is stored under the variable's own name (an
environment variable that is set still wins, in the toolkit). Keychain calls can block for
seconds (a locked keyring, D-Bus), so they never happen on the GUI thread: the keys of the
known tools are read once in a worker thread at start, and a lookup made on the GUI thread
(an ``akickoff`` run's tool) answers from those; a lookup from a worker thread asks the
keychain.
"""

from __future__ import annotations

import asyncio
import threading

from desktop_app.storage.secrets import SecretStore, SecretStoreError

__all__ = [
    "TOOL_KEY_NAMES",
    "KeychainKeySource",
    "forget_key",
    "install_key_source",
    "remember_key",
]

TOOL_KEY_NAMES = ("SERPER_API_KEY", "TAVILY_API_KEY", "EXA_API_KEY", "BRAVE_API_KEY")
"""The variables the toolkit's tools read their keys from."""


class KeychainKeySource:
    """Looks keys up in the secret store, never blocking the thread that made it."""

    def __init__(self, store: SecretStore) -> None:
        """Creates a source; make it on the GUI thread (lookups there use the cache only).

        Args:
            store: The app's secret store.
        """
        self._store = store
        self._gui = threading.current_thread()
        self._found: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, env_name: str) -> str | None:
        """The stored key named ``env_name``, or None."""
        with self._lock:
            cached = self._found.get(env_name)
        if cached is not None or threading.current_thread() is self._gui:
            return cached
        return self._read(env_name)

    def remember(self, env_name: str, value: str) -> None:
        """Takes a key just stored (Settings), so that lookups on any thread see it."""
        _register(value)
        with self._lock:
            self._found[env_name] = value

    def forget(self, env_name: str) -> None:
        """Drops a key just removed."""
        with self._lock:
            self._found.pop(env_name, None)

    def warm(self, names: tuple[str, ...] = TOOL_KEY_NAMES) -> None:
        """Reads these keys into the cache (blocking: call it in a worker thread)."""
        for name in names:
            self._read(name)

    def _read(self, env_name: str) -> str | None:
        try:
            value = self._store.get(env_name)
        except (SecretStoreError, ValueError):
            return None
        if value:
            _register(value)
            with self._lock:
                self._found[env_name] = value
        return value or None


def _register(value: str) -> None:
    """Tells the engine about a key, so runs mask it wherever their text goes."""
    from desktop_app.engine._secrets_mask import register_secrets

    register_secrets([value])


_installed: KeychainKeySource | None = None


async def install_key_source(store: SecretStore) -> KeychainKeySource:
    """Installs a keychain source for the toolkit's keys, warmed off the GUI thread (the
    toolkit is imported there too: the engine's imports take a while)."""
    global _installed
    source = KeychainKeySource(store)
    await asyncio.to_thread(_warm_and_install, source)
    _installed = source
    return source


def _warm_and_install(source: KeychainKeySource) -> None:
    from desktop_app.engine.toolkit._keys import set_key_source

    source.warm()
    set_key_source(source)


def remember_key(env_name: str, value: str) -> None:
    """Tells the installed source about a key just stored (no-op when none is installed)."""
    if _installed is not None:
        _installed.remember(env_name, value)


def forget_key(env_name: str) -> None:
    """Tells the installed source that a key was removed."""
    if _installed is not None:
        _installed.forget(env_name)
