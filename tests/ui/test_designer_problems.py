"""Issue 14, defect 3: the designer lists what would fail at run time, in plain words, and a
click on a problem shows its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    make_view,
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.ui.designer import DesignerView
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


def _view(qtbot: QtBot, services: AppServices) -> DesignerView:
    view = make_view(qtbot, services)
    view.activateWindow()
    return view


def _add_a_tool_and_a_typo(project: Path) -> None:
    """What a user's own CrewAI project holds: a tool of its own, a `{ topic }` typo."""
    [agents_file] = project.rglob("agents.yaml")
    agents = yaml.safe_load(agents_file.read_text(encoding="utf-8"))
    first = next(iter(agents))
    agents[first]["tools"] = ["MyCompanySearchTool"]
    agents_file.write_text(yaml.safe_dump(agents, sort_keys=False), encoding="utf-8")
    [tasks_file] = project.rglob("tasks.yaml")
    tasks = yaml.safe_load(tasks_file.read_text(encoding="utf-8"))
    second = list(tasks)[1]
    tasks[second]["description"] = "Write about { topic }. " + tasks[second]["description"]
    tasks_file.write_text(yaml.safe_dump(tasks, sort_keys=False), encoding="utf-8")


def test_an_imported_project_with_an_unknown_tool_lists_it_and_jumps_to_it(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Path
) -> None:
    view = _view(qtbot, services)
    problems = view.crew_page.problems_list

    async def scenario() -> None:
        await view.ready()
        await view.open_crew("example:research_writer")
        assert problems.texts() == ["No problems: the crew can be saved and run."]
        assert await view.export_crewai(tmp_path / "project")
        _add_a_tool_and_a_typo(tmp_path / "project")
        assert await view.import_crewai(tmp_path / "project")

    arun(scenario())
    texts = problems.texts()
    assert not any(text.startswith("No problems") for text in texts), texts
    [tool_line] = [text for text in texts if "MyCompanySearchTool" in text]
    assert tool_line.startswith("▶✖ Fails when run: Agent 1 "), tool_line
    assert "uses the tool 'MyCompanySearchTool', which CrewDesk cannot build" in tool_line
    assert "agents[0]" not in tool_line
    [typo_line] = [text for text in texts if "{ topic }" in text]
    assert typo_line.startswith("⚠ Warning: Task 2 "), typo_line
    # The field shows the message too, and a click on the line shows the field.
    typo_item = problems.item(texts.index(typo_line))
    problems.scrollToItem(typo_item)
    qtbot.mouseClick(  # type: ignore[no-untyped-call]  # pytest-qt leaves it unannotated
        problems.viewport(), Qt.MouseButton.LeftButton,
        pos=problems.visualItemRect(typo_item).center())
    assert view.tabs.currentWidget() is view.tasks_page
    assert view.tasks_page.items_list.currentRow() == 1
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.task_form.description_edit)
    assert "{ topic }" in view.task_form.rows["description"].message()
    tool_item = problems.item(texts.index(tool_line))
    problems.itemActivated.emit(tool_item)  # Enter on the line does the same
    assert view.tabs.currentWidget() is view.agents_page
    assert view.agents_page.items_list.currentRow() == 0
    assert "MyCompanySearchTool" in view.agent_form.rows["tools"].message()


def test_a_crew_page_problem_jumps_to_the_crew_field(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = _view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()

    arun(scenario())
    view.editor.set_field(("name",), "")
    view.tabs.setCurrentWidget(view.tasks_page)
    problems = view.crew_page.problems_list
    [line] = problems.texts()
    assert line == "✖ The crew's name: the crew needs a name"
    problems.itemClicked.emit(problems.item(0))
    assert view.tabs.currentWidget() is view.crew_page
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.crew_page.name_edit)


def test_a_read_only_example_is_readable_not_greyed(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    """Issue 14, defect 8: examples were drawn disabled, grey on grey."""
    view = _view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.open_crew("example:research_writer")

    arun(scenario())
    view.tabs.setCurrentWidget(view.agents_page)
    form = view.agent_form
    role = form.role_edit
    assert role.isEnabled() and role.isReadOnly()
    assert view.agents_page.items_list.isEnabled()
    before = role.text()
    role.setFocus()
    role.selectAll()
    assert role.selectedText() == before  # the text can be selected and copied
    qtbot.keyClicks(role, "x")  # type: ignore[no-untyped-call]  # pytest-qt: unannotated
    assert role.text() == before and not view.editor.dirty
    # Check boxes and combo boxes show their values in normal colours but ignore clicks.
    assert form.code_box.isEnabled() and form.model_box.isEnabled()
    ticked = form.code_box.isChecked()
    qtbot.mouseClick(  # type: ignore[no-untyped-call]  # pytest-qt leaves it unannotated
        form.code_box, Qt.MouseButton.LeftButton)
    assert form.code_box.isChecked() == ticked and not view.editor.dirty
    assert not view.agents_page.add_button.isEnabled()
    # Another agent of the example can be looked at.
    view.agents_page.select(1)
    assert form.index == 1
    # A copy is editable again.
    view.editor.open(view.editor.document, crew_id=None, read_only=False)
    assert not role.isReadOnly() and view.agents_page.add_button.isEnabled()
    form.code_box.click()
    assert form.code_box.isChecked() != ticked
