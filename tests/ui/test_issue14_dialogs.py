"""Issue 14 defects in dialogs, History, Settings' Test connection and the designer's export,
driven through the real widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from test_app_support import make_document, make_services, sim_fixture, wait_until  # noqa: F401

from desktop_app.engine import LLM, LLMError
from desktop_app.engine.llm import load_litellm
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.paths import AppPaths
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.history import HistoryView
from desktop_app.ui.history._table import COLUMNS
from desktop_app.ui.memory import MemoryDialog
from desktop_app.ui.services import AppServices
from desktop_app.ui.settings import SettingsDialog

Arun = Callable[..., Any]


@pytest.fixture
def _no_quit_on_close(qapp: QApplication) -> Iterator[None]:
    """Closing the dialog (the only window) must not quit the app, as in `main()`."""
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(before)


@pytest.mark.usefixtures("_no_quit_on_close")
def test_enter_in_the_memory_search_box_searches_and_keeps_the_dialog_open(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        dialog = MemoryDialog(services, None)
        qtbot.addWidget(dialog)
        dialog.show()
        await dialog.ready()
        dialog.search_edit.setFocus()
        dialog.search_edit.setText("lighthouse")
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            qtbot.keyClick(dialog.search_edit, key)
            assert dialog.isVisible(), "Enter in the search box closed the dialog"
            assert dialog.result() == 0
        qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Escape)  # Escape still closes
        assert not dialog.isVisible()
        await services.close()

    arun(scenario())


def test_export_into_a_non_empty_folder_names_the_subfolder_it_wrote(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    async def scenario() -> None:
        services = await make_services(sim.base_url)
        view = DesignerView(services)
        qtbot.addWidget(view)
        await view.ready()
        assert await view.new_crew(make_document("Bird Watch"))
        folder = tmp_path / "projects"
        folder.mkdir()
        (folder / "notes.txt").write_text("already here", encoding="utf-8")
        assert await view.export_crewai(folder)
        written = [p for p in folder.iterdir() if p.is_dir()]
        assert len(written) == 1
        assert (written[0] / "pyproject.toml").is_file()
        assert str(written[0]) in view.status(), view.status()
        view.close()
        await services.close()

    arun(scenario())


@pytest.mark.usefixtures("_no_quit_on_close")
def test_test_connection_tells_a_missing_key_and_an_unreachable_server_from_http_500(
    qtbot: QtBot, arun: Arun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWDESK_LLM_CLIENT", "litellm")  # litellm calls both "HTTP 500"
    load_litellm()

    async def scenario() -> None:
        services = AppServices(AppPaths.from_env())
        await services.start()
        owner = QWidget()
        qtbot.addWidget(owner)
        owner.show()
        dialog = SettingsDialog(services, owner)
        dialog.open()
        await dialog.ready()
        dialog.add_provider("openai")  # no key stored, none typed
        result = await dialog.test_connection()
        shown = dialog.form.test_label.text()
        assert not result.ok
        assert "HTTP 500" not in shown and "server error" not in shown, shown
        assert "No API key" in shown, shown
        dialog.add_provider("openai_compatible")
        dialog.form.url_edit.setText("http://127.0.0.1:9/v1")
        dialog.form.url_edit.textEdited.emit("http://127.0.0.1:9/v1")
        dialog.form.model_box.setEditText("openai/my-model")
        qtbot.keyClicks(dialog.form.key_edit, "sk-some-key")
        result = await dialog.test_connection()
        shown = dialog.form.test_label.text()
        assert not result.ok
        assert "HTTP 500" not in shown and "server error" not in shown, shown
        assert "Could not reach http://127.0.0.1:9/v1" in shown, shown
        dialog.reject()
        await services.close()

    arun(scenario(), timeout=90)


@pytest.mark.parametrize(
    ("model", "options", "kind"),
    [
        ("openai/gpt-4o-mini", {}, "auth"),
        ("openai/my-model", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"}, "connection"),
    ],
)
def test_litellm_s_http_500_for_a_missing_key_or_no_server_is_classified_as_such(
    monkeypatch: pytest.MonkeyPatch, model: str, options: dict[str, str], kind: str
) -> None:
    monkeypatch.setenv("CREWDESK_LLM_CLIENT", "litellm")
    load_litellm()
    with pytest.raises(LLMError) as caught:
        LLM(model, max_retries=0, **options).call([{"role": "user", "content": "x"}])
    error = caught.value
    assert (error.kind, error.status_code) == (kind, None), str(error)
    assert "HTTP 500" not in str(error) and "InternalServerError" not in str(error)


def test_history_has_an_inputs_column_that_tells_for_each_runs_apart(
    qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services = AppServices(AppPaths.from_env())
        await services.start()
        for topic in ("owls", "bees"):
            run_id = await services.history.start_run("Birds", inputs={"topic": topic, "n": 3})
            await services.history.finish_run(run_id, "finished", final_output="done")
        view = HistoryView(services)
        qtbot.addWidget(view)
        await view.refresh()
        column = COLUMNS.index("Inputs")
        assert view.model.headerData(column, Qt.Orientation.Horizontal) == "Inputs"
        cells = sorted(str(view.model.index(row, column).data()) for row in range(2))
        assert cells == ["topic: bees, n: 3", "topic: owls, n: 3"]
        tip = view.model.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
        assert "n: 3" in tip and "topic: " in tip
        view.close()
        await services.close()

    arun(scenario())
