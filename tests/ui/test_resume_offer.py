"""The offer at start to resume interrupted runs: resuming runs only the tasks left (the
simulator's request count proves the finished task is not asked again), discarding stops the
offer, and each row shows the estimated cost of what is left."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    dialog_host,
    dialogs_keep_the_app_fixture,  # noqa: F401 - the `dialogs_keep_the_app` fixture
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.forks import ResumeOffer, RunForks
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.history._resume import ResumeDialog, estimate_left, offer_resumes
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]
SHOTS = os.environ.get("CREWDESK_SHOTS")

pytestmark = pytest.mark.usefixtures("dialogs_keep_the_app", "gui_thread_gc", "litellm_loaded")


async def _interrupted(services: AppServices, name: str, done: int) -> str:
    """A run of a three-task crew cut off after `done` tasks, as a killed app leaves it."""
    history = services.history
    document = make_document(name, tasks=3)
    run_id = await history.start_run(name, crew_snapshot=document.model_dump(mode="json"),
                                     inputs={"topic": "owls"}, mode="cli akickoff")
    for index in range(done):
        await history.record_task_output(run_id, index, raw=f"STORED-{name}-{index + 1}",
                                         agent=f"{name} Writer")
    await history.mark_interrupted()
    return run_id


def test_resume_runs_only_the_tasks_left_and_is_not_offered_again(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        run_id = await _interrupted(services, "Owls", done=1)
        dialog = await offer_resumes(dialog_host(services, controller))
        assert isinstance(dialog, ResumeDialog)
        qtbot.addWidget(dialog)
        assert [o.run_id for o in dialog.offers] == [run_id]
        assert dialog.table.item(0, 2).text() == "1 of 3 tasks"
        assert dialog.estimated is not None
        await dialog.estimated
        # The simulator's model has no price: the calls are counted, no dollar figure is made up.
        assert re.fullmatch(r"2 calls, \d+ tokens \(no known price for its models\)",
                            dialog.cost_text(0)), dialog.cost_text(0)  # tasks 2 and 3 only
        if SHOTS:
            dialog.grab().save(str(Path(SHOTS) / "resume_offer.png"))
        before = len(sim.stats.requests)
        [state] = await dialog.resume_selected()
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        asked = [str(r.body["messages"]) for r in sim.stats.requests[before:]]
        assert len(asked) == 2  # task 1 is not asked again
        assert "Owls step 2 about owls" in asked[0] and "STORED-Owls-1" in asked[0]
        assert "Owls step 3 about owls" in asked[1]
        record = await services.history.get_run(state.run_id)
        assert record is not None and record.task_outputs[0].raw == "STORED-Owls-1"
        forks = RunForks(services.history)
        assert (await forks.links())[state.run_id].parent_run_id == run_id
        assert await forks.offers() == []  # resumed: not offered at the next start
        assert await offer_resumes(dialog_host(services, controller)) is None
        await stop_app(controller, services)

    arun(scenario())


def test_discard_stops_the_offer_and_runs_nothing(
    sim: SimulatorThread, qtbot: QtBot, arun: Run
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        await _interrupted(services, "Bats", done=2)
        finished_all = await _interrupted(services, "Moths", done=3)
        dialog = await offer_resumes(dialog_host(services, controller))
        assert dialog is not None
        qtbot.addWidget(dialog)
        assert dialog.estimated is not None
        dialog.estimated.cancel()
        moths = next(i for i, o in enumerate(dialog.offers) if o.run_id == finished_all)
        dialog.table.clearSelection()
        dialog.table.selectRow(moths)
        assert await dialog.resume_selected() == []
        assert "nothing left to run" in dialog.status.text()
        dialog.table.selectAll()
        assert await dialog.discard_selected() == 2
        assert sim.stats.requests == []
        assert await RunForks(services.history).offers() == []
        await stop_app(controller, services)

    arun(scenario())


def test_the_cost_left_is_priced_at_the_crews_real_model(arun: Run) -> None:
    from datetime import UTC, datetime

    document = make_document("Priced", model="openai/gpt-4o", tasks=3)
    offer = ResumeOffer(run_id="r", crew_name="Priced", mode="akickoff",
                        started_at=datetime.now(UTC), inputs={"topic": "owls"}, task_count=3,
                        finished_tasks=2, crew_snapshot=document.model_dump(mode="json"))
    text = arun(estimate_left(offer))
    assert text.startswith("about $") and ": 1 call, " in text, text
    assert float(text.removeprefix("about $").split(":")[0]) > 0


def test_the_window_offers_the_runs_a_kill_cut_off_when_it_starts(
    qtbot: QtBot, arun: Run
) -> None:
    from desktop_app.storage.paths import AppPaths
    from desktop_app.ui.main_window import MainWindow

    async def scenario() -> None:
        killed = AppServices(AppPaths.from_env())
        await killed.start()
        document = make_document("Cut", tasks=2)
        run_id = await killed.history.start_run(
            "Cut", crew_snapshot=document.model_dump(mode="json"), inputs={"topic": "x"})
        await killed.history.record_task_output(run_id, 0, raw="kept")
        await killed.close()
        window = MainWindow(AppServices(AppPaths.from_env()))
        qtbot.addWidget(window)
        window.show()
        await window.start()
        offer = window.resume_offer
        assert isinstance(offer, ResumeDialog) and offer.isVisible()
        assert [(o.run_id, o.finished_tasks) for o in offer.offers] == [(run_id, 1)]
        offer.reject()  # Later: offered again at the next start
        assert [o.run_id for o in await RunForks(window.services.history).offers()] == [run_id]
        window.close()
        await window.services.close()

    arun(scenario())
