"""Fixtures for the simulator's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from desktop_app.simulator import Simulator, SimulatorConfig

FAST = SimulatorConfig(ttft=0.0, tokens_per_second=5000.0)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fast simulator on the test's event loop."""
    async with Simulator(FAST) as server:
        yield server


@pytest_asyncio.fixture
async def client(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client on the simulator's base URL."""
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10.0) as http:
        yield http
