"""API keys in the OS keychain, through `keyring`. The only production module that imports it.

Rules this module keeps:

* A key is stored in the OS keychain (macOS Keychain, Windows Credential Manager, a Secret
  Service such as GNOME Keyring or KWallet on Linux), never in a file CrewDesk writes.
* When no keychain works, `SecretStore.available` says why and how to fix it, and the user may
  agree to keep a key in memory for this session only (`use_for_session`).
* Backends that keep secrets in plain or weakly protected files (`keyrings.alt`, anything named
  "Plaintext") are refused, also when keyring would chain to them after a failing keychain.
* Keychain calls can block (D-Bus, an unlock prompt): on the event loop use the `a*` wrappers,
  which run them in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from desktop_app.storage.paths import APP_NAME

__all__ = [
    "PROVIDER_ENV_VARS",
    "SERVICE_NAME",
    "KeychainUnavailableError",
    "KeyringStatus",
    "ResolvedSecret",
    "SecretSource",
    "SecretStore",
    "SecretStoreError",
    "fix_advice",
    "is_insecure_backend",
    "mask",
]

SERVICE_NAME = APP_NAME
"""The keychain service under which every CrewDesk key is stored."""

_PROBE_NAME = "__crewdesk_probe__"

PROVIDER_ENV_VARS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "openai": ("OPENAI_API_KEY",),
        "anthropic": ("ANTHROPIC_API_KEY",),
        "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        "groq": ("GROQ_API_KEY",),
        "lm_studio": ("LM_STUDIO_API_KEY",),
        # No fallback for these: an OpenAI key must never go to an arbitrary base URL.
        "openai_compatible": (),
        "ollama": (),
        "simulator": (),
    }
)
"""Environment variables read, in order, when a provider kind has no stored key."""

SecretSource: TypeAlias = Literal["keychain", "session", "environment"]

_T = TypeVar("_T")

_UNAVAILABLE_ERRORS = (
    keyring.errors.NoKeyringError,
    keyring.errors.InitError,
    keyring.errors.KeyringLocked,
)


class SecretStoreError(Exception):
    """A keychain operation failed. The message never contains a secret."""


class KeychainUnavailableError(SecretStoreError):
    """No usable keychain: `status` explains why and how to fix it."""

    def __init__(self, status: KeyringStatus) -> None:
        """Wraps the status that explains the failure.

        Args:
            status: What is wrong and how to fix it.
        """
        super().__init__(status.message)
        self.status = status


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    """Whether the keychain can be used, and if not, why and what to do.

    Attributes:
        ok: True when keys can be stored in the keychain.
        backend: The keyring backend in use, as `module.Class`.
        problem: What is wrong; empty when `ok`.
        advice: How to fix it on this platform; empty when `ok`.
    """

    ok: bool
    backend: str
    problem: str = ""
    advice: str = ""

    @property
    def message(self) -> str:
        """The whole explanation, ready for a dialog or a terminal."""
        if self.ok:
            return f"The keychain works (backend: {self.backend})."
        return f"{self.problem}\n\n{self.advice}"


@dataclass(frozen=True, slots=True)
class ResolvedSecret:
    """A key found by `SecretStore.resolve`. Its repr masks the value.

    Attributes:
        value: The key itself.
        source: Where it was found.
        origin: The keychain entry or environment variable it came from.
    """

    value: str = field(repr=False)
    source: SecretSource
    origin: str

    def __repr__(self) -> str:
        return f"ResolvedSecret({mask(self.value)!r}, source={self.source!r}, origin={self.origin!r})"


_LINUX_ADVICE = (
    "On Linux CrewDesk needs a Secret Service keychain: install GNOME Keyring "
    "(`sudo apt install gnome-keyring`) or KWallet, and log in to a desktop session so that it "
    "is unlocked. Without a desktop (a server, a container, SSH), start one inside a D-Bus "
    "session: `dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock "
    "--components=secrets --daemonize && crewdesk'`."
)
_MACOS_ADVICE = (
    "On macOS CrewDesk uses the login keychain: unlock it in Keychain Access (or with "
    "`security unlock-keychain` over SSH) and allow CrewDesk when macOS asks."
)
_WINDOWS_ADVICE = (
    "On Windows CrewDesk uses the Credential Manager: check that the Credential Manager "
    "service (VaultSvc) is running and that you are logged in as a normal user."
)
_COMMON_ADVICE = (
    "If PYTHON_KEYRING_BACKEND or a keyringrc.cfg file selects another backend, remove it. "
    "Until then you can use a key for this session only: CrewDesk keeps it in memory and "
    "never writes it to a file."
)


def fix_advice(platform: str | None = None) -> str:
    """Explains how to get a working keychain.

    Args:
        platform: A `sys.platform` value; the running platform when None.
    """
    name = sys.platform if platform is None else platform
    if name == "darwin":
        specific = _MACOS_ADVICE
    elif name.startswith(("win", "cygwin")):
        specific = _WINDOWS_ADVICE
    else:
        specific = _LINUX_ADVICE
    return f"{specific} {_COMMON_ADVICE}"


def _backend_label(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_insecure_backend(backend: KeyringBackend) -> bool:
    """Tells whether a backend keeps secrets in plain or weakly protected files.

    Every `keyrings.alt` backend counts (keyring's authors do not recommend them; one asks for
    a password on the terminal), and so does any class with "plaintext" in its name.
    """
    cls = type(backend)
    module = cls.__module__
    return (
        module == "keyrings.alt"
        or module.startswith("keyrings.alt.")
        or "plaintext" in cls.__name__.lower()
    )


_MASK_PREFIX = re.compile(r"[A-Za-z]{2,4}-(?:[A-Za-z]{2,8}-)?")


def mask(key: str) -> str:
    """Shows a key without revealing it: its public prefix and last four characters.

    Args:
        key: The secret.

    Returns:
        For example "sk-…abcd"; "…" alone when the key is too short to show any of it.
    """
    key = key.strip()
    if not key:
        return ""
    if len(key) < 12:
        return "…"
    match = _MASK_PREFIX.match(key)
    prefix = match.group(0) if match and len(match.group(0)) <= len(key) - 8 else ""
    return f"{prefix}…{key[-4:]}"


def _select_backend() -> tuple[KeyringBackend | None, str, str]:
    """Picks the backend to use: (backend or None, its label, the problem when None)."""
    try:
        current = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - e.g. a PYTHON_KEYRING_BACKEND that does not import
        return None, "unknown", f"keyring could not start: {type(exc).__name__}: {exc}"
    label = _backend_label(current)
    if isinstance(current, chainer.ChainerBackend):
        # keyring's chainer falls through to the next backend when one fails: drop the
        # insecure ones so that a locked keychain never ends in a plaintext file.
        secure = [b for b in current.backends if not is_insecure_backend(b)]
        if not secure:
            return None, label, "No secure keychain backend was found."
        return secure[0], _backend_label(secure[0]), ""
    if isinstance(current, fail.Keyring):
        return None, label, "No keychain was found on this computer (keyring has no backend)."
    if isinstance(current, null.Keyring):
        return None, label, "The keychain is switched off (keyring's null backend is selected)."
    if is_insecure_backend(current):
        problem = (
            f"The keyring backend {label} keeps secrets in a plain or weakly protected file; "
            "CrewDesk refuses to store keys with it."
        )
        return None, label, problem
    return current, label, ""


class SecretStore:
    """Stores API keys under the keychain service "CrewDesk", by credential name.

    Keychain calls may block: on the event loop use `aget`, `aset`, `adelete`, `aavailable`,
    `aresolve` and `ause_for_session`. Session-only keys live in this object's memory.
    """

    def __init__(
        self, *, service: str = SERVICE_NAME, environ: Mapping[str, str] | None = None
    ) -> None:
        """Creates a store.

        Args:
            service: The keychain service name (tests may isolate themselves with another).
            environ: Environment read by `resolve`; `os.environ` when None.
        """
        self._service = service
        self._environ = environ
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretStore(service={self._service!r}, session_keys={len(self._session)})"

    def backend_name(self) -> str:
        """The backend keys would go to, as `module.Class`."""
        return _select_backend()[1]

    def available(self) -> KeyringStatus:
        """Checks that the keychain answers, with a harmless read.

        Returns:
            `ok` True, or the problem and how to fix it.
        """
        backend, label, problem = _select_backend()
        if backend is None:
            return KeyringStatus(False, label, problem, fix_advice())
        try:
            backend.get_password(self._service, _PROBE_NAME)
        except Exception as exc:  # noqa: BLE001 - D-Bus errors are not all KeyringError
            problem = f"The keychain ({label}) did not answer: {type(exc).__name__}: {exc}"
            return KeyringStatus(False, label, problem, fix_advice())
        return KeyringStatus(True, label)

    def get(self, name: str) -> str | None:
        """Reads a key from the keychain (not the session).

        Args:
            name: The credential name.

        Returns:
            The key, or None when there is none under that name.

        Raises:
            KeychainUnavailableError: No usable keychain.
            SecretStoreError: The keychain failed otherwise.
        """
        _check_name(name)
        return self._call(lambda backend: backend.get_password(self._service, name))

    def set(self, name: str, value: str) -> None:
        """Stores a key in the keychain, replacing a session-only copy.

        Args:
            name: The credential name.
            value: The key.

        Raises:
            KeychainUnavailableError: No usable keychain; offer `use_for_session`.
            SecretStoreError: The keychain failed otherwise.
        """
        _check_name(name)
        if not value:
            raise ValueError("an empty key cannot be stored")
        self._call(lambda backend: backend.set_password(self._service, name, value))
        with self._lock:
            self._session.pop(name, None)

    def delete(self, name: str) -> bool:
        """Removes a key from the keychain and from the session.

        Args:
            name: The credential name.

        Returns:
            True when a key was removed from either place.
        """
        _check_name(name)
        with self._lock:
            removed = self._session.pop(name, None) is not None
        try:
            self._call(lambda backend: backend.delete_password(self._service, name))
        except KeychainUnavailableError:
            return removed
        except SecretStoreError as exc:
            if isinstance(exc.__cause__, keyring.errors.PasswordDeleteError):
                return removed
            raise
        return True

    def use_for_session(self, name: str, value: str) -> None:
        """Keeps a key in memory for this session only, after the user agreed.

        Only allowed while no keychain works; the key is never written anywhere.

        Args:
            name: The credential name.
            value: The key.

        Raises:
            SecretStoreError: The keychain works, so the key belongs there (`set`).
        """
        _check_name(name)
        if not value:
            raise ValueError("an empty key cannot be used")
        status = self.available()
        if status.ok:
            raise SecretStoreError(
                "The keychain works: store the key there instead of for this session only."
            )
        with self._lock:
            self._session[name] = value

    def session_names(self) -> frozenset[str]:
        """Names of the keys held for this session only."""
        with self._lock:
            return frozenset(self._session)

    def forget_session(self) -> None:
        """Drops every session-only key."""
        with self._lock:
            self._session.clear()

    def resolve(self, credential_name: str | None, provider_kind: str) -> ResolvedSecret | None:
        """Finds the key for a provider: keychain, else session, else environment.

        Args:
            credential_name: The provider's keychain entry; None when it has none.
            provider_kind: The provider's kind, which picks the environment variables.

        Returns:
            The key and where it came from, or None when there is none anywhere.
        """
        if credential_name:
            try:
                value = self.get(credential_name)
            except SecretStoreError:
                value = None
            if value:
                return ResolvedSecret(value, "keychain", credential_name)
            with self._lock:
                value = self._session.get(credential_name)
            if value:
                return ResolvedSecret(value, "session", credential_name)
        return self.from_environment(provider_kind)

    async def aget(self, name: str) -> str | None:
        """`get` in a worker thread."""
        return await asyncio.to_thread(self.get, name)

    async def aset(self, name: str, value: str) -> None:
        """`set` in a worker thread."""
        await asyncio.to_thread(self.set, name, value)

    async def adelete(self, name: str) -> bool:
        """`delete` in a worker thread."""
        return await asyncio.to_thread(self.delete, name)

    async def aavailable(self) -> KeyringStatus:
        """`available` in a worker thread."""
        return await asyncio.to_thread(self.available)

    async def abackend_name(self) -> str:
        """`backend_name` in a worker thread (finding the backend may load plugins)."""
        return await asyncio.to_thread(self.backend_name)

    async def ause_for_session(self, name: str, value: str) -> None:
        """`use_for_session` in a worker thread."""
        await asyncio.to_thread(self.use_for_session, name, value)

    async def aresolve(
        self, credential_name: str | None, provider_kind: str
    ) -> ResolvedSecret | None:
        """`resolve` in a worker thread."""
        return await asyncio.to_thread(self.resolve, credential_name, provider_kind)

    def from_environment(self, provider_kind: str) -> ResolvedSecret | None:
        """The provider's key from its usual environment variable (`OPENAI_API_KEY`, ...)."""
        environ = os.environ if self._environ is None else self._environ
        for variable in PROVIDER_ENV_VARS.get(provider_kind, ()):
            value = environ.get(variable, "").strip()
            if value:
                return ResolvedSecret(value, "environment", variable)
        return None

    def _call(self, operation: Callable[[KeyringBackend], _T]) -> _T:
        backend, label, problem = _select_backend()
        if backend is None:
            raise KeychainUnavailableError(KeyringStatus(False, label, problem, fix_advice()))
        try:
            return operation(backend)
        except _UNAVAILABLE_ERRORS as exc:
            problem = f"The keychain ({label}) cannot be used: {type(exc).__name__}: {exc}"
            raise KeychainUnavailableError(
                KeyringStatus(False, label, problem, fix_advice())
            ) from exc
        except Exception as exc:
            raise SecretStoreError(
                f"The keychain ({label}) failed: {type(exc).__name__}: {exc}"
            ) from exc


def _check_name(name: str) -> None:
    if not name or not name.strip():
        raise ValueError("a credential name must not be empty")
