"""``crewdesk run`` on CrewAI projects, scripts and notebooks: their code runs, on the simulator.

Projects are written in each test the way ``crewai create crew`` writes them; their agents
build their own ``LLM("gpt-4o")``, which ``--simulator`` forces to the simulator.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import cli
from tests.process_support import kept_process_state

AGENTS = """researcher:
  role: >
    {topic} Researcher
  goal: >
    Find facts about {topic}
  backstory: >
    You are thorough.
  llm: openai/gpt-4o
"""
TASKS = """research_task:
  description: >
    Research {topic} in {year}.
  expected_output: >
    Three facts about {topic}.
  agent: researcher
"""
CREW = '''from crewai import LLM, Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
{imports}


@CrewBase
class TideCrew:
    """The crew."""

    @agent
    def researcher(self) -> Agent:
        return Agent(config=self.agents_config["researcher"],{agent_extra})

    @task
    def research_task(self) -> Task:
        return Task(config=self.tasks_config["research_task"], output_file="report.md")

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential,
                    verbose=True)
'''
MAIN = '''from datetime import datetime

from tide_crew.crew import TideCrew


def run():
    inputs = {"topic": "tides", "year": str(datetime.now().year)}
    try:
        TideCrew().crew().kickoff(inputs=inputs)
    except Exception as e:
        raise Exception(f"An error occurred while running the crew: {e}")
'''


@pytest.fixture(autouse=True)
def _process_state() -> Iterator[None]:
    """A project's .env and modules do not outlive the test."""
    with kept_process_state(packages=("tide_crew",)):
        yield


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_project(root: Path, *, imports: str = "", agent_extra: str = "",
                 main: str = MAIN) -> Path:
    write(root / "pyproject.toml", '[project]\nname = "tide_crew"\n\n[project.scripts]\n'
          'run_crew = "tide_crew.main:run"\n\n[tool.crewai]\ntype = "crew"\n')
    write(root / ".env", "MODEL=gpt-4o\nOPENAI_API_KEY=sk-from-dotenv\n")
    package = root / "src" / "tide_crew"
    write(package / "__init__.py")
    write(package / "config" / "agents.yaml", AGENTS)
    write(package / "config" / "tasks.yaml", TASKS)
    write(package / "crew.py", CREW.format(imports=imports, agent_extra=agent_extra))
    write(package / "main.py", main)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_says_a_project_runs_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "RUNS ITS CODE" in text and "--static" in text and ".ipynb" in text


def test_a_project_runs_its_own_entry_with_its_own_inputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj")
    out_file = tmp_path / "out.json"
    code, out, err = run(capsys, "run", str(root), "--simulator", "--output", str(out_file))
    assert code == 0, err
    assert out.startswith("== task 1 research_task (tides Researcher) ==\n")
    assert "# Agent:" not in out
    assert "=== final output ===" in out and "Research tides in" in out
    [result] = json.loads(out_file.read_text(encoding="utf-8"))
    assert result["status"] == "succeeded" and result["inputs"]["topic"] == "tides"
    assert result["output"]["raw"]
    assert (root / "report.md").is_file()  # run from the project's root, as `crewai run`


def test_with_inputs_the_crew_is_built_and_run_with_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj")
    code, out, err = run(capsys, "run", str(root), "--simulator", "--inputs",
                         '{"topic": "waves"}', "--output", "-")
    assert code == 0, err
    [result] = json.loads(out[out.index("\n[\n") + 1:])
    assert result["inputs"]["topic"] == "waves" and "year" in result["inputs"]  # over main.py's
    assert "# Agent:" not in out  # verbose=True: CrewDesk's stream, not the steps again
    assert "Research waves in" in result["output"]["raw"]
    batch = write(tmp_path / "in.jsonl", '{"topic": "a"}\n{"topic": "b"}\n')
    code, out, err = run(capsys, "run", str(root), "--simulator", "--inputs-file", str(batch),
                         "--quiet")
    assert code == 0, err
    assert "=== [1] final output ===" in out and "=== [2] final output ===" in out
    code, _, err = run(capsys, "run", str(root), "--input-set", "x")
    assert code == 2 and err.startswith("error: --input-set is for .crew.yaml files")


SCRIPT = '''import asyncio
from crewai import Agent, Crew, Task

writer = Agent(role="Writer", goal="Write about {topic}", backstory="Terse.",
               llm="gpt-4o-mini", multimodal=True)
task = Task(description="Write about {topic}.", expected_output="A line.", agent=writer)
crew = Crew(agents=[writer], tasks=[task])


async def main():
    await asyncio.gather(crew.kickoff_async(inputs={"topic": "moons"}),
                         crew.kickoff_async(inputs={"topic": "suns"}))

asyncio.run(main())
'''


