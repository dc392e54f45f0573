"""`load`, `build_crew`, `run_entry`: a project's own code, run on the simulator, and its errors.

The projects here are small ones written in each test; their agents point their own `LLM` at
the simulator (as a project pointing at a local server would), so no forced target is needed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import compat
from desktop_app.compat.projects import LoadedProject, ProjectError, ProjectWarning, load, locate
from desktop_app.simulator import SimulatorConfig, SimulatorThread

AGENTS = """researcher:
  role: >
    {topic} Researcher
  goal: >
    Find facts about {topic}
  backstory: >
    You are thorough.
"""
TASKS = """research_task:
  description: >
    Research {topic} in {year}.
  expected_output: >
    Three facts about {topic}.
  agent: researcher
"""
CREW = '''import os

from crewai import LLM, Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
{imports}


@CrewBase
class {cls}:
    """A crew written as the template writes it."""

    @agent
    def researcher(self) -> Agent:
        return Agent(
            config=self.agents_config["researcher"],
            llm=LLM(model="openai/sim", base_url=os.environ["CD_SIM_URL"], api_key="sk-x"),
{agent_extra}        )

    @task
    def research_task(self) -> Task:
        return Task(config=self.tasks_config["research_task"], output_file="report.md")

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
'''
MAIN = '''from datetime import datetime

from {pkg}.crew import {cls}


def run():
    inputs = {{"topic": "tides", "year": str(datetime.now().year)}}
    result = {cls}().crew().kickoff(inputs=inputs)
    print("MAIN RAN", result.raw[:20])
    return result
'''


@pytest.fixture(autouse=True)
def simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    """A simulator whose URL the test projects read from ``CD_SIM_URL``."""
    with SimulatorThread(SimulatorConfig(ttft=0.001, tokens_per_second=5000.0)) as sim:
        monkeypatch.setenv("CD_SIM_URL", sim.base_url)
        yield sim


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_project(root: Path, pkg: str = "tide_crew", *, crew_py: str | None = None,
                 main: bool = True, imports: str = "", agent_extra: str = "") -> Path:
    cls = "".join(part.title() for part in pkg.split("_"))
    write(root / "pyproject.toml", f'[project]\nname = "{pkg}"\n\n[project.scripts]\n'
          f'run_crew = "{pkg}.main:run"\n\n[tool.crewai]\ntype = "crew"\n')
    package = root / "src" / pkg
    write(package / "__init__.py")
    write(package / "config" / "agents.yaml", AGENTS)
    write(package / "config" / "tasks.yaml", TASKS)
    write(package / "crew.py", crew_py or CREW.format(cls=cls, imports=imports,
                                                      agent_extra=agent_extra))
    if main:
        write(package / "main.py", MAIN.format(pkg=pkg, cls=cls))
    return package


def loaded(root: Path) -> LoadedProject:
    return load(locate(root))


def test_a_project_loads_builds_fresh_crews_and_leaves_the_process_as_it_was(
    tmp_path: Path,
) -> None:
    package = make_project(tmp_path / "proj")
    cwd, path = Path.cwd(), list(sys.path)
    project = loaded(tmp_path / "proj")
    assert project.agents_yaml == package / "config" / "agents.yaml"
    assert project.tasks_yaml == package / "config" / "tasks.yaml"
    assert set(project.default_inputs) == {"topic", "year"}
    first, second = project.build_crew(), project.build_crew()
    assert first is not second and first.agents[0] is not second.agents[0]
    assert [task.output_file for task in first.tasks] == ["report.md"]
    assert Path.cwd() == cwd and sys.path == path and not compat.is_installed()


def test_run_entry_calls_main_run_in_the_project_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path / "proj")
    result = loaded(tmp_path / "proj").run_entry()
    assert "MAIN RAN" in capsys.readouterr().out
    assert "tides" in getattr(result, "raw", "")
    assert (tmp_path / "proj" / "report.md").is_file()  # output_file lands in the root


def test_without_main_py_the_crew_is_kicked_off(tmp_path: Path) -> None:
    make_project(tmp_path / "proj", main=False)
    (tmp_path / "proj" / "pyproject.toml").write_text("[tool.crewai]\ntype = \"crew\"\n")
    project = loaded(tmp_path / "proj")
    project.default_inputs = {"topic": "waves", "year": "2024"}
    assert "waves" in getattr(project.run_entry(), "raw", "")


def test_the_project_env_is_loaded_without_overriding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "proj")
    write(tmp_path / "proj" / ".env", "CD_FROM_ENV_FILE=yes\nCD_SIM_URL=http://nowhere/v1\n")
    monkeypatch.delenv("CD_FROM_ENV_FILE", raising=False)
    loaded(tmp_path / "proj")
    assert os.environ["CD_FROM_ENV_FILE"] == "yes"
    assert os.environ["CD_SIM_URL"].startswith("http://127.0.0.1")


def test_two_projects_with_the_same_package_name_do_not_mix(tmp_path: Path) -> None:
    make_project(tmp_path / "one")
    make_project(tmp_path / "two", agent_extra='            role="Second",\n')
    assert loaded(tmp_path / "one").build_crew().agents[0].role.startswith("{topic}")
    assert loaded(tmp_path / "two").build_crew().agents[0].role == "Second"


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (lambda text: text.replace("return Agent(", "return Agent(("), None,
         "syntax error: "),
        (lambda text: text.replace("import os", "import os\nimport no_such_module_xyz"), 2,
         "No module named 'no_such_module_xyz'"),
        (lambda text: text.replace("import os", "import os\nfrom crewai_tools import FooTool"),
         2, "FooTool"),
        (lambda text: text.replace("@CrewBase\n", ""), None, "no @CrewBase class"),
        (lambda text: text.replace("import os", "import os\nraise RuntimeError('boom')"), 2,
         "RuntimeError: boom"),
    ],
)
def test_bad_code_is_a_project_error_naming_file_and_line(
    tmp_path: Path, edit: object, line: int | None, message: str
) -> None:
    package = make_project(tmp_path / "proj")
    crew_py = package / "crew.py"
    crew_py.write_text(edit(crew_py.read_text()), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(ProjectError) as caught:
        loaded(tmp_path / "proj")
    error = caught.value
    assert error.path == crew_py and message in error.message
    if line is not None:
        assert error.line == line
    else:
        assert str(error).startswith(f"{crew_py}:")
    assert not compat.is_installed()


def test_an_error_in_a_module_of_the_project_names_that_module(tmp_path: Path) -> None:
    package = make_project(tmp_path / "proj", imports="from tide_crew.tools.helper import X")
    write(package / "tools" / "__init__.py")
    write(package / "tools" / "helper.py", "X = 1\nY = 1 / 0\n")
    with pytest.raises(ProjectError) as caught:
        loaded(tmp_path / "proj")
    assert (caught.value.path, caught.value.line) == (package / "tools" / "helper.py", 2)
    assert caught.value.message == "ZeroDivisionError: division by zero"


def test_an_error_while_building_or_running_names_the_project_line(tmp_path: Path) -> None:
    package = make_project(tmp_path / "proj")
    main_py = package / "main.py"
    main_py.write_text(main_py.read_text().replace('print("MAIN', 'raise ValueError("late")\n'
                                                  '    print("MAIN'), encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        loaded(tmp_path / "proj").run_entry()
    assert caught.value.path == main_py and caught.value.line == 9
    assert caught.value.message == "ValueError: late"


SCRIPT = '''import os
from crewai import LLM, Agent, Crew, Task

llm = LLM(model="openai/sim", base_url=os.environ["CD_SIM_URL"], api_key="sk-x")
writer = Agent(role="Writer", goal="Write about {topic}", backstory="Terse.", llm=llm)
task = Task(description="Write about {topic}.", expected_output="A line.", agent=writer)
crew = Crew(agents=[writer], tasks=[task])
result = crew.kickoff(inputs={"topic": "moons"})
print("SCRIPT RAN", __name__)
'''


def test_a_script_runs_as_main_and_builds_its_crew_without_its_kickoff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(tmp_path / "script.py", SCRIPT)
    project = loaded(script)
    assert project.default_inputs == {"topic": "moons"}  # its kickoff's, for --inputs
    crew = project.build_crew()
    assert [agent.role for agent in crew.agents] == ["Writer"]
    assert "SCRIPT RAN" not in capsys.readouterr().out
    project.run_entry()
    assert "SCRIPT RAN __main__" in capsys.readouterr().out


def test_a_script_error_names_its_line(tmp_path: Path) -> None:
    script = write(tmp_path / "script.py", SCRIPT.replace("crew = Crew", "1 / 0\ncrew = Crew"))
    with pytest.raises(ProjectError, match=r"script\.py:7: ZeroDivisionError"):
        loaded(script).run_entry()
    with pytest.raises(ProjectError, match=r"bad\.py:3: syntax error"):
        loaded(write(tmp_path / "bad.py", "x = 1\n\ndef (:\n"))


def notebook(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "markdown", "source": ["# Title"]}] + [
        {"cell_type": "code", "source": cell.splitlines(keepends=True)} for cell in cells],
        "nbformat": 4, "nbformat_minor": 5, "metadata": {}})


def test_a_notebook_joins_its_cells_and_skips_ipython_lines_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = SCRIPT.split("crew = Crew")
    path = write(tmp_path / "nb.ipynb", notebook(
        ["!pip install crewai\n%load_ext autoreload", parts[0],
         "crew = Crew" + parts[1].replace("result = ", "result = await ").replace(
             "kickoff(", "kickoff_async(")]))
    with pytest.warns(ProjectWarning) as warned:
        project = loaded(path)
    assert [str(w.message) for w in warned] == [
        f"{path}: cell 2, line 1: !pip is an IPython command, not Python; skipped",
        f"{path}: cell 2, line 2: %load_ext is an IPython command, not Python; skipped"]
    assert len(project.build_crew().tasks) == 1
    project.run_entry()
    assert "SCRIPT RAN __main__" in capsys.readouterr().out


def test_notebook_errors_name_the_cell_and_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "nb.ipynb", notebook(["x = 1", "y = 2\nz = (\n"]))
    with pytest.raises(ProjectError) as caught:
        loaded(path)
    assert str(caught.value).startswith(f"{path}: cell 3, line 2: syntax error")
    path = write(tmp_path / "nb2.ipynb", notebook(["x = 1", "y = 2\nraise KeyError('k')\n"]))
    with pytest.raises(ProjectError, match=r"cell 3, line 2: KeyError: 'k'"):
        loaded(path).run_entry()
    with pytest.raises(ProjectError, match="not a Jupyter notebook"):
        loaded(write(tmp_path / "nb3.ipynb", "[]"))


def test_a_json_crew_builds_from_its_definition(tmp_path: Path) -> None:
    root = tmp_path / "jcrew"
    write(root / "pyproject.toml", '[tool.crewai]\ntype = "crew"\ndefinition = "crew.jsonc"\n')
    write(root / "crew.jsonc", '{\n  // the template\'s comments\n  "name": "Tides",\n'
          '  "agents": ["researcher"],\n  "tasks": [{"name": "research", "description": '
          '"Research {topic}.", "expected_output": "Facts.", "agent": "researcher"}],\n'
          '  "inputs": {"topic": "tides"}\n}\n')
    write(root / "agents" / "researcher.jsonc", '{"role": "Researcher", "goal": "Find {topic}",'
          ' "backstory": "Thorough.", "llm": "openai/gpt-4o"}')
    project = loaded(root)
    crew = project.build_crew()
    assert [agent.role for agent in crew.agents] == ["Researcher"]
    assert project.default_inputs == {"topic": "tides"}
    (root / "agents" / "researcher.jsonc").unlink()
    with pytest.raises(ProjectError) as caught:
        loaded(root).build_crew()
    assert caught.value.path == root / "agents" / "researcher.jsonc"
    assert "has no definition" in caught.value.message


def test_classic_projects_each_import_their_own_top_level_modules(tmp_path: Path) -> None:
    crew_py = CREW.format(cls="Trip", imports="from tools import ROLE",
                          agent_extra="            role=ROLE,\n")
    for name in ("one", "two"):
        root = tmp_path / name
        write(root / "crew.py", crew_py)
        write(root / "tools.py", f"ROLE = {name!r}\n")
        write(root / "config" / "agents.yaml", AGENTS)
        write(root / "config" / "tasks.yaml", TASKS)
        write(root / "main.py", "from crew import Trip\n\n\ndef run():\n    return 1\n")
    assert loaded(tmp_path / "one").build_crew().agents[0].role == "one"
    assert loaded(tmp_path / "two").build_crew().agents[0].role == "two"
    assert loaded(tmp_path / "two").run_entry() == 1


def test_crews_are_built_from_several_threads_at_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    make_project(tmp_path / "proj")
    project = loaded(tmp_path / "proj")
    cwd = Path.cwd()
    with ThreadPoolExecutor(4) as pool:
        crews = list(pool.map(lambda _: project.build_crew(), range(8)))
    assert len({id(crew) for crew in crews}) == 8
    assert Path.cwd() == cwd and not compat.is_installed()


def test_a_notebook_shows_with_ipython_display_without_ipython(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "nb.ipynb", notebook([
        "from IPython.display import Markdown\nimport IPython",
        "display(Markdown('**shown**'))\nIPython.display.display('again')",
        "print(get_ipython() is None)"]))
    loaded(path).run_entry()
    assert capsys.readouterr().out == "**shown**\nagain\nTrue\n"
    assert "IPython" not in sys.modules


OLD_CREW = '''import os
from crewai import LLM, Agent, Crew, Task

llm = LLM(model="openai/sim", base_url=os.environ["CD_SIM_URL"], api_key="sk-x")
writer = Agent(role="Writer", goal="Write about {topic}", backstory="Terse.", llm=llm)
task = Task(description="Write about {topic}.", expected_output="A line.", agent=writer)
crew = Crew(agents=[writer], tasks=[task])
'''


def test_an_older_crew_py_with_a_crew_at_the_top_level(tmp_path: Path) -> None:
    root = tmp_path / "old"
    write(root / "crew.py", OLD_CREW)
    write(root / "config" / "agents.yaml", AGENTS)
    write(root / "main.py", "from crew import crew\n\n\ndef run():\n"
          "    return crew.kickoff(inputs={'topic': 'owls'})\n")
    project = loaded(root)
    first, second = project.build_crew(), project.build_crew()
    assert first is not second and [a.role for a in first.agents] == ["Writer"]
    assert "owls" in getattr(project.run_entry(), "raw", "")


def test_a_folder_whose_main_py_makes_the_crew_runs_it_as_a_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "examples_style"
    write(root / "agents.py", OLD_CREW)
    write(root / "main.py", "from agents import crew\n\nif __name__ == '__main__':\n"
          "    print('RAN', crew.kickoff(inputs={'topic': 'owls'}).raw[:9])\n")
    spec = locate(root)
    assert (spec.kind, spec.entry) == ("script", root / "main.py")
    load(spec).run_entry()
    assert "RAN" in capsys.readouterr().out
