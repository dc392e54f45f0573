"""A CrewAI project on the designer's canvas: its agents and tasks are made by its files, so
the canvas does not add, remove or reorder them; a task field its code sets stays locked;
the YAML fields (a task's context) are edited on the canvas like a library crew's."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    gui_thread_gc_fixture,  # noqa: F401 - the `gui_thread_gc` fixture
    make_view,
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.ui.designer.canvas import NodeRef
from desktop_app.ui.projects._session import load_project
from desktop_app.ui.services import AppServices
from tests.ui._canvas_drive import click, connect, node

Run = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("gui_thread_gc")

FILES = {
    "pyproject.toml": '[project]\nname = "duo"\nversion = "0.1.0"\n',
    "src/duo/__init__.py": "",
    "src/duo/config/agents.yaml": """\
        researcher:
          role: Researcher
          goal: Find facts
          backstory: Knows where facts hide.
        writer:
          role: Writer
          goal: Write
          backstory: Writes well.
        """,
    "src/duo/config/tasks.yaml": """\
        research_task:
          description: Research cats.
          expected_output: One fact.
        write_task:
          description: Write about cats.
          expected_output: A paragraph.
          agent: writer
        """,
    "src/duo/crew.py": '''\
        from crewai import Agent, Crew, Process, Task
        from crewai.project import CrewBase, agent, crew, task


        @CrewBase
        class DuoCrew:
            """Two agents."""

            agents_config = "config/agents.yaml"
            tasks_config = "config/tasks.yaml"

            @agent
            def researcher(self) -> Agent:
                return Agent(config=self.agents_config["researcher"])

            @agent
            def writer(self) -> Agent:
                return Agent(config=self.agents_config["writer"])

            @task
            def research_task(self) -> Task:
                return Task(config=self.tasks_config["research_task"], agent=self.researcher())

            @task
            def write_task(self) -> Task:
                return Task(config=self.tasks_config["write_task"])

            @crew
            def crew(self) -> Crew:
                return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
        ''',
}


def test_a_project_keeps_what_its_files_and_code_make(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Path
) -> None:
    for relative, text in FILES.items():
        path = tmp_path / "duo" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    view = make_view(qtbot, services, width=1280, height=760)

    async def scenario() -> None:
        await view.ready()
        opened = await asyncio.to_thread(load_project, tmp_path / "duo", True)
        assert opened.runs_code, opened.error
        services.projects.add(opened)
        assert await view.show_project(opened)
        canvas = view.canvas
        assert canvas.locks.structure and not canvas.locks.everything
        said: list[str] = []
        canvas.message.connect(said.append)
        # The research task's agent is given in code: not changed on the canvas.
        connect(qtbot, canvas, node(canvas, "agent", 1), node(canvas, "task", 0))
        assert view.editor.document.tasks[0].agent == "researcher"
        assert "Set in code" in said[-1]
        # Its context lives in tasks.yaml: the canvas edits it, as one undo step.
        connect(qtbot, canvas, node(canvas, "task", 0), node(canvas, "task", 1))
        assert view.editor.document.tasks[1].context == ["research_task"]
        # Adding, deleting and moving nodes are the project's files' business.
        click(qtbot, canvas, node(canvas, "task", 0))
        assert canvas.scene.selected_refs() == [NodeRef("task", 0)]
        assert not canvas.move_selected_task(1)
        assert not canvas.add_node("task")
        assert not canvas.actions_by_name["addAgent"].isEnabled()
        assert len(view.editor.document.tasks) == 2 and view.editor.undo_stack.count() == 1
        assert "made by its files" in said[-1]

    arun(scenario(), timeout=90)
