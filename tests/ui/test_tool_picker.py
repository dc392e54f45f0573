"""The designer's tool picker, with real widgets: the catalog grouped with each tool's needs,
live search, ticking into the agent's document (undoable), "New Python tool…" (a file that
parses and whose tool runs in a real crew on the simulator once the folder is trusted)."""

from __future__ import annotations

import ast
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.documents import AgentSpec, CrewDocument, CrewFileError, TaskSpec, build_crew
from desktop_app.documents.build import override_llm
from desktop_app.documents.tool_catalog import mcp_entry
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from desktop_app.storage.mcp_servers import ServerTools, list_configured_tools
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import McpServer, Settings
from desktop_app.ui.controllers.crew_factory import trusts_tools_in
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.designer._agent_form import AgentForm
from desktop_app.ui.designer._editor import CrewEditor
from desktop_app.ui.designer._tool_host import FixedToolHost, ServicesToolHost, ToolContext
from desktop_app.ui.designer._tool_picker import NOT_FOUND_TITLE, ToolPicker
from desktop_app.ui.services import AppServices
from desktop_app.ui.widgets.tasks import TaskOwner
from tests.engine.mcp_helpers import FIXTURE

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")


def crew(tools: list[str]) -> CrewDocument:
    return CrewDocument(
        name="Picker", agents=[AgentSpec(key="a", role="Counter", goal="Count words",
                                        backstory="Counts.", tools=tools)],
        tasks=[TaskSpec(key="t", description="Count the words of 'hello world'",
                        expected_output="A count", agent="a")])


def make_form(
    qtbot: QtBot, tools: list[str], host: FixedToolHost, tasks: TaskOwner | None = None
) -> tuple[AgentForm, CrewEditor]:
    editor = CrewEditor()
    editor.open(crew(tools), crew_id=None)
    form = AgentForm(editor, tasks if tasks is not None else TaskOwner())
    form.tool_picker.set_host(host)
    editor.documentChanged.connect(lambda: form.show_agent(editor.document, 0, {}))
    form.show_agent(editor.document, 0, {})
    qtbot.addWidget(form)
    form.show()
    return form, editor


def groups(picker: ToolPicker) -> list[str]:
    tree = picker.tree
    items = [tree.topLevelItem(index) for index in range(tree.topLevelItemCount())]
    return [item.text(0) for item in items if item is not None and not item.isHidden()]


def tick(picker: ToolPicker, name: str, on: bool = True) -> None:
    picker.rows()[name].setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def ticked(picker: ToolPicker) -> list[str]:
    return [name for name, item in picker.rows().items()
            if item.checkState(0) == Qt.CheckState.Checked]


TOOL_FILE = ('from crewai.tools import tool\n\n\n@tool("Shout")\ndef shout(text: str) -> str:\n'
             '    """Says the text loudly."""\n    return text.upper()\n')


def test_every_tool_is_listed_by_source_with_its_needs_and_search_filters_live(
    qtbot: QtBot, arun: Run, tmp_path: Path
) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "loud.py").write_text(TOOL_FILE, encoding="utf-8")
    (tmp_path / "tools" / "broken.py").write_text("def (:\n", encoding="utf-8")
    mcp = (mcp_entry("files", "list_files", "Lists the files of a share.", network=True),)
    form, _editor = make_form(qtbot, [], FixedToolHost(ToolContext(tmp_path, False, mcp)))
    picker = form.tool_picker
    arun(picker.refresh())
    assert groups(picker) == ["Built-in tools", "CrewAI tools", "MCP servers",
                              "This crew's Python tools"]
    rows = picker.rows()
    assert picker.tags_shown("SerperDevTool") == "[key SERPER_API_KEY]  [network]"
    assert rows["SerperDevTool"].text(0).endswith("\n    [key SERPER_API_KEY]  [network]")
    assert picker.tags_shown("FileWriterTool") == "[files]"
    assert picker.tags_shown("code_interpreter") == "[runs code]"
    assert picker.tags_shown("fetch_url") == "[network]  [off by default]"
    assert "CREWDESK_ENABLE_FETCH_URL=1" in rows["fetch_url"].toolTip(0)
    assert picker.tags_shown("mcp:files/list_files") == "[network]"
    assert rows["project:tools.loud.shout"].text(0).startswith("Shout")
    assert "broken.py:1" in picker.message_label.text()  # a warning, not a crash
    assert picker.trust_button.isVisible()  # its own tools cannot run yet

    qtbot.keyClicks(picker.search_edit, "serper")
    assert picker.visible_names() == ["SerperDevTool"]
    assert groups(picker) == ["CrewAI tools"]
    picker.search_edit.clear()
    qtbot.keyClicks(picker.search_edit, "loudly")  # descriptions are searched too
    assert picker.visible_names() == ["project:tools.loud.shout"]
    picker.search_edit.clear()
    assert len(picker.visible_names()) == len(rows)


def test_ticking_tools_edits_the_agent_in_one_undo_step(
    qtbot: QtBot, arun: Run
) -> None:
    form, editor = make_form(qtbot, ["NoSuchTool"], FixedToolHost())
    picker = form.tool_picker
    arun(picker.refresh())
    assert NOT_FOUND_TITLE in groups(picker)  # kept, ticked, never dropped silently
    assert picker.tags_shown("NoSuchTool") == "[not found]"
    tick(picker, "SerperDevTool")
    tick(picker, "read_file")
    assert editor.document.agents[0].tools == ["NoSuchTool", "SerperDevTool", "read_file"]
    tick(picker, "NoSuchTool", on=False)
    assert editor.document.agents[0].tools == ["SerperDevTool", "read_file"]
    assert ticked(picker) == ["read_file", "SerperDevTool"]  # shown in catalog order
    assert "NoSuchTool" in picker.rows()  # listed until the next load: it can be ticked back
    arun(picker.refresh(force=True))
    assert NOT_FOUND_TITLE not in groups(picker)
    editor.undo_stack.undo()
    assert editor.document.agents[0].tools == ["NoSuchTool"]
    assert ticked(picker) == ["NoSuchTool"]


