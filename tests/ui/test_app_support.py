"""Helpers for the shell, dashboard and run-controller tests (no tests here).

Imported by those test modules as `test_app_support` (pytest puts `tests/ui` on `sys.path`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app.documents.model import AgentSpec, CrewDocument, InputSet, TaskSpec
from desktop_app.engine.llm import load_litellm
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.services import AppServices

TEST_KEY = "sk-crewdesk-test-Zq8Xv2Lm4Np6Rt0Wy3"
"""The API key the tests store in the (in-memory) keychain; it must never reach a file."""

CREDENTIAL = "local-openai"


def make_document(
    name: str,
    *,
    model: str = "openai/sim:tps=2000,tokens=25,ttft=0.005",
    tasks: int = 2,
    topic: str = "cats",
) -> CrewDocument:
    """A crew of one agent and `tasks` tasks, with a `{topic}` placeholder."""
    agent = AgentSpec(key="writer", role=f"{name} Writer", goal="Write well",
                      backstory="Knows {topic}.", llm=model)
    specs = [
        TaskSpec(key=f"t{i}", description=f"{name} step {i + 1} about {{topic}}",
                 expected_output="A paragraph.", agent="writer")
        for i in range(tasks)
    ]
    return CrewDocument(name=name, agents=[agent], tasks=specs,
                        input_sets=[InputSet(name="default", values={"topic": topic})])


async def make_services(base_url: str, *, root: Path | None = None) -> AppServices:
    """Started services on `$CREWDESK_HOME`, with an OpenAI-kind provider on `base_url`
    whose key is in the keychain."""
    paths = AppPaths.from_env() if root is None else AppPaths.under(root)
    services = AppServices(paths)
    await services.start()
    await services.secrets.aset(CREDENTIAL, TEST_KEY)
    settings = Settings(
        providers=[ProviderSettings(id="local", kind="openai", display_name="Local",
                                    base_url=base_url, credential_name=CREDENTIAL,
                                    default_model="openai/sim")],
        default_provider="local",
        concurrency_limit=4,
    )
    await services.save_settings(settings)
    return services


@pytest.fixture(name="sim")
def sim_fixture() -> Iterator[SimulatorThread]:
    """The LLM simulator on its own loop in a daemon thread (as the app runs it)."""
    with SimulatorThread(SimulatorConfig()) as server:
        yield server


@pytest.fixture(scope="session")
def litellm_loaded() -> None:
    """Imports litellm once, before the tests that time their runs (it takes seconds)."""
    load_litellm()


async def wait_until(predicate: Callable[[], Any], within: float = 30.0) -> None:
    """Polls `predicate` on the loop until it is true (a coroutine-safe `waitUntil`)."""
    try:
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - polls state that has no event
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"condition not met within {within} s") from None
