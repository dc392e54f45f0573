"""The fixture CrewAI projects through the app itself: trusted, opened, dry-run by RunController.

As the app does after "Open CrewAI project…" and Run with "Dry run" ticked: `load_project`
(trusted) in a worker thread, a `RunRequest` with the project's run (`OpenProject.run_for()`),
`RunController.start`, on a qasync loop. The app's simulator service is the test's simulator,
so its recorded requests show what each task was offered. The checks are those of
`test_real_projects` (every task ran, tools offered, output models, files, delegation, plan,
callbacks); the app's working folder is not the project's.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import PySide6.QtWidgets  # noqa: F401 - qasync must find PySide6 first
import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication

from desktop_app.engine.events import RunEvent
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.paths import AppPaths
from desktop_app.ui.controllers import RunController, RunRequest, RunStatus
from desktop_app.ui.services import AppServices, SimulatorService
from tests.compat.test_real_projects import (
    BY_NAME,
    FAST,
    _process_state,  # noqa: F401 - the autouse fixture that puts the process back
    check_run,
    copy_fixture,
    events,  # noqa: F401 - the bus fixture
    root_url,
)

FOLDERS = sorted(name for name in BY_NAME if (Path(__file__).parent / "projects" / name).is_dir())


class TestSimulator(SimulatorService):
    """The app's simulator service, answering with the test's simulator."""

    __test__ = False

    def __init__(self, sim: SimulatorThread) -> None:
        super().__init__()
        self.sim = sim

    async def base_url(self) -> str:
        """The test simulator's address."""
        return self.sim.base_url


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the Qt event loop, closed at teardown (as tests/ui's)."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    hooks = sys.get_asyncgen_hooks()  # put back after: a closed loop's must not stay
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    shiboken6.delete(loop._timer)  # see tests/ui/conftest.py
    asyncio.set_event_loop(None)
    sys.set_asyncgen_hooks(*hooks)


async def dry_run(root: Path, inputs: dict[str, str], sim: SimulatorThread) -> None:
    """Opens the project trusted and dry-runs it with the RunController; checks it ended DONE."""
    from desktop_app.ui.projects._session import load_project

    services = AppServices(AppPaths.from_env(), simulator=TestSimulator(sim))
    await services.start()
    controller = RunController(services)
    try:
        opened = await asyncio.to_thread(load_project, root, True)
        assert not opened.error, opened.error  # (a crew.jsonc crew runs from its document)
        assert opened.runs_code or (root / "crew.jsonc").is_file()
        services.projects.add(opened)
        # The project's tools (Serper, files) ask first by default; this test is not about that.
        settings = services.current_settings.model_copy(deep=True)
        settings.crew_approvals[opened.crew_id] = "always"
        await services.save_settings(settings)
        request = RunRequest(opened.document, inputs, crew_id=opened.crew_id, dry_run=True,
                             project=opened.run_for())
        state = controller.start(request)
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
    finally:
        await controller.aclose()
        await services.close()


@pytest.mark.parametrize("name", FOLDERS)
def test_the_run_controller_dry_runs_the_project(
    name: str, tmp_path: Path, qloop: asyncio.AbstractEventLoop, events: list[RunEvent],  # noqa: F811
) -> None:
    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)
    elsewhere = tmp_path / "app-working-folder"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    with SimulatorThread(FAST) as sim:
        os.environ.pop("CREWDESK_SERPER_URL", None)  # the app's dry run must see to it
        qloop.run_until_complete(asyncio.wait_for(dry_run(root, case.inputs, sim), 120))
        check_run(case, sim, events, root)
        assert root_url(sim)
    assert not any(elsewhere.iterdir()), sorted(p.name for p in elsewhere.iterdir())
