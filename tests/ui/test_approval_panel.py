"""Run / Deny / Always in the run panel, with real widgets, real runs and the simulator.

A crew whose approval is "ask" (every crew document starts there) stops before the code its
model wrote runs; the run's panel shows the code (keys masked) with Run / Deny / Always,
while other runs keep streaming. Deny gives the model an error and the run goes on; Always
is saved into the crew's settings; stopping the run while it asks cancels the question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    TEST_KEY,
    close_dashboard,
    coder,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    open_dashboard,
    panel_of,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.controllers.run_controller import RunMode
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.services import AppServices

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")

MASKED = f"sk-…{TEST_KEY[-4:]}"


async def _history_text(services: AppServices, run_id: str) -> str:
    await services.history.flush()
    record = await services.history.get_run(run_id)
    assert record is not None
    return repr(record)


@pytest.mark.parametrize("mode", ["akickoff", "kickoff_async"])
def test_the_panel_shows_the_code_and_run_executes_it_while_other_runs_stream(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, mode: RunMode
) -> None:
    code = f"key = {TEST_KEY!r}\nprint(6 * 7)"

    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim, height=900)
        doc = coder("Asker", code)
        state = view.start(doc, doc.default_inputs(), mode=mode)
        panel = await panel_of(view, state.run_id)
        bar = panel.approval_bar
        await wait_until(bar.isVisible)
        shown = bar.detail.toPlainText()
        assert "print(6 * 7)" in shown and MASKED in shown and TEST_KEY not in shown
        assert "Asker Writer" in bar.title.text() and "code" in bar.title.text()
        other = make_document("Other", tasks=1)
        meanwhile = view.start(other, other.default_inputs())
        await view._controller.wait(meanwhile)  # streams to its end while Asker waits
        assert meanwhile.status is RunStatus.DONE and state.status.value == "running"

        bar.run_button.click()
        assert not bar.run_button.isEnabled()  # one answer per request
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert not bar.isVisible() and state.pending_approval is None
        assert "↳ 42" in panel.shown_text()
        assert TEST_KEY not in panel.shown_text() and MASKED in panel.shown_text()
        record = await services.history.get_run(state.run_id)
        assert record is not None  # the code shown in history's lines is masked too
        assert not [s.text for s in record.segments if TEST_KEY in s.text]
        assert any(MASKED in s.text for s in record.segments if s.kind == "tool_call")
        assert "✓ Allowed by you: " in panel.shown_text()
        assert "✓ Allowed by you: " in await _history_text(services, state.run_id)
        await close_dashboard(view, services)

    arun(scenario())


def test_deny_gives_the_model_an_error_and_the_run_finishes(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim, height=900)
        doc = coder("Denied", "print('never')")
        state = view.start(doc, doc.default_inputs())
        panel = await panel_of(view, state.run_id)
        await wait_until(panel.approval_bar.isVisible)
        panel.approval_bar.deny_button.click()
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        shown = panel.shown_text()
        assert "✗ Error: the user did not allow this call" in shown
        assert "⚠ Refused by you: " in shown and "never\n" not in shown
        assert "Refused by you: " in await _history_text(services, state.run_id)
        await close_dashboard(view, services)

    arun(scenario())


def test_always_is_saved_to_the_crew_and_later_calls_do_not_ask(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim, height=900)
        crew_id = await services.library.asave(coder("Trusted", "print(1)", "print(2)"))
        designer = DesignerView(services)  # shows the crew meanwhile (as the main window)
        qtbot.addWidget(designer)
        view._controller.crewSettingsSaved.connect(designer.take_saved_always)
        await designer.ready()
        assert await designer.open_crew(crew_id)
        await view.load_crews()
        state = await view.run_crew(crew_id)
        assert state is not None
        panel = await panel_of(view, state.run_id)
        await wait_until(panel.approval_bar.isVisible)
        panel.approval_bar.always_button.click()
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert "↳ 1" in panel.shown_text() and "↳ 2" in panel.shown_text()  # asked once
        assert "✓ Always for Trusted" in panel.shown_text()
        assert (await services.library.aload(crew_id)).settings.approval == "always"
        assert designer.editor.document.settings.approval == "always"  # a save keeps it
        assert not designer.editor.dirty

        again = await view.run_crew(crew_id)
        assert again is not None
        await view._controller.wait(again)
        assert again.status is RunStatus.DONE and "Allowed by you" not in again.transcript()
        await close_dashboard(view, services)

    arun(scenario())


@pytest.mark.parametrize("mode", ["akickoff", "kickoff_async"])
def test_stopping_a_run_that_asks_cancels_the_question(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, mode: RunMode
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim, height=900)
        doc = coder("Stopped", "print('no')")
        state = view.start(doc, doc.default_inputs(), mode=mode)
        panel = await panel_of(view, state.run_id)
        await wait_until(panel.approval_bar.isVisible)
        panel.stop_button.click()
        await view._controller.wait(state)
        assert state.status is RunStatus.CANCELLED
        assert not panel.approval_bar.isVisible() and state.pending_approval is None
        assert not view._controller.decide(state.run_id, "run")
        await close_dashboard(view, services)

    arun(scenario())


def test_never_refuses_without_asking(sim: SimulatorThread, qtbot: QtBot, arun: Arun) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim, height=900)
        doc = coder("Never", "print('no')", approval="never")
        state = view.start(doc, doc.default_inputs())
        panel = await panel_of(view, state.run_id)
        await view._controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert "⚠ Refused by this crew's approval setting: " in panel.shown_text()
        await close_dashboard(view, services)

    arun(scenario())
