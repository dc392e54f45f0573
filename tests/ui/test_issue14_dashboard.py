"""Issue 14, the dashboard: inputs of the checked crews, for-each rows kept, tab order,
panel titles and badges, new panels in view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    close_dashboard,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    open_dashboard,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.dashboard._badges import FULL_TITLE

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def test_the_inputs_box_shows_the_checked_crews_not_the_highlighted_one(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        alpha = await services.library.asave(make_document("Alpha", topic="owls"))
        beta = await services.library.asave(make_document("Beta", topic="bees"))
        gamma = await services.library.asave(make_document("Gamma", topic="ants"))
        await view.load_crews()
        await view.select_crew(gamma)
        assert list(view.inputs_panel.forms()) == [gamma]
        view.picker.set_checked(alpha)
        view.picker.set_checked(beta)
        await wait_until(lambda: list(view.inputs_panel.forms()) == [alpha, beta])
        view.inputs_panel.forms()[alpha].field("topic").setText("wasps")
        await view.select_crew(gamma)  # highlighting another crew changes nothing here
        await view.select_crew(beta)
        forms = view.inputs_panel.forms()
        assert list(forms) == [alpha, beta]
        assert forms[alpha].values() == {"topic": "wasps"}
        assert forms[beta].values() == {"topic": "bees"}
        states = await view.run_checked()
        assert sorted((s.crew_name, s.inputs["topic"]) for s in states) == [
            ("Alpha", "wasps"), ("Beta", "bees")]
        view.picker.set_checked(alpha, False)
        view.picker.set_checked(beta, False)
        await wait_until(lambda: list(view.inputs_panel.forms()) == [beta])  # highlighted
        await close_dashboard(view, services)

    arun(scenario())


def test_for_each_rows_are_kept_per_crew_when_switching(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        alpha = await services.library.asave(make_document("Alpha"))
        other = make_document("Other")
        other.tasks[0].description = "Write about {city}"
        other.input_sets[0].values = {"topic": "x", "city": "Oslo"}
        beta = await services.library.asave(other)
        await view.load_crews()
        await view.select_crew(alpha)
        view.batch.add_row({"topic": "owls"})
        view.batch.add_row({"topic": "bees"})
        assert "Alpha" in view.batch_box.title()
        await view.select_crew(beta)
        assert view.batch.rows() == []
        assert "Other" in view.batch_box.title()
        view.batch.add_row({"city": "Lima", "topic": "llamas"})
        await view.select_crew(alpha)
        assert view.batch.rows() == [{"topic": "owls"}, {"topic": "bees"}]
        await view.select_crew(beta)
        assert view.batch.rows() == [{"topic": "llamas", "city": "Lima"}]
        await close_dashboard(view, services)

    arun(scenario())


def test_tab_goes_through_the_inputs_before_run(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        alpha = await services.library.asave(make_document("Alpha"))
        await view.load_crews()
        await view.select_crew(alpha)
        chain: list[QWidget] = []
        widget: QWidget = view.picker
        while widget not in chain:
            chain.append(widget)
            widget = widget.nextInFocusChain()
        field = view.inputs.field("topic")
        order = [w for w in chain if w in (view.picker, field, view.mode, view.run_button)]
        assert order == [view.picker, field, view.mode, view.run_button]
        await close_dashboard(view, services)

    arun(scenario())


def test_for_each_panels_carry_their_row_and_a_model_or_simulator_badge(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        real = make_document("Birds", model="openai/gpt-4o-mini", tasks=1)
        crew = await services.library.asave(real)
        await view.load_crews()
        await view.select_crew(crew)
        view.batch.add_row({"topic": "owls"})
        view.batch.add_row({"topic": "bees"})
        states = await view.run_batch()
        assert len(states) == 2
        panels = [view.grid.panel_for(state.run_id) for state in states]
        titles = [panel.title.property(FULL_TITLE) for panel in panels if panel is not None]
        assert titles == ["Birds · topic: owls", "Birds · topic: bees"]
        for panel in panels:  # on screen: cut to the label's width, never wider
            assert panel is not None and panel.title.text().startswith("Bi")
            width = panel.title.contentsRect().width()
            assert panel.title.fontMetrics().horizontalAdvance(panel.title.text()) <= width
        badges = [panel.badge for panel in panels if panel is not None]
        assert [b.text() for b in badges] == ["gpt-4o-mini", "gpt-4o-mini"]
        assert not any(b.isHidden() for b in badges)
        assert "openai/gpt-4o-mini (provider Local)" in badges[0].toolTip()
        view.dry_run.setChecked(True)
        dry = await view.run_crew(crew)
        assert dry is not None
        panel = view.grid.panel_for(dry.run_id)
        assert panel is not None and panel.badge.text() == "SIMULATOR"
        for state in [*states, dry]:
            await view._controller.wait(state)
        await close_dashboard(view, services)

    arun(scenario())


def test_a_new_run_panel_scrolls_into_view(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        view.runs.set_compact(False)  # the grid of panels, though 10+ runs show a list
        doc = make_document("Many", model="openai/sim:tps=2000,tokens=5,ttft=0.001", tasks=1)
        first = [view.start(doc, {"topic": f"t{i}"}) for i in range(10)]
        for state in first:
            await view._controller.wait(state)
        await wait_until(lambda: len(view.grid.panels) == 10)
        view.grid.verticalScrollBar().setValue(0)  # the user scrolled back to the top
        latest = view.start(doc, {"topic": "latest"})
        await wait_until(lambda: view.grid.panel_for(latest.run_id) is not None)
        panel = view.grid.panel_for(latest.run_id)
        assert panel is not None
        await wait_until(lambda: not panel.visibleRegion().isEmpty(), within=5)
        assert view.grid.verticalScrollBar().value() > 0
        await view._controller.wait(latest)
        await close_dashboard(view, services)

    arun(scenario())
