"""Fixtures for compat tests: a simulator per test, the import hook, and tmp projects."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from desktop_app.simulator import SimulatorConfig, SimulatorThread


@pytest.fixture
def sim_thread() -> Iterator[SimulatorThread]:
    """A simulator in its own thread, for synchronous code (as tests/engine's)."""
    with SimulatorThread(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


@pytest.fixture
def hook() -> Iterator[None]:
    """The compat import hook, installed for the test and removed after it."""
    import desktop_app.compat as compat

    compat.install()
    try:
        yield
    finally:
        compat.uninstall()
    assert not any(name == "crewai" or name.startswith("crewai.") for name in sys.modules)


@pytest.fixture
def load_module(tmp_path: Path) -> Iterator[Callable[[str, dict[str, str]], ModuleType]]:
    """Writes files under tmp_path (relative path -> text, dedented) and imports the first
    as a module with a unique name; the modules are removed from `sys.modules` afterwards."""
    names: list[str] = []

    def load(entry: str, files: dict[str, str]) -> ModuleType:
        for relative, text in files.items():
            path = tmp_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        name = f"compat_test_project_{len(names)}_{id(tmp_path)}"
        spec = importlib.util.spec_from_file_location(name, tmp_path / entry)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)