def answer_name_later(name: str) -> None:
    """Types ``name`` into the "New Python tool" box once it shows, and accepts it."""

    def answer() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QInputDialog) and widget.isVisible():
                widget.setTextValue(name)
                widget.accept()
                return
        asyncio.get_running_loop().call_later(0.05, answer)

    asyncio.get_running_loop().call_later(0.05, answer)


def test_new_python_tool_writes_a_tool_that_runs_in_a_crew_only_once_trusted(
    qtbot: QtBot, arun: Run, tmp_path: Path
) -> None:
    host = FixedToolHost(ToolContext(tmp_path, trusted=False))
    failures: list[BaseException] = []
    tasks = TaskOwner(failures.append)
    form, editor = make_form(qtbot, [], host, tasks)
    picker = form.tool_picker
    arun(picker.refresh())

    async def write_it() -> bool:
        answer_name_later("word_count")
        return await picker.new_tool()

    assert arun(write_it())
    path = tmp_path / "tools" / "word_count.py"
    ast.parse(path.read_text(encoding="utf-8"))
    name = "project:tools.word_count.word_count"
    assert editor.document.agents[0].tools == [name]
    assert ticked(picker) == [name]
    assert "once you trust" in picker.message_label.text()
    assert picker.trust_button.isVisible()
    assert not arun(picker.new_tool("word_count"))  # never overwritten
    assert "word_count.py already exists" in picker.message_label.text()
    assert not arun(picker.new_tool("not a name"))
    assert "cannot be a tool's name" in picker.message_label.text()

    with pytest.raises(CrewFileError, match="not trusted"):
        build_crew(editor.document, base_dir=tmp_path)

    async def trust_it() -> None:
        qtbot.mouseClick(picker.trust_button, Qt.MouseButton.LeftButton)
        await tasks.join()

    arun(trust_it(), timeout=10.0)
    assert failures == []
    assert host.current.trusted and "Trusted" in picker.message_label.text()
    assert not picker.trust_button.isVisible()

    with SimulatorThread(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as sim:
        routed = override_llm(editor.document, model="openai/sim", base_url=sim.base_url)
        built = build_crew(routed, base_dir=tmp_path, trust_project_tools=True, stream=False,
                           resolve_api_key=lambda _spec: "sk-simulator")
        output = built.kickoff()
    assert "word_count received:" in output.raw


def test_a_crew_never_saved_has_no_folder_for_new_tools(qtbot: QtBot, arun: Run) -> None:
    form, editor = make_form(qtbot, [], FixedToolHost())
    assert not arun(form.tool_picker.new_tool("word_count"))
    assert "Save the crew first" in form.tool_picker.message_label.text()
    assert editor.document.agents[0].tools == []


def test_in_the_designer_new_tools_go_to_the_crews_folder_and_trust_is_saved(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = DesignerView(services)
    qtbot.addWidget(view)
    view.show()

    async def scenario() -> Path:
        await view.ready()
        await view.new_crew()
        assert await view.save()
        host = view.agent_form.tool_picker.host
        assert isinstance(host, ServicesToolHost)
        folder = host.folder()
        assert folder is not None
        view.tabs.setCurrentWidget(view.agents_page)
        assert await view.agent_form.tool_picker.new_tool("greet")
        await view.agent_form.tool_picker.trust()
        return folder

    folder = arun(scenario())
    assert (folder / "tools" / "greet.py").is_file()
    assert view.editor.document.agents[0].tools == ["project:tools.greet.greet"]
    settings = services.settings.load().settings
    assert trusts_tools_in(settings, folder)
    assert not trusts_tools_in(settings, folder / "elsewhere")


def test_the_mcp_servers_tools_are_listed_with_their_needs_and_a_failing_server_named(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    services.secrets.set("mcp:fixture", "mcp-fixture-key-0a1b2c3d")
    settings = Settings(mcp_servers=[
        McpServer(name="fixture", command=[sys.executable, FIXTURE], key_name="FIXTURE_TOKEN"),
        McpServer(name="broken", command=["no-such-mcp-program"]),
    ])
    asked: list[int] = []

    async def counting(settings: Settings, secrets: SecretStore) -> ServerTools:
        asked.append(len(settings.mcp_servers))
        return await list_configured_tools(settings, secrets)

    view = DesignerView(services)
    view.agent_form.tool_picker.set_host(ServicesToolHost(services, view.editor,
                                                          mcp_lister=counting))
    qtbot.addWidget(view)
    view.show()
    picker = view.agent_form.tool_picker

    async def scenario() -> None:
        await services.save_settings(settings)
        await view.ready()
        await view.new_crew()
        await picker.refresh(force=True)  # the servers' list is kept: not asked again

    arun(scenario(), timeout=90)
    assert asked == [2]
    rows = picker.rows()
    assert rows["mcp:fixture/add"].parent().text(0) == "MCP servers"
    assert picker.tags_shown("mcp:fixture/add") == "[key mcp:fixture]"
    assert "Adds two integers." in rows["mcp:fixture/add"].toolTip(0)
    assert "The MCP server 'broken' gave no tools" in picker.message_label.text()
    assert "no-such-mcp-program" in picker.message_label.text()
    arun(picker.refresh(force=True, fresh=True), timeout=90)  # Refresh list asks again
    assert asked == [2, 2]
