"""Issue 14, the designer: an open CrewAI project is listed among its crews and reopens."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_app_support import make_document, make_services, wait_until

from desktop_app.ui.main_window import MainWindow

Arun = Callable[..., Any]


def _jsonc_project(root: Path) -> Path:
    (root / "agents").mkdir(parents=True)
    (root / "crew.jsonc").write_text(textwrap.dedent("""\
        {
          "name": "Trip",
          "agents": ["planner"],
          "tasks": [{"name": "plan", "description": "Plan a day in {city}",
                     "expected_output": "A plan", "agent": "planner"}],
          "inputs": {"city": "Lyon"},
        }
        """), encoding="utf-8")
    (root / "agents/planner.jsonc").write_text(
        '{"role": "Planner", "goal": "Plan well", "backstory": "Has travelled"}\n',
        encoding="utf-8")
    return root


def test_an_open_crewai_project_is_listed_in_the_designer_and_reopens_from_it(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = _jsonc_project(tmp_path / "trip")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        other = await services.library.asave(make_document("Other"))
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        window = MainWindow(services)
        qtbot.addWidget(window)
        window.show()
        await window.start()
        opened = await window.open_project(root)  # no code: nothing to trust
        assert opened is not None
        designer = window.designer
        assert "Trip (CrewAI project)" in designer.crew_list.texts()
        assert await designer.open_crew(other)
        assert "Trip (CrewAI project)" in designer.crew_list.texts()  # still listed
        row = designer.crew_list.texts().index("Trip (CrewAI project)")
        item = designer.crew_list.list.item(row)
        designer.crew_list.list.itemClicked.emit(item)  # as a click on the line does
        await wait_until(lambda: designer.editor.crew_id == opened.crew_id)
        assert designer.open_project is opened
        assert designer.editor.document.name == "Trip"
        window.close()
        await wait_until(lambda: not window.isVisible())

    arun(scenario(), timeout=90)
