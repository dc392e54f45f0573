"""The crew designer, driven through its widgets: design, validate, undo, save, recover."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    make_view,
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.documents.crewdesk_file import load_crew
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.designer.canvas import NodeRef
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


def type_into(qtbot: QtBot, widget: Any, text: str, *, clear: bool = True) -> None:
    """Types like a user: select all, then key clicks (which replace the selection)."""
    widget.setFocus()
    if clear:
        widget.selectAll()
        qtbot.keyClick(widget, Qt.Key.Key_Delete)
    qtbot.keyClicks(widget, text)


def click_later(button: QMessageBox.StandardButton, delay: float = 0.05) -> None:
    """Answers the next question box (`ask`) with `button` from the event loop."""

    def answer() -> None:
        for widget in QApplication.topLevelWidgets() + [
            w for top in QApplication.topLevelWidgets() for w in top.findChildren(QMessageBox)
        ]:
            if isinstance(widget, QMessageBox) and widget.isVisible():
                widget.button(button).click()
                return
        asyncio.get_running_loop().call_later(delay, answer)

    asyncio.get_running_loop().call_later(delay, answer)


def test_design_a_crew_through_the_widgets_and_save_it(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> str:
        await view.ready()
        assert await view.new_crew()
        type_into(qtbot, view.crew_page.name_edit, "Travel planner")
        # The first agent: role and goal typed in.
        view.tabs.setCurrentWidget(view.agents_page)
        form = view.agent_form
        type_into(qtbot, form.key_edit, "scout")
        type_into(qtbot, form.role_edit, "Destination scout")
        type_into(qtbot, form.goal_edit, "Find places in {country}")
        form.model_box.setEditText("openai/sim")
        form.code_box.setChecked(True)
        # A second agent.
        qtbot.mouseClick(view.agents_page.add_button, Qt.MouseButton.LeftButton)
        assert view.agents_page.items_list.currentRow() == 1
        type_into(qtbot, form.key_edit, "planner")
        type_into(qtbot, form.role_edit, "Trip planner")
        # The first task keeps its agent (renamed with the key); a second task reads it.
        view.tabs.setCurrentWidget(view.tasks_page)
        tform = view.task_form
        type_into(qtbot, tform.description_edit, "List sights in {country} for {days} days.")
        qtbot.mouseClick(view.tasks_page.add_button, Qt.MouseButton.LeftButton)
        type_into(qtbot, tform.key_edit, "plan")
        type_into(qtbot, tform.description_edit, "Plan the trip.")
        index = tform.agent_box.findData("planner")
        tform.agent_box.setCurrentIndex(index)
        tform.agent_box.activated.emit(index)
        tform.default_context_box.setChecked(False)
        tform.context_list.item(0).setCheckState(Qt.CheckState.Checked)
        assert view.crew_page.placeholders_label.text() == "{country}, {days}"
        context = [(e.source.index, e.target.index) for e in view.canvas.scene.graph.edges
                   if e.kind == "context"]
        assert context == [(0, 1)]  # plan reads task_1, on the canvas too
        assert view.canvas.scene.nodes[NodeRef("task", 1)].node.title == "plan"
        assert view.title().endswith("•")
        assert await view.save(), view.status()
        assert not view.title().endswith("•")
        return str(view.editor.crew_id)

    crew_id = arun(scenario())
    saved = load_crew(services.library.path_of(crew_id))
    assert saved.name == "Travel planner"
    assert [(a.key, a.role) for a in saved.agents] == [
        ("scout", "Destination scout"), ("planner", "Trip planner")
    ]
    assert saved.agents[0].goal == "Find places in {country}"
    assert saved.agents[0].llm == "openai/sim"
    assert saved.agents[0].allow_code_execution
    assert [(t.key, t.agent, t.context) for t in saved.tasks] == [
        ("task_1", "scout", None), ("plan", "planner", ["task_1"])
    ]
    assert saved.tasks[0].description == "List sights in {country} for {days} days."
    assert saved.placeholders() == ["country", "days"]


def test_a_field_shows_why_it_is_wrong_and_saving_is_refused(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        form = view.agent_form
        type_into(qtbot, form.role_edit, "")
        qtbot.keyClick(form.role_edit, Qt.Key.Key_Backspace)
        assert form.rows["role"].message() == "role must not be empty"
        assert form.rows["goal"].message() == ""
        tform = view.task_form
        index = tform.agent_box.findData(None)
        tform.agent_box.setCurrentIndex(index)
        tform.agent_box.activated.emit(index)
        assert "has no agent" in tform.rows["agent"].message()
        assert view.agents_page.items_list.item(0).text().startswith("⚠")
        assert not await view.save()
        assert "fix 2 problem" in view.status()
        problems = [view.crew_page.problems_list.item(i).text()
                    for i in range(view.crew_page.problems_list.count())]
        assert any("role must not be empty" in text for text in problems)
        type_into(qtbot, form.role_edit, "Fixed")
        assert form.rows["role"].message() == ""

    arun(scenario())


def test_undo_and_redo_step_through_the_edits(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        form = view.agent_form
        type_into(qtbot, form.role_edit, "Writer")  # one step: the typing merges
        qtbot.mouseClick(view.agents_page.add_button, Qt.MouseButton.LeftButton)
        assert len(view.editor.document.agents) == 2
        view.undo_action.trigger()
        assert len(view.editor.document.agents) == 1
        assert view.editor.document.agents[0].role == "Writer"
        view.agents_page.select(0)
        form.role_edit.setFocus()
        qtbot.keyClick(form.role_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert view.editor.document.agents[0].role == "Assistant"
        assert form.role_edit.text() == "Assistant"
        qtbot.keyClick(form.role_edit, Qt.Key.Key_Z,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert form.role_edit.text() == "Writer"
        view.redo_action.trigger()
        assert len(view.editor.document.agents) == 2

    arun(scenario())


def test_an_edit_leaves_a_recovery_copy_that_a_new_view_offers_back(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def edit_and_crash() -> str:
        await view.ready()
        assert await view.open_crew("example:research_writer")
        assert await view.save_as()
        crew_id = str(view.editor.crew_id)
        view.tabs.setCurrentWidget(view.agents_page)
        type_into(qtbot, view.agent_form.role_edit, "Unsaved role")
        await asyncio.sleep(0.9)  # the debounced recovery write
        await view.flush_recovery()
        return crew_id

    crew_id = arun(edit_and_crash())
    recovered = services.library.list_recovery()
    assert [entry.id for entry in recovered] == [crew_id]
    assert recovered[0].document.agents[0].role == "Unsaved role"
    # A crash: the view goes away without closing; a new one starts on the same home.
    view.editor.undo_stack.clear()
    view.hide()

    fresh = make_view(qtbot, AppServices(AppPaths.from_env()))

    async def restore() -> None:
        await fresh.ready()
        assert fresh.recovery_banner.isVisible()
        assert fresh.recovery_banner.choice.currentData() == crew_id
        qtbot.mouseClick(fresh.recovery_banner.restore_button, Qt.MouseButton.LeftButton)
        await fresh._tasks.join()
        assert fresh.editor.crew_id == crew_id
        assert fresh.editor.document.agents[0].role == "Unsaved role"
        assert fresh.title().endswith("•")
        assert not fresh.recovery_banner.isVisible()
        fresh.undo_action.trigger()  # back to the saved crew
        assert fresh.editor.document.agents[0].role == "Senior research analyst"
        fresh.redo_action.trigger()
        assert await fresh.save()

    arun(restore())
    assert services.library.list_recovery() == []
    assert load_crew(services.library.path_of(crew_id)).agents[0].role == "Unsaved role"


def test_closing_with_unsaved_edits_keeps_a_recovery_copy(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        type_into(qtbot, view.crew_page.name_edit, "Never saved")

    arun(scenario())
    view.close()
    (entry,) = services.library.list_recovery()
    assert entry.id.startswith("draft:")
    assert entry.document.name == "Never saved"


def test_switching_crews_asks_about_unsaved_changes(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        type_into(qtbot, view.crew_page.name_edit, "Draft")
        await asyncio.sleep(0.9)
        await view.flush_recovery()
        assert services.library.list_recovery()
        click_later(QMessageBox.StandardButton.Cancel)
        assert not await view.open_crew("example:research_writer")
        assert view.editor.document.name == "Draft"
        click_later(QMessageBox.StandardButton.Discard)
        assert await view.open_crew("example:research_writer")
        assert view.editor.read_only and not view.dirty
        assert services.library.list_recovery() == []

    arun(scenario())


def test_examples_are_read_only_and_save_a_copy(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)
    runs: list[str] = []
    view.runRequested.connect(runs.append)

    async def scenario() -> None:
        await view.ready()
        await view.open_crew("example:research_writer")
        assert view.example_banner.isVisible()
        assert view.agent_form.role_edit.isReadOnly()  # readable, not disabled
        assert "Research and write (example)" in view.crew_list.texts()
        assert await view.run()  # an example runs as it is
        assert runs == ["example:research_writer"]
        save_copy = view.example_banner.findChild(type(view.buttons["save"]), "saveCopy")
        qtbot.mouseClick(save_copy, Qt.MouseButton.LeftButton)
        await view._tasks.join()
        assert view.editor.crew_id == "research_and_write"
        assert not view.agent_form.role_edit.isReadOnly()
        assert not view.example_banner.isVisible()

    arun(scenario())


def test_run_saves_first_then_asks_for_the_run(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)
    runs: list[str] = []
    view.runRequested.connect(runs.append)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        type_into(qtbot, view.crew_page.name_edit, "Quick crew")
        assert await view.run()

    arun(scenario())
    assert runs == ["quick_crew"]
    assert load_crew(services.library.path_of("quick_crew")).name == "Quick crew"


def test_the_task_flow_shows_context_edges_and_invalid_ones(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.new_crew()
        view.tabs.setCurrentWidget(view.tasks_page)
        for _ in range(2):
            qtbot.mouseClick(view.tasks_page.add_button, Qt.MouseButton.LeftButton)
        view.editor.set_field(("tasks", 0, "context"), ["task_2"])
        view.editor.set_field(("tasks", 2, "context"), ["task_1", "task_2"])
        edges = [(e.source.index, e.target.index, e.valid)
                 for e in view.canvas.scene.graph.edges if e.kind == "context"]
        assert edges == [(1, 0, False), (0, 2, True), (1, 2, True)]
        assert any("invalid" in e.toolTip() for e in view.canvas.scene.edges if not e.edge.valid)
        view.tasks_page.select(0)
        assert "runs later" in view.task_form.rows["context"].message()
        item = view.canvas.scene.nodes[NodeRef("task", 1)]
        qtbot.mouseClick(view.canvas.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.canvas.view.mapFromScene(item.sceneBoundingRect().center()))
        assert view.tasks_page.items_list.currentRow() == 1
        assert view.canvas.scene.selected_refs() == [NodeRef("task", 1)]

    arun(scenario())


def test_import_and_export_a_crewai_project(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Any
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> None:
        await view.ready()
        await view.open_crew("example:research_writer")
        assert await view.export_crewai(tmp_path / "project")
        assert await view.import_crewai(tmp_path / "project")
        assert view.editor.crew_id is None and view.dirty
        assert view.editor.document.name == "Research and write"
        assert view.crew_list.texts()[0].startswith("•")
        assert await view.save()

    arun(scenario())
    assert (tmp_path / "project" / "pyproject.toml").is_file()
    ids = [entry.id for entry in services.library.list() if not entry.is_example]
    assert ids == ["research_and_write"]


def test_the_import_button_uses_a_non_blocking_file_dialog(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Any
) -> None:
    view = make_view(qtbot, services)
    project = services.library.export_crewai(
        services.library.load("example:research_writer"), tmp_path / "project"
    )

    async def scenario() -> None:
        await view.ready()
        qtbot.mouseClick(view.crew_list.findChild(QPushButton, "importCrewai"),
                         Qt.MouseButton.LeftButton)
        for _ in range(100):  # the dialog opens on the running loop; no nested loop waits
            dialogs = [d for d in view.findChildren(QFileDialog) if d.isVisible()]
            if dialogs:
                break
            await asyncio.sleep(0.02)
        (dialog,) = dialogs
        dialog.setDirectory(str(project))
        dialog.accept()
        await view._tasks.join()
        assert view.editor.document.name == "Research and write"
        assert view.editor.crew_id is None and view.dirty
        assert view.status().startswith(f"Imported {project}")

    arun(scenario())


def test_refresh_offers_the_credentials_of_configured_providers(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> list[str]:
        await view.ready()
        await services.save_settings(Settings(providers=[
            ProviderSettings(id="work", kind="openai", credential_name="work-openai"),
        ]))
        await view.refresh()
        box = view.agent_form.credential_box
        return [box.itemText(i) for i in range(box.count())]

    assert arun(scenario()) == ["", "work-openai"]


def test_a_hierarchical_crew_names_its_manager_and_a_task_asks_for_feedback(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)
    page = view.crew_page

    async def scenario() -> str:
        await view.ready()
        assert await view.new_crew()
        type_into(qtbot, page.name_edit, "Managed crew")
        assert not page.manager_model_box.isVisibleTo(page)
        page.process_box.setCurrentText("hierarchical")
        page.process_box.activated.emit(page.process_box.currentIndex())
        assert page.manager_model_box.isVisibleTo(page)
        assert page.manager_agent_box.isVisibleTo(page)
        # A manager agent that also does the task is a problem the page lists.
        qtbot.mouseClick(view.agents_page.add_button, Qt.MouseButton.LeftButton)
        index = page.manager_agent_box.findData("agent_1")
        page.manager_agent_box.setCurrentIndex(index)
        page.manager_agent_box.activated.emit(index)
        problems = [page.problems_list.item(i).text() for i in range(page.problems_list.count())]
        assert any("names the manager 'agent_1'" in text for text in problems), problems
        # A manager model instead: the task needs no agent; it asks for feedback.
        page.manager_agent_box.setCurrentIndex(0)
        page.manager_agent_box.activated.emit(0)
        page.manager_model_box.setEditText("openai/sim")
        view.tabs.setCurrentWidget(view.tasks_page)
        view.task_form.human_input_box.setChecked(True)
        assert await view.save(), view.status()
        view.editor.undo_stack.undo()
        assert not view.editor.document.tasks[0].human_input
        view.editor.undo_stack.redo()
        return str(view.editor.crew_id)

    saved = load_crew(services.library.path_of(arun(scenario())))
    assert saved.process == "hierarchical"
    assert saved.settings.manager_llm == "openai/sim"
    assert saved.settings.manager_agent is None
    assert saved.tasks[0].human_input


def test_a_task_writes_its_answer_to_an_output_file_typed_in_the_form(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = make_view(qtbot, services)

    async def scenario() -> str:
        await view.ready()
        assert await view.new_crew()
        type_into(qtbot, view.crew_page.name_edit, "Filed crew")
        view.tabs.setCurrentWidget(view.tasks_page)
        edit = view.task_form.output_file_edit
        assert edit.text() == "" and view.editor.document.tasks[0].output_file is None
        type_into(qtbot, edit, "out/{region}.md")
        assert view.editor.document.tasks[0].output_file == "out/{region}.md"
        assert view.crew_page.placeholders_label.text() == "{region}"
        view.undo_action.trigger()  # the typing was one step
        assert view.editor.document.tasks[0].output_file is None and edit.text() == ""
        view.redo_action.trigger()
        assert edit.text() == "out/{region}.md"
        type_into(qtbot, view.task_form.description_edit, "Sum up {region}.")
        type_into(qtbot, edit, "")  # emptied: no file
        assert view.editor.document.tasks[0].output_file is None
        view.undo_action.trigger()
        assert view.editor.document.tasks[0].output_file == "out/{region}.md"
        assert edit.text() == "out/{region}.md"
        assert await view.save(), view.status()
        return str(view.editor.crew_id)

    saved = load_crew(services.library.path_of(arun(scenario())))
    assert saved.tasks[0].output_file == "out/{region}.md"
