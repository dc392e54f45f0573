"""Issue 14 defects in dialogs and the designer's export, driven through the real widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_app_support import make_document, make_services, sim_fixture, wait_until  # noqa: F401

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.memory import MemoryDialog

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