def test_a_script_running_two_crews_at_once_gets_prefixes_and_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = write(tmp_path / "two.py", SCRIPT)
    code, out, err = run(capsys, "run", str(script), "--simulator", "--output",
                         str(tmp_path / "o.json"))
    assert code == 0, err
    assert err.count("warning: Agent 'Writer': multimodal=True") == 1
    stream = out.split("\n\n=== ")[0].splitlines()
    assert stream and all(line[:4] in ("[1] ", "[2] ") for line in stream[1:]), stream
    assert "=== [1] final output ===" in out and "=== [2] final output ===" in out
    results = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert sorted(r["inputs"]["topic"] for r in results) == ["moons", "suns"]
    assert [r["index"] for r in results] == [1, 2]


def test_a_notebook_runs_its_cells_and_names_the_skipped_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cells = ["!pip install crewai", SCRIPT.split("\n\nasync def")[0],
             'result = crew.kickoff(inputs={"topic": "rivers"})\nprint(result.raw[:5])']
    notebook = write(tmp_path / "nb.ipynb", json.dumps({"cells": [
        {"cell_type": "code", "source": cell} for cell in cells], "nbformat": 4}))
    code, out, err = run(capsys, "run", str(notebook), "--simulator", "--quiet")
    assert code == 0, err
    assert f"warning: {notebook}: cell 1, line 1: !pip is an IPython command" in err
    assert "=== final output ===" in out


def test_a_broken_project_is_one_error_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", imports="from crewai_tools import NoSuchTool")
    crew_py = root / "src" / "tide_crew" / "crew.py"
    for extra in ([], ["--inputs", '{"topic": "x"}']):
        code, out, err = run(capsys, "run", str(root), "--simulator", *extra)
        assert code == 2 and out == ""
        assert err.startswith(f"error: {crew_py}:3: ") and "NoSuchTool" in err
        assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_tool_without_its_key_is_refused_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SERPER_API_KEY", raising=False)
    root = make_project(tmp_path / "proj", imports="from crewai_tools import SerperDevTool",
                        agent_extra="\n                     tools=[SerperDevTool()]")
    code, out, err = run(capsys, "run", str(root), "--simulator")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {root / 'src' / 'tide_crew' / 'crew.py'}:13: SerperDevTool "
                          "needs the key SERPER_API_KEY")


def test_a_failing_run_exits_1_and_names_the_project_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj")
    code, out, err = run(capsys, "run", str(root), "--simulator", "--model",
                         "openai/sim:status=400", "--quiet")
    assert code == 1
    main_py = root / "src" / "tide_crew" / "main.py"
    assert f"error: {main_py}:11: Exception: An error occurred while running the crew" in err
    assert "Traceback" not in err and "=== failed ===" in out


def test_static_reads_the_yaml_without_running_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "proj", imports="raise SystemExit('code ran')")
    code, out, err = run(capsys, "run", str(root), "--static", "--simulator", "--quiet",
                         "--inputs", '{"topic": "t", "year": "2024"}')
    assert code == 0, err
    assert "=== final output ===" in out


def test_a_script_without_a_crew_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = write(tmp_path / "s.py", "import sys\n"
                   "print('hi', sys.stdout.isatty(), bool(sys.stdout.encoding))\n")
    code, out, err = run(capsys, "run", str(script))
    assert (code, out, err) == (0, "hi False True\n", "note: the project ran no crew\n")
    code, out, err = run(capsys, "run", str(write(tmp_path / "e.py", "import sys\nsys.exit(3)\n")))
    assert code == 1


