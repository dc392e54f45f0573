"""CrewAI projects in the app: trust once, the designer, runs of the project's own code."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    close_window,
    litellm_loaded,  # noqa: F401 - a fixture
    make_services,
    open_window,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.engine.toolkit._keys import key_for, set_key_source
from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunController, RunRequest, RunStatus
from desktop_app.ui.controllers.run_controller import RunMode
from desktop_app.ui.dashboard.run_panel import RunPanel
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.keys import install_key_source
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.projects._session import load_project, project_id
from desktop_app.ui.settings import SettingsDialog

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")

AGENTS = """\
# The researcher of the demo crew
researcher:
  role: >
    {topic} Researcher
  goal: >
    Find facts about {topic}
  backstory: >
    Knows where facts hide.
  llm: openai/gpt-4o   # the project's own model
"""

TASKS = """\
research_task:
  description: >
    Research {topic} with the fact finder (it is {year}).
  expected_output: >
    One fact about {topic}
  agent: researcher
"""

CREW_PY = '''\
from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from crewai.tools import tool


@tool("Fact finder")
def fact_finder(query: str) -> str:
    """Finds one fact about a query."""
    return f"Fact about {query}: they sleep a lot."


@CrewBase
class DemoCrew:
    """The demo crew."""

    agents_config = "config/agents.yaml"
    tasks_config = "config/tasks.yaml"

    @agent
    def researcher(self) -> Agent:
        return Agent(config=self.agents_config["researcher"], tools=[fact_finder])

    @task
    def research_task(self) -> Task:
        return Task(config=self.tasks_config["research_task"])

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
'''

MAIN_PY = '''\
from datetime import datetime

from demo.crew import DemoCrew


def run():
    inputs = {"topic": "cats", "year": str(datetime.now().year)}
    DemoCrew().crew().kickoff(inputs=inputs)
'''


def write_project(root: Path, crew_py: str = CREW_PY) -> Path:
    """A small CrewAI project in the current template's layout."""
    files = {
        "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n\n'
                          '[project.scripts]\nrun_crew = "demo.main:run"\n',
        "src/demo/__init__.py": "",
        "src/demo/config/agents.yaml": AGENTS,
        "src/demo/config/tasks.yaml": TASKS,
        "src/demo/crew.py": crew_py,
        "src/demo/main.py": MAIN_PY,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


async def _answer_trust(window: MainWindow, button: str) -> None:
    await wait_until(lambda: (box := window.findChild(QMessageBox, "trustBox")) is not None
                     and box.isVisible())
    box = window.findChild(QMessageBox, "trustBox")
    assert box is not None
    found = box.findChild(QPushButton, button)
    assert found is not None
    found.click()


def test_a_trusted_project_runs_its_own_code_and_saves_into_its_yaml(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "demo")
    agents_yaml = root / "src/demo/config/agents.yaml"

    async def scenario() -> None:
        services = await make_services(sim.base_url)
        window = await open_window(qtbot, services)
        answering = asyncio.ensure_future(_answer_trust(window, "trustButton"))
        opened = await window.open_project(root)
        await answering
        assert opened is not None and opened.runs_code, opened and opened.error
        assert services.current_settings.project_trust == {str(root): True}
        designer = window.designer
        assert designer.editor.crew_id == project_id(root)
        year = str(datetime.now().year)  # worked out from main.py by the project's loader
        assert opened.document.default_inputs() == {"topic": "cats", "year": year}
        code = [designer.project_panel.code.item(i).text()
                for i in range(designer.project_panel.code.count())]
        assert any("tools: Fact finder" in line and "crew.py:20" in line for line in code), code
        designer.agents_page.select(0)
        assert not designer.agent_form.rows["tools"].isEnabled()  # made by code
        assert designer.agent_form.rows["goal"].isEnabled()

        designer.agent_form.goal_edit.setPlainText("Find three facts about {topic}")
        assert designer.dirty and opened.document.agents[0].goal.startswith("Find three")
        state = await window.dashboard.run_crew(opened.crew_id)  # unsaved: runs as shown
        assert state is not None, window.dashboard.message.text()
        streamed: list[str] = []
        state.textAppended.connect(streamed.append)
        await window.controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert streamed and "Result:" in state.transcript()
        assert "↳ Fact about" in state.transcript()  # the code's tool ran
        bodies = [r.body for r in sim.stats.requests if r.path.endswith("/chat/completions")]
        offered = [t["function"]["name"] for b in bodies for t in b.get("tools", [])]
        assert any("fact" in name.lower() for name in offered), offered
        assert any("Find three facts about cats" in str(b["messages"]) for b in bodies)

        again = await window.dashboard.rerun(state.run_id)  # History's "Run again"
        assert again is not None, window.dashboard.message.text()
        await window.controller.wait(again)
        assert again.status is RunStatus.DONE and "↳ Fact about" in again.transcript()

        assert await designer.save()
        text = agents_yaml.read_text(encoding="utf-8")
        assert text == AGENTS.replace("Find facts about {topic}\n",
                                      "Find three facts about {topic}\n")
        await close_window(window, 20)

    arun(scenario(), timeout=120)


def test_trust_is_asked_once_per_folder_and_untrusted_opens_statically(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "demo")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        window = await open_window(qtbot, services)
        answering = asyncio.ensure_future(_answer_trust(window, "staticButton"))
        opened = await window.open_project(root)
        await answering
        assert opened is not None and not opened.runs_code and not opened.trusted
        panel = window.designer.project_panel
        assert "without running its code" in panel.note.text()
        assert window.designer.agent_form.rows["goal"].isEnabled()
        again = await window.open_project(root)  # no question this time
        assert again is not None and not again.trusted
        box = window.findChild(QMessageBox, "trustBox")
        assert box is None or not box.isVisible()
        answering = asyncio.ensure_future(_answer_trust(window, "trustButton"))
        panel.trust_button.click()  # changed my mind: asked again
        await answering
        await wait_until(lambda: (p := services.projects.get(project_id(root))) is not None
                         and p.runs_code)
        assert services.current_settings.project_trust == {str(root): True}
        await close_window(window, 20)

    arun(scenario(), timeout=60)


def test_a_project_whose_code_fails_opens_with_its_error(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    broken = CREW_PY.replace("    @task\n", "    @task\n    def oops(self:\n", 1)
    root = write_project(tmp_path / "broken", broken)

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        window = await open_window(qtbot, services)
        answering = asyncio.ensure_future(_answer_trust(window, "trustButton"))
        opened = await window.open_project(root)
        await answering
        assert opened is not None and not opened.runs_code
        assert "crew.py:" in opened.error and "syntax" in opened.error.lower()
        panel = window.designer.project_panel
        assert panel.error.isVisible() and "crew.py:" in panel.error.text()
        assert "crew.py:" in window.dashboard.message.text()
        assert await window.dashboard.run_crew(opened.crew_id) is None  # not without its code
        assert "failed to load" in window.dashboard.message.text()
        nothing = await window.open_project(tmp_path / "nowhere")
        assert nothing is None and "Cannot open" in window.designer.status()
        await close_window(window, 20)

    arun(scenario(), timeout=60)


@pytest.mark.parametrize("mode", ["akickoff", "kickoff_async"])
def test_a_project_dry_run_shows_ignored_settings_as_warnings_kept_in_history(
    qtbot: QtBot, arun: Arun, tmp_path: Path, mode: RunMode
) -> None:
    root = write_project(tmp_path / "demo")
    agents_yaml = root / "src/demo/config/agents.yaml"
    agents_yaml.write_text(AGENTS + "  multimodal: true\n", encoding="utf-8")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")  # unreachable: dry run only
        controller = RunController(services)
        opened = await asyncio.to_thread(load_project, root, True)
        assert opened.runs_code, opened.error
        assert any("multimodal" in message for message in opened.crew.ignored)
        services.projects.add(opened)
        request = RunRequest(opened.document, {"topic": "owls", "year": "2026"}, mode=mode,
                             crew_id=opened.crew_id, dry_run=True, project=opened.run_for())
        state = controller.start(request)
        panel = RunPanel(state)
        qtbot.addWidget(panel)
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert any("multimodal" in line for line in state.warnings), state.warnings
        assert "⚠" in panel.shown_text() and "multimodal" in panel.shown_text()
        assert "↳ Fact about" in state.transcript()
        await services.history.flush()
        record = await services.history.get_run(state.run_id)
        assert record is not None and record.status == "finished"
        assert any(s.kind == "warning" and "multimodal" in s.text for s in record.segments)
        await controller.aclose()
        await services.close()

    arun(scenario(), timeout=90)


def test_tool_keys_come_from_the_keychain_never_on_the_gui_thread(
    arun: Arun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERPER_API_KEY", raising=False)
    monkeypatch.delenv("TAVILY_API_KEY", raising=False)

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        await services.secrets.aset("SERPER_API_KEY", "serper-from-the-keychain")
        source = await install_key_source(services.secrets)
        try:
            assert key_for("SERPER_API_KEY") == "serper-from-the-keychain"  # warmed at start
            await services.secrets.aset("TAVILY_API_KEY", "tavily-later")
            assert source("TAVILY_API_KEY") is None  # the GUI thread never asks the keychain
            assert await asyncio.to_thread(key_for, "TAVILY_API_KEY") == "tavily-later"
            monkeypatch.setenv("SERPER_API_KEY", "from-the-environment")
            assert key_for("SERPER_API_KEY") == "from-the-environment"
        finally:
            set_key_source(None)
            await services.close()

    arun(scenario())


def test_tool_keys_are_stored_from_settings_and_seen_by_tools_at_once(
    qtbot: QtBot, arun: Arun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXA_API_KEY", raising=False)

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        await install_key_source(services.secrets)
        parent = QWidget()
        qtbot.addWidget(parent)
        dialog = SettingsDialog(services, parent)
        dialog.open()
        try:
            await dialog.ready()
            page = dialog.tool_keys
            assert page.states["EXA_API_KEY"].text() == "not set"
            page.edits["EXA_API_KEY"].setText("exa-key-1234567890")
            assert await page.store("EXA_API_KEY")
            assert key_for("EXA_API_KEY") == "exa-key-1234567890"  # GUI thread: no keychain call
            assert "keychain" in page.states["EXA_API_KEY"].text()
            assert "exa-key-1234567890" not in page.states["EXA_API_KEY"].text()
            await page.remove("EXA_API_KEY")
            assert key_for("EXA_API_KEY") is None
        finally:
            set_key_source(None)
            dialog.reject()
            await services.close()

    arun(scenario())


def test_a_jsonc_project_opens_without_a_question_saves_into_crew_jsonc_and_runs(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = tmp_path / "trip"
    (root / "agents").mkdir(parents=True)
    crew_jsonc = root / "crew.jsonc"
    crew_jsonc.write_text(textwrap.dedent("""\
        {
          // the trip crew
          "name": "Trip",
          "agents": ["planner"],
          "tasks": [
            {"name": "plan", "description": "Plan a day in {city}",
             "expected_output": "A plan", "agent": "planner"},
          ],
          "inputs": {"city": "Lyon"},
        }
        """), encoding="utf-8")
    (root / "agents/planner.jsonc").write_text(
        '{"role": "Planner", "goal": "Plan well", "backstory": "Has travelled"}\n',
        encoding="utf-8")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        window = await open_window(qtbot, services)
        opened = await window.open_project(root)  # no code: nothing to trust
        assert opened is not None and not opened.runs_code
        assert services.current_settings.project_trust == {}
        designer = window.designer
        designer.tasks_page.select(0)
        designer.task_form.description_edit.setPlainText("Plan two days in {city}")
        assert designer.task_form.rows["output_file"].isEnabled()  # lives in crew.jsonc
        designer.task_form.output_file_edit.setText("plans/{city}.md")
        designer.task_form.output_file_edit.textEdited.emit("plans/{city}.md")
        assert await designer.save()
        text = crew_jsonc.read_text(encoding="utf-8")
        assert '"description": "Plan two days in {city}"' in text and "// the trip crew" in text
        assert '"output_file": "plans/{city}.md"' in text
        window.dashboard.dry_run.setChecked(True)
        state = await window.dashboard.run_crew(opened.crew_id)
        assert state is not None, window.dashboard.message.text()
        await window.controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert "Plan two days in Lyon" in state.transcript()
        assert (root / "plans/Lyon.md").is_file()  # in the project, not the app's folder
        await close_window(window, 20)

    arun(scenario(), timeout=90)


def test_unsaved_project_edits_are_recovered_into_the_project(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "demo")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        window = await open_window(qtbot, services)
        answering = asyncio.ensure_future(_answer_trust(window, "staticButton"))
        opened = await window.open_project(root)
        await answering
        assert opened is not None
        window.designer.agents_page.select(0)
        window.designer.agent_form.goal_edit.setPlainText("Recovered goal about {topic}")
        await window.designer.flush_recovery()
        later = DesignerView(services)  # as after a crash: the copy is offered at start
        qtbot.addWidget(later)
        await later.ready()
        assert opened.crew_id in later.recovered_ids
        assert await later.restore_recovery(opened.crew_id)
        assert later.open_project is opened and later.dirty
        assert later.editor.document.agents[0].goal == "Recovered goal about {topic}"
        later.editor.undo_stack.setClean()  # nothing to ask about when closing
        await window.designer.recovery.drop(opened.crew_id)
        window.designer.editor.undo_stack.setClean()
        await close_window(window, 20)

    arun(scenario(), timeout=60)


def test_a_project_whose_tasks_get_their_agent_in_code_opens_trusted_and_saves(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "demo", CREW_PY.replace(
        'Task(config=self.tasks_config["research_task"])',
        'Task(config=self.tasks_config["research_task"], agent=self.researcher())'))
    tasks_yaml = root / "src/demo/config/tasks.yaml"
    tasks_yaml.write_text(TASKS.replace("  agent: researcher\n", ""), encoding="utf-8")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")
        window = await open_window(qtbot, services)
        answering = asyncio.ensure_future(_answer_trust(window, "trustButton"))
        opened = await window.open_project(root)  # tasks.yaml alone is not a crew
        await answering
        assert opened is not None and opened.runs_code, window.designer.status()
        assert opened.document.tasks[0].agent == "researcher"
        designer = window.designer
        designer.tasks_page.select(0)
        assert not designer.task_form.rows["agent"].isEnabled()  # given in code
        designer.task_form.description_edit.setPlainText("Dig into {topic} ({year}).")
        window.dashboard.dry_run.setChecked(True)
        state = await window.dashboard.run_crew(opened.crew_id)
        assert state is not None, window.dashboard.message.text()
        await window.controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert await designer.save(), designer.status()
        text = tasks_yaml.read_text(encoding="utf-8")
        assert "    Dig into {topic} ({year}).\n" in text and "agent:" not in text
        await close_window(window, 20)

    arun(scenario(), timeout=90)


def test_a_plan_made_before_a_task_shows_in_its_panel_and_history(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "demo")
    agents_yaml = root / "src/demo/config/agents.yaml"
    agents_yaml.write_text(AGENTS + "  reasoning: true\n", encoding="utf-8")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")  # unreachable: dry run only
        controller = RunController(services)
        opened = await asyncio.to_thread(load_project, root, True)
        assert opened.runs_code, opened.error
        services.projects.add(opened)
        request = RunRequest(opened.document, {"topic": "owls", "year": "2026"},
                             crew_id=opened.crew_id, dry_run=True, project=opened.run_for())
        state = controller.start(request)
        panel = RunPanel(state)
        qtbot.addWidget(panel)
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert "Plan for task 1:" in panel.shown_text()
        await services.history.flush()
        record = await services.history.get_run(state.run_id)
        assert record is not None
        assert any(s.kind == "note" and "Plan for task 1:" in s.text for s in record.segments)
        await controller.aclose()
        await services.close()

    arun(scenario(), timeout=90)
