"""Fixtures of the storage tests: a private CrewDesk home and an in-memory keychain; and
`kill_when_ready`, for the tests of what a killed writer leaves in the history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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


def kill_when_ready(script: str, path: Path) -> int:
    """Runs `script` in a child Python with `path` as its argument, kills it with SIGKILL once
    it prints "ready", and returns its exit code (the child is reaped whatever happens)."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    return child.returncode