def test_uv_run_crewdesk_runs_a_project(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    process = subprocess.run(
        ["uv", "run", "--project", str(Path(__file__).parents[1]), "crewdesk", "run", str(root),
         "--simulator", "--quiet"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    assert "=== final output ===" in process.stdout and "Traceback" not in process.stderr


def test_a_json_crew_runs_from_its_definition_and_statically(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "jcrew"
    write(root / "crew.jsonc", '{\n  // comments as the template has them\n  "name": "Tides",\n'
          '  "agents": ["researcher"],\n  "tasks": [{"name": "research", "description": '
          '"Research {topic}.", "expected_output": "Facts.", "agent": "researcher"}],\n'
          '  "inputs": {"topic": "tides"}\n}\n')
    write(root / "agents" / "researcher.jsonc", '{"role": "Researcher", "goal": "Find {topic}",'
          ' "backstory": "Thorough.", "llm": "openai/gpt-4o"}')
    for given in (root, root / "crew.jsonc"):
        code, out, err = run(capsys, "run", str(given), "--simulator", "--quiet")
        assert code == 0, err
        assert "=== final output ===\nAnswer to: Current Task: Research tides." in out
    code, out, err = run(capsys, "run", str(root), "--static", "--simulator", "--quiet",
                         "--inputs", '{"topic": "tides"}')
    assert code == 0, err


STREAMING_SCRIPT = '''from crewai import Agent, Crew, Task

writer = Agent(role="Writer", goal="Write", backstory="Terse.", llm="gpt-4o-mini")
task = Task(description="Write about {topic}.", expected_output="A line.", agent=writer)
crew = Crew(agents=[writer], tasks=[task], stream=True)
print("before the run")
streaming = crew.kickoff(inputs={"topic": "comets"})
for chunk in streaming:
    print(chunk.content, end="", flush=True)
print("\\nScript final:", streaming.result.raw[:12])
'''


def test_a_script_printing_its_own_stream_is_not_shown_twice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = write(tmp_path / "stream.py", STREAMING_SCRIPT)
    code, out, err = run(capsys, "run", str(script), "--simulator")
    assert code == 0, err
    stream, _, report = out.partition("\n=== final output ===\n")
    answer = report.strip()
    lines = stream.splitlines()
    assert lines[:2] == ["before the run", "== task 1 (Writer) =="], lines
    assert stream.count(answer) == 1  # the script's own print only
    assert lines[-1] == f"Script final: {answer[:12]}"


def test_a_script_printing_other_things_during_a_run_keeps_the_stream(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = write(tmp_path / "steps.py", STREAMING_SCRIPT.split("print(\"before")[0].replace(
        "stream=True", "step_callback=lambda step: print('STEP')") +
        'print(crew.kickoff(inputs={"topic": "comets"}).raw[:5])\n')
    code, out, err = run(capsys, "run", str(script), "--simulator")
    assert code == 0, err
    stream, _, report = out.partition("\n=== final output ===\n")
    assert "STEP" in stream and stream.count(report.strip()) == 1  # CrewDesk's stream


def test_simulator_answers_the_project_search_tools_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from desktop_app.engine import bus
    from desktop_app.engine.events import RunEvent, ToolCallFinished

    root = make_project(tmp_path / "proj", imports="from crewai_tools import SerperDevTool",
                        agent_extra="\n                     tools=[SerperDevTool()]")
    with (root / ".env").open("a", encoding="utf-8") as env:
        env.write("SERPER_API_KEY=sk-project\n")
    seen: list[RunEvent] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        code, out, err = run(capsys, "run", str(root), "--simulator", "--quiet",
                             "--approve", "always")  # the search tools reach the network
    finally:
        unsubscribe()
    assert code == 0, err
    [result] = [e for e in seen if isinstance(e, ToolCallFinished)]
    assert not result.is_error and "http://127.0.0.1:" in result.output, result.output


def test_a_tool_key_comes_from_the_keychain_when_the_environment_has_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.engine import bus
    from desktop_app.engine.events import RunEvent, ToolCallFinished
    from desktop_app.storage.secrets import SecretStore

    monkeypatch.delenv("SERPER_API_KEY", raising=False)
    SecretStore().set("SERPER_API_KEY", "sk-stored")
    root = make_project(tmp_path / "proj", imports="from crewai_tools import SerperDevTool",
                        agent_extra="\n                     tools=[SerperDevTool()]")
    seen: list[RunEvent] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        code, _, err = run(capsys, "run", str(root), "--simulator", "--quiet",
                           "--approve", "always")  # the search tool reaches the network
    finally:
        unsubscribe()
        SecretStore().delete("SERPER_API_KEY")
    assert code == 0, err
    [result] = [e for e in seen if isinstance(e, ToolCallFinished)]
    assert not result.is_error, result.output


def test_runs_one_after_another_need_no_prefixes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = write(tmp_path / "seq.py", SCRIPT.split("\n\nasync def")[0] + (
        '\nfor topic in ("moons", "suns"):\n    crew.kickoff(inputs={"topic": topic})\n'))
    code, out, err = run(capsys, "run", str(script), "--simulator")
    assert code == 0, err
    stream = out.split("\n\n=== ")[0].splitlines()
    assert stream.count("== task 1 (Writer) ==") == 2
    assert not any(line.startswith("[") for line in stream)
    assert "=== [1] final output ===\nAnswer to: Current Task: Write about moons." in out
    assert "=== [2] final output ===\nAnswer to: Current Task: Write about suns." in out


@pytest.mark.parametrize("with_inputs", [False, True])
def test_the_plans_of_a_planning_crew_are_printed_before_its_tasks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, with_inputs: bool
) -> None:
    import shutil

    root = tmp_path / "event_planning"
    shutil.copytree(Path(__file__).parent / "compat" / "projects" / "event_planning", root)
    given = ["--inputs", '{"city": "Ghent", "attendees": "40"}'] if with_inputs else []
    code, out, err = run(capsys, "run", str(root), "--simulator", *given)
    assert code == 0, err
    assert "== plan for task 1" in out and "== plan for task 2" in out
    assert out.index("== plan for task 1") < out.index("== task 1 ")


def test_a_skipped_conditional_task_is_a_line_of_the_stream(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = write(tmp_path / "cond.py", SCRIPT.split("\n\nasync def")[0].replace(
        "from crewai import Agent, Crew, Task",
        "from crewai import Agent, Crew, Task\n"
        "from crewai.tasks.conditional_task import ConditionalTask",
    ).replace("tasks=[task]", 'tasks=[task, ConditionalTask(condition=lambda out: False, '
              'name="extra", description="More.", expected_output="x", agent=writer)]')
        + '\ncrew.kickoff(inputs={"topic": "moons"})\n')
    code, out, err = run(capsys, "run", str(script), "--simulator")
    assert code == 0, err
    assert "== task 2 extra skipped: its condition was false ==" in out
    assert "=== final output ===\nAnswer to: Current Task: Write about moons." in out


def test_inputs_missing_a_placeholder_are_a_usage_error_before_any_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from desktop_app.engine import bus
    from desktop_app.engine.events import RunEvent

    root = make_project(tmp_path / "proj", main=MAIN.replace(', "year": str(datetime.now().year)',
                                                             ""))
    seen: list[RunEvent] = []
    unsubscribe = bus.subscribe(seen.append)
    try:
        code, out, err = run(capsys, "run", str(root), "--simulator", "--inputs",
                             '{"topic": "waves"}')
    finally:
        unsubscribe()
    assert code == 2 and out == "" and not seen
    first, hint = err.splitlines()
    assert first.startswith("error: Missing input 'year': the placeholder {year} in task "
                            "'research_task' description has no value")
    assert hint == """hint: give the values with --inputs '{"year": "..."}'"""


BEFORE_KICKOFF = '''from crewai import Agent, Crew, Task

writer = Agent(role="Writer", goal="Write", backstory="Terse.", llm="gpt-4o-mini")
task = Task(description="Write about {topic} for {reader}.", expected_output="A line.",
            agent=writer)
crew = Crew(agents=[writer], tasks=[task], before_kickoff_callbacks=[ADD])
crew.kickoff(inputs={"topic": "moons"})
'''


@pytest.mark.parametrize(("add", "code"), [('lambda i: {**i, "reader": "cats"}', 0),
                                           ("lambda i: i", 2)])
def test_inputs_a_before_kickoff_callback_completes_are_checked_by_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, add: str, code: int
) -> None:
    script = write(tmp_path / "before.py", BEFORE_KICKOFF.replace("ADD", add))
    got, _, err = run(capsys, "run", str(script), "--simulator", "--quiet", "--inputs",
                      '{"topic": "suns"}')
    assert got == code, err
    if code:
        assert "Missing input 'reader'" in err
        assert err.endswith("""hint: give the values with --inputs '{"reader": "..."}'\n""")


SEARCHING = '''import os
from crewai import Agent, Crew, Task
from crewai_tools import SerperDevTool
print("the script ran")
SETUP
searcher = Agent(role="Searcher", goal="Search", backstory="Quick.", llm="gpt-4o-mini",
                 tools=[SerperDevTool()])
task = Task(description="Search tides.", expected_output="A line.", agent=searcher)
Crew(agents=[searcher], tasks=[task]).kickoff()
'''


@pytest.mark.parametrize("kind", ["script", "notebook"])
def test_a_script_tool_without_its_key_is_refused_before_the_script_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    monkeypatch.delenv("SERPER_API_KEY", raising=False)
    source = SEARCHING.replace("SETUP\n", "")
    if kind == "script":
        path, where = write(tmp_path / "search.py", source), "search.py:6"
    else:
        cells = [source.split("print(")[0], "print(" + source.split("print(", 1)[1]]
        path = write(tmp_path / "search.ipynb", json.dumps({"cells": [
            {"cell_type": "code", "source": cell} for cell in cells], "nbformat": 4}))
        where = "search.ipynb: cell 2, line 3"
    code, out, err = run(capsys, "run", str(path), "--simulator")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {tmp_path / where}: SerperDevTool needs the key "
                          "SERPER_API_KEY"), err


@pytest.mark.parametrize("setup", ['os.environ["SERPER_API_KEY"] = "sk-set-by-the-script"',
                                   "from dotenv import load_dotenv\nload_dotenv('keys.env')"])
def test_a_script_that_sets_its_keys_itself_is_left_to_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    setup: str,
) -> None:
    monkeypatch.delenv("SERPER_API_KEY", raising=False)
    write(tmp_path / "keys.env", "SERPER_API_KEY=sk-from-keys-env\n")
    path = write(tmp_path / "search.py", SEARCHING.replace("SETUP", setup))
    code, out, err = run(capsys, "run", str(path), "--simulator", "--quiet")
    assert code == 0, err
    assert "the script ran" in out
