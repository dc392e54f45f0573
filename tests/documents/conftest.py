"""Fixtures for document tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.documents.projects import WriteTree, write_tree


@pytest.fixture
def tree(tmp_path: Path) -> WriteTree:
    """Writes a file tree into a fresh folder of the test's temp dir; returns the folder."""
    counter = iter(range(1000))

    def make(files: dict[str, str]) -> Path:
        return write_tree(tmp_path / f"project{next(counter)}", files)

    return make
