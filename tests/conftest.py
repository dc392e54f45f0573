"""Guards for every test: no real provider reachable, an in-memory keychain, a private home.

- Sockets may connect to loopback and Unix sockets only, so no test can reach a real model
  provider (or anything else off this machine), whatever it was configured with.
- `keyring` is the real API with an in-memory backend (`MemoryKeyring`), set for this
  process and, through `PYTHON_KEYRING_BACKEND`, for subprocesses.
- `CREWDESK_HOME` points every app folder (config, data, cache, logs) at a temp dir.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for _name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GROQ_API_KEY",
              "OPENAI_BASE_URL", "OPENAI_API_BASE", "MODEL", "OPENAI_MODEL_NAME"):
    os.environ.pop(_name, None)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address: Any) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # Unix socket
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _allowed(address):
        raise ConnectionRefusedError(f"tests may not reach {address!r}: only loopback is allowed")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _allowed(address):
        raise ConnectionRefusedError(f"tests may not reach {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """Puts ``os.environ`` back after each test: a project's ``.env`` loaded in-process (as
    ``crewai run`` does) must not hand its keys to the tests that follow."""
    saved = dict(os.environ)
    yield
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "crewdesk-home"
    monkeypatch.setenv("CREWDESK_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def _memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    try:
        import keyring

        from desktop_app.storage.testing import MemoryKeyring
    except ImportError:  # storage not there yet in a partial checkout
        yield
        return
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "desktop_app.storage.testing.MemoryKeyring")
    yield
    keyring.set_keyring(previous)
