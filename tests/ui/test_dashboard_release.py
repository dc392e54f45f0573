"""What the dashboard keeps of ended runs: the panels of the latest few, and nothing else.

A session that runs 1,000 crews must not hold 1,000 panels and states (the soak figure is
`benchmarks/reliability_soak_ui.py`); every run stays in the history.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    show_dashboard,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunState, RunStatus
from desktop_app.ui.dashboard import DashboardView

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def test_panels_and_states_of_ended_runs_beyond_the_limit_are_let_go(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        view = show_dashboard(qtbot, services, controller)
        view.grid.max_ended = 3
        doc = make_document("Short", tasks=1)
        refs: list[weakref.ref[RunState]] = []
        run_ids = []
        for _ in range(8):
            state = view.start(doc, doc.default_inputs())
            await controller.wait(state)
            assert state.status is RunStatus.DONE, state.error
            refs.append(weakref.ref(state))
            run_ids.append(state.run_id)
            del state
        assert controller.runs == []
        assert [p.state.run_id for p in view.grid.panels] == run_ids[-3:]
        assert view.grid.let_go == 5
        assert "3 done" in view.summary.text()
        assert "5 earlier in History" in view.summary.text()

        def released() -> list[bool]:
            gc.collect()
            return [ref() is None for ref in refs]

        await wait_until(lambda: released() == [True] * 5 + [False] * 3)
        listed = await services.history.list_runs()
        assert sorted(run.run_id for run in listed) == sorted(run_ids)
        await stop_app(controller, services)

    arun(scenario())


def test_runs_that_end_before_their_panel_is_built_are_let_go_too(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        view = DashboardView(services, controller)
        qtbot.addWidget(view)
        view.show()
        view.grid.max_ended = 2
        doc = make_document("Queued", tasks=1)
        states = [view.start(doc, doc.default_inputs()) for _ in range(6)]
        for state in states:  # all stopped while queued or starting, most never drawn
            controller.stop(state.run_id)
        await asyncio.gather(*(controller.wait(state) for state in states))
        await wait_until(lambda: not controller.runs)
        kept = view.grid.states
        assert [s.run_id for s in kept] == [s.run_id for s in states[-2:]]
        assert view.grid.let_go == 4
        await stop_app(controller, services)

    arun(scenario())
