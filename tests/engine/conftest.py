"""Fixtures for engine tests: a simulator per test and LLMs pointed at it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from desktop_app.engine import LLM, Agent, Crew, Task, _http_transport
from desktop_app.simulator import Simulator, SimulatorConfig, SimulatorThread


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator on the test's event loop (fast: 5 ms to first token)."""
    async with Simulator(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


@pytest.fixture
def sim_thread() -> Iterator[SimulatorThread]:
    """A simulator in its own thread, for synchronous code."""
    with SimulatorThread(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


def make_llm(base_url: str, settings: str = "", **options: object) -> LLM:
    """An LLM on the simulator; `settings` is the simulator's model-string suffix."""
    model = "openai/sim" + (f":{settings}" if settings else "")
    options.setdefault("retry_base_delay", 0.01)
    return LLM(model=model, base_url=base_url, api_key="sk-test", **options)  # type: ignore[arg-type]


def crew_on(llm: LLM, name: str = "Writer", *, task_name: str | None = None) -> Crew:
    """A crew `"{name} crew"` of one agent (role `name`) and one task about `{topic}`."""
    agent = Agent(role=name, goal="Write", backstory="A writer.", llm=llm)
    task = Task(description="Write about {topic}", expected_output="a text", agent=agent,
                name=task_name)
    return Crew(agents=[agent], tasks=[task], name=f"{name} crew")


async def wait_for(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Polls `condition` on the running loop; fails the test if it is not met `within` s."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)  # noqa: ASYNC110 - polls state that has no event


@pytest.fixture
def llm_on(sim: Simulator) -> Callable[..., LLM]:
    """Makes LLMs on the async simulator."""
    return lambda settings="", **options: make_llm(sim.base_url, settings, **options)


@pytest.fixture
def sqlite_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[int]]:
    """The ids of the threads that ran SQL on a store opened meanwhile (any statement)."""
    from desktop_app.engine import _fts

    threads: set[int] = set()
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(lambda _sql: threads.add(threading.get_ident()))
        return conn

    monkeypatch.setattr(_fts.sqlite3, "connect", connect)
    yield threads


WireHandler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[WireHandler], list[httpx.Request]]]:
    """Answers the native clients' blocking requests with a handler (a recorded provider answer,
    byte for byte); returns the requests seen. The client code above the transport is real."""
    clients: list[httpx.Client] = []

    def install(handler: WireHandler) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        client = httpx.Client(transport=httpx.MockTransport(record))
        clients.append(client)
        monkeypatch.setattr(_http_transport, "_sync_client", client)
        return seen

    yield install
    for client in clients:
        client.close()
