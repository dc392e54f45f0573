"""Fixtures of the storage tests: a private CrewDesk home and an in-memory keychain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from desktop_app.storage.paths import AppPaths
from desktop_app.storage.testing import MemoryKeyring


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """Every CrewDesk folder under this test's temporary directory."""
    return AppPaths.under(tmp_path / "home")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The real keyring API over a dict; the previous backend comes back afterwards."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
