"""Helpers for the shell, dashboard and run-controller tests (no tests here).

Imported by those test modules as `test_app_support` (pytest puts `tests/ui` on `sys.path`).
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QCheckBox, QTabWidget, QWidget

from desktop_app.documents.model import AgentSpec, CrewDocument, InputSet, TaskSpec
from desktop_app.engine.llm import load_litellm
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.controllers import RunController, RunRequest, RunState, RunStatus
from desktop_app.ui.dashboard import DashboardView
from desktop_app.ui.dashboard.run_panel import RunPanel
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.main_window import MainWindow
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


@pytest.fixture(name="gui_thread_gc")
def gui_thread_gc_fixture() -> Iterator[None]:
    """Keeps Python's cyclic GC on the GUI thread during the test.

    Left to chance, the GC runs in whichever thread allocates, often a worker thread
    (`asyncio.to_thread`, litellm's import). A QObject destroyed there cannot unregister its
    timers (a closed qasync loop keeps its `_SimpleTimer` timers registered), and the GUI
    thread later fires one at freed memory: a segfault in `QTimerInfoList::activateTimers`,
    seen in this suite. So: collect the last test's garbage here, keep the GC off during the
    test, and collect again after it. Modules use it with `pytest.mark.usefixtures`.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture(name="dialogs_keep_the_app")
def dialogs_keep_the_app_fixture(qapp: QApplication) -> Iterator[None]:
    """Closing the last dialog must not quit the app (and stop the loop) as in `main()`."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


def dialog_host(services: AppServices, controller: RunController,
                history: QWidget | None = None) -> SimpleNamespace:
    """What History's fork and resume dialogs need of the main window: the services, the
    run controller, a dashboard with a "dry run" box, and tabs to switch to it."""
    dashboard = QWidget()
    dashboard.dry_run = QCheckBox(dashboard)  # type: ignore[attr-defined]
    tabs = QTabWidget()
    tabs.addTab(dashboard, "Dashboard")
    host = SimpleNamespace(services=services, controller=controller, dashboard=dashboard,
                           tabs=tabs)
    if history is not None:
        host.history = history
    return host


async def run_to_end(controller: RunController, document: CrewDocument,
                     expect: RunStatus = RunStatus.DONE) -> RunState:
    """Runs `document` with its default inputs until it ends; fails unless it ends `expect`."""
    state = await controller.run(RunRequest(document, document.default_inputs()))
    assert state.status is expect, state.error
    return state


@pytest.fixture(name="services")
def services_fixture(arun: Callable[..., Any]) -> Iterator[AppServices]:
    """Real services on the test's private `CREWDESK_HOME` (not started: the view starts them)."""
    app_services = AppServices(AppPaths.from_env())
    yield app_services
    arun(app_services.close())


async def open_dashboard(
    qtbot: Any, sim: SimulatorThread, *, height: int = 800
) -> tuple[AppServices, DashboardView]:
    """Started services on the simulator and a shown dashboard on them (1300 × `height`)."""
    services = await make_services(sim.base_url)
    return services, show_dashboard(qtbot, services, RunController(services), height=height)


def show_dashboard(
    qtbot: Any, services: AppServices, controller: RunController, *, height: int = 800
) -> DashboardView:
    """A dashboard on `services` and `controller`, shown at 1300 × `height`."""
    view = DashboardView(services, controller)
    qtbot.addWidget(view)
    view.resize(1300, height)
    view.show()
    return view


async def close_dashboard(view: DashboardView, services: AppServices) -> None:
    """Closes the dashboard's run controller (its runs end), then the services."""
    await view._controller.aclose()
    await services.close()


async def open_window(
    qtbot: Any, services: AppServices, *, size: tuple[int, int] | None = None
) -> MainWindow:
    """The app's main window on `services` (resized to `size` if given), shown and started;
    closing it does not quit the app (as `main()` sets it: the window quits through its
    `closed` signal)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    window = MainWindow(services)
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    await window.start()
    return window


async def close_window(window: MainWindow, within: float = 30.0) -> None:
    """Closes the window the user's way (runs stopped, history flushed and closed) and waits
    for its `closed` signal, at most `within` seconds."""
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.close()
    await asyncio.wait_for(closed.wait(), within)


def reviewed(name: str) -> CrewDocument:
    """A one-task crew whose task asks for the person's feedback."""
    doc = make_document(name, tasks=1)
    doc.tasks[0].human_input = True
    return doc


def coder(name: str, *codes: str, approval: str = "ask") -> CrewDocument:
    """A one-task crew whose model calls the code interpreter with each of `codes`."""
    doc = make_document(name, tasks=1)
    agent = doc.agents[0].model_copy(update={"allow_code_execution": True})
    calls = "\n".join(f"sim-call: code_interpreter {json.dumps({'code': code})}"
                      for code in codes)
    task = doc.tasks[0].model_copy(update={"description": calls})
    settings = doc.settings.model_copy(update={"approval": approval})
    return doc.model_copy(update={"agents": [agent], "tasks": [task], "settings": settings})


async def panel_of(view: DashboardView, run_id: str) -> RunPanel:
    """The run panel of `run_id` on the dashboard, once it is there."""
    await wait_until(lambda: view.grid.panel_for(run_id) is not None)
    panel = view.grid.panel_for(run_id)
    assert panel is not None
    return panel


def make_view(
    qtbot: Any, services: AppServices, *, width: int = 1200, height: int = 800
) -> DesignerView:
    """A shown designer on `services` (width × height), closed with the test."""
    view = DesignerView(services)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    return view


async def start_app(sim: SimulatorThread) -> tuple[AppServices, RunController]:
    """Started services on the simulator (see `make_services`) and a run controller on them."""
    services = await make_services(sim.base_url)
    return services, RunController(services)


async def stop_app(controller: RunController, services: AppServices) -> None:
    """Closes the run controller (its runs end), then the services."""
    await controller.aclose()
    await services.close()
