"""SecretStore over the real keyring API: memory, fail, null and plaintext backends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from desktop_app.storage.secrets import (
    SERVICE_NAME,
    KeychainUnavailableError,
    ResolvedSecret,
    SecretStore,
    SecretStoreError,
    fix_advice,
    is_insecure_backend,
    mask,
)
from desktop_app.storage.testing import MemoryKeyring

KEY = "sk-test-0123456789abcdefghijklmnopqrstuv"


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (not installed here)."""

    viable = False  # keep keyring's backend discovery from ever picking it


PlaintextKeyring.__module__ = "keyrings.alt.file"


def _fail_backend() -> KeyringBackend:
    return fail.Keyring()  # type: ignore[no-untyped-call]  # keyring leaves it untyped


class _FixedChainer(chainer.ChainerBackend):
    """A chainer over given backends (keyring's discovers them itself)."""

    viable = False

    def __init__(self, backends: list[KeyringBackend]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._chain = backends

    @property
    def backends(self) -> list[KeyringBackend]:
        return self._chain


@pytest.fixture
def failing_keyring() -> None:
    keyring.set_keyring(_fail_backend())


def test_set_get_delete_with_the_real_keyring_api(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()

    store.set("openai-main", KEY)

    assert memory_keyring.passwords == {(SERVICE_NAME, "openai-main"): KEY}
    assert keyring.get_password(SERVICE_NAME, "openai-main") == KEY
    assert store.get("openai-main") == KEY
    assert store.get("missing") is None
    assert store.delete("openai-main") is True
    assert store.delete("openai-main") is False
    assert store.get("openai-main") is None


def test_status_ok_with_a_working_keychain() -> None:
    status = SecretStore().available()

    assert status.ok
    assert status.backend.endswith("MemoryKeyring")
    assert SecretStore().backend_name() == status.backend


@pytest.mark.usefixtures("failing_keyring")
def test_fail_backend_is_explained() -> None:
    store = SecretStore()

    status = store.available()

    assert not status.ok
    assert status.backend == "keyring.backends.fail.Keyring"
    assert "No keychain" in status.problem
    assert "gnome-keyring" in fix_advice("linux")
    assert "dbus-run-session" in fix_advice("linux")
    assert "Keychain" in fix_advice("darwin")
    assert "Credential Manager" in fix_advice("win32")
    assert "session only" in status.message
    with pytest.raises(KeychainUnavailableError) as raised:
        store.set("openai-main", KEY)
    assert raised.value.status.problem == status.problem
    with pytest.raises(KeychainUnavailableError):
        store.get("openai-main")
    assert KEY not in str(raised.value)


def test_errors_raised_by_the_backend_mean_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()

    def locked(service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Prompt dismissed")

    monkeypatch.setattr(backend, "get_password", locked)
    keyring.set_keyring(backend)

    status = SecretStore().available()

    assert not status.ok
    assert "Prompt dismissed" in status.problem
    with pytest.raises(KeychainUnavailableError):
        SecretStore().get("x")


def test_other_backend_errors_are_secret_store_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()

    def broken(service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("denied")

    monkeypatch.setattr(backend, "set_password", broken)
    keyring.set_keyring(backend)

    with pytest.raises(SecretStoreError, match="denied") as raised:
        SecretStore().set("x", KEY)
    assert not isinstance(raised.value, KeychainUnavailableError)


def test_null_backend_is_unavailable() -> None:
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]

    assert not SecretStore().available().ok


def test_plaintext_backend_is_refused() -> None:
    plaintext = PlaintextKeyring()
    keyring.set_keyring(plaintext)
    store = SecretStore()

    status = store.available()

    assert is_insecure_backend(plaintext)
    assert not status.ok
    assert "refuses" in status.problem
    assert status.backend == "keyrings.alt.file.PlaintextKeyring"
    with pytest.raises(KeychainUnavailableError):
        store.set("openai-main", KEY)
    assert plaintext.passwords == {}
    assert plaintext.calls == []


def test_chainer_never_falls_through_to_plaintext() -> None:
    secure, plaintext = MemoryKeyring(), PlaintextKeyring()
    keyring.set_keyring(_FixedChainer([plaintext, secure]))

    SecretStore().set("openai-main", KEY)

    assert secure.passwords == {(SERVICE_NAME, "openai-main"): KEY}
    assert plaintext.calls == []


def test_chainer_of_plaintext_only_is_unavailable() -> None:
    keyring.set_keyring(_FixedChainer([PlaintextKeyring()]))

    assert not SecretStore().available().ok


@pytest.mark.usefixtures("failing_keyring")
def test_session_key_when_the_keychain_is_unavailable() -> None:
    store = SecretStore(environ={})

    store.use_for_session("openai-main", KEY)

    assert store.session_names() == {"openai-main"}
    resolved = store.resolve("openai-main", "openai")
    assert resolved == ResolvedSecret(KEY, "session", "openai-main")
    assert KEY not in repr(resolved)
    assert KEY not in repr(store)
    assert store.delete("openai-main") is True
    assert store.resolve("openai-main", "openai") is None


def test_session_key_is_refused_while_the_keychain_works() -> None:
    store = SecretStore()

    with pytest.raises(SecretStoreError, match="keychain works"):
        store.use_for_session("openai-main", KEY)
    assert store.session_names() == frozenset()


def test_resolve_order_keychain_then_session_then_environment(
    memory_keyring: MemoryKeyring,
) -> None:
    store = SecretStore(environ={"OPENAI_API_KEY": "sk-env-0000000000000000"})
    assert store.resolve("openai-main", "openai") == ResolvedSecret(
        "sk-env-0000000000000000", "environment", "OPENAI_API_KEY"
    )

    keyring.set_keyring(_fail_backend())
    store.use_for_session("openai-main", "sk-session-111111111111")
    assert store.resolve("openai-main", "openai") == ResolvedSecret(
        "sk-session-111111111111", "session", "openai-main"
    )

    keyring.set_keyring(memory_keyring)
    store.set("openai-main", KEY)
    assert store.resolve("openai-main", "openai") == ResolvedSecret(KEY, "keychain", "openai-main")
    assert store.session_names() == frozenset()  # moved into the keychain


def test_environment_fallbacks_per_provider() -> None:
    store = SecretStore(environ={"GOOGLE_API_KEY": "g" * 20, "OPENAI_API_KEY": "o" * 20})

    gemini = store.resolve(None, "gemini")
    assert gemini is not None
    assert gemini.origin == "GOOGLE_API_KEY"
    assert store.resolve(None, "openai_compatible") is None
    assert store.resolve(None, "simulator") is None
    assert store.resolve("nothing-stored", "groq") is None


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("sk-abcdefghijklmnopqrstuvwxyz1234", "sk-…1234"),
        ("sk-proj-abcdefghijklmnopqrst9876", "sk-proj-…9876"),
        ("sk-ant-api03-abcdefghijklmnopq5555", "sk-ant-…5555"),
        ("AIzaSyabcdefghijklmnopqrstuvw4321", "…4321"),
        ("short-key", "…"),
        ("", ""),
    ],
)
def test_mask(key: str, shown: str) -> None:
    assert mask(key) == shown


def test_empty_names_and_values_are_rejected() -> None:
    store = SecretStore()
    with pytest.raises(ValueError, match="name"):
        store.get(" ")
    with pytest.raises(ValueError, match="empty key"):
        store.set("x", "")


@pytest.mark.asyncio
async def test_async_wrappers_run_the_keychain_off_the_loop_thread(
    memory_keyring: MemoryKeyring,
) -> None:
    store = SecretStore()
    loop_thread = threading.get_ident()

    await store.aset("openai-main", KEY)
    assert await store.aget("openai-main") == KEY
    assert (await store.aavailable()).ok
    assert await store.abackend_name() == store.backend_name()
    resolved = await store.aresolve("openai-main", "openai")
    assert resolved is not None
    assert await store.adelete("openai-main") is True

    assert memory_keyring.calls
    assert all(thread != loop_thread for _, thread in memory_keyring.calls)


@pytest.mark.asyncio
async def test_a_slow_keychain_does_not_block_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    release = threading.Event()

    def slow(service: str, username: str) -> str | None:
        release.wait(5)
        return None

    monkeypatch.setattr(backend, "get_password", slow)
    keyring.set_keyring(backend)

    pending = asyncio.ensure_future(SecretStore().aget("x"))
    await asyncio.sleep(0.01)  # the loop keeps turning while the keychain call waits
    assert not pending.done()
    release.set()
    assert await asyncio.wait_for(pending, 5) is None


def test_subprocess_uses_the_memory_backend_through_the_environment(tmp_path: Path) -> None:
    code = (
        "from desktop_app.storage.secrets import SecretStore\n"
        "s = SecretStore()\n"
        "s.set('k', 'v' * 20)\n"
        "print(s.available().ok, s.backend_name(), s.get('k') == 'v' * 20)\n"
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "desktop_app.storage.testing.MemoryKeyring"}

    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
        check=True, cwd=tmp_path,
    )

    assert result.stdout.split() == [
        "True", "desktop_app.storage.testing.MemoryKeyring", "True"
    ]


def test_a_backend_that_cannot_load_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> KeyringBackend:
        raise ModuleNotFoundError("No module named 'nowhere'")

    monkeypatch.setattr(keyring, "get_keyring", broken)

    status = SecretStore().available()

    assert not status.ok
    assert "nowhere" in status.problem
    with pytest.raises(KeychainUnavailableError):
        SecretStore().set("x", KEY)
