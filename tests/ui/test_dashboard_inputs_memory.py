"""Issue 14: the dashboard remembers each crew's inputs and for-each rows between sessions.

Real widgets, real files in the test's CrewDesk home: values are typed into the forms with
the keyboard, the app is "closed" and a new dashboard on the same folders shows them again.
Keys are never written: not an input named for a key, not a value shaped like one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from test_app_support import (
    TEST_KEY,
    close_dashboard,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    open_dashboard,
    sim_fixture,  # noqa: F401 - the `sim` fixture
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.dashboard_inputs import (
    FILE_NAME,
    CrewInputs,
    DashboardInputsStore,
    SavedInputs,
)
from desktop_app.storage.paths import AppPaths
from desktop_app.ui.dashboard import DashboardView

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def _type(view: DashboardView, crew_id: str, name: str, text: str) -> None:
    form = view.inputs_panel.form(crew_id)
    assert form is not None
    field = form.field(name)
    field.selectAll()
    QTest.keyClicks(field, text)  # typed: the form says it was edited


def test_inputs_and_for_each_rows_come_back_in_a_new_session_without_keys(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, view = await open_dashboard(qtbot, sim)
        alpha = await services.library.asave(make_document("Alpha", topic="owls"))
        beta = await services.library.asave(make_document("Beta", topic="bees"))
        keyed = make_document("Gamma")
        keyed.tasks[0].description = "Use {api_key} to write about {topic}"
        gamma = await services.library.asave(keyed)
        await view.load_crews()
        await view.select_crew(alpha)
        _type(view, alpha, "topic", "wasps")
        await view.select_crew(beta)
        view.batch.add_row({"topic": "moths"})
        view.batch.add_row({"topic": "sk-proj-Abcdefghijklmnop1234"})  # a key: left out
        await view.select_crew(gamma)
        _type(view, gamma, "api_key", TEST_KEY)
        _type(view, gamma, "topic", "newts")
        await view.memory.aflush()
        await close_dashboard(view, services)
        written = (services.paths.data_dir / FILE_NAME).read_text(encoding="utf-8")
        assert "wasps" in written and "moths" in written and "newts" in written
        assert TEST_KEY not in written and "sk-proj" not in written and "api_key" not in written

        services, view = await open_dashboard(qtbot, sim)  # the app opened again
        await view.load_crews()
        await view.select_crew(alpha)
        assert view.inputs.values() == {"topic": "wasps"}
        await view.select_crew(beta)
        assert view.inputs.values() == {"topic": "bees"}  # nothing typed: its input set
        assert view.batch.rows() == [{"topic": "moths"}]
        await view.select_crew(gamma)
        assert view.inputs.values() == {"topic": "newts"}  # the key is typed again
        assert view.inputs.missing() == ["api_key"]
        states = await view.run_checked()
        assert states == []  # says what is missing, runs nothing
        assert "api_key" in view.message.text()
        await close_dashboard(view, services)

    arun(scenario())


def test_an_unreadable_file_is_moved_aside_and_forgotten(tmp_path: Path) -> None:
    store = DashboardInputsStore(AppPaths.under(tmp_path))
    store.save(SavedInputs(crews={"a": CrewInputs(values={"topic": "owls", "token": "x"})}))
    assert store.load().crews["a"].values == {"topic": "owls"}
    store.path.write_text("{not json", encoding="utf-8")
    assert store.load().crews == {}
    assert store.path.with_name(FILE_NAME + ".bad").read_text(encoding="utf-8") == "{not json"
    assert not store.path.exists()
