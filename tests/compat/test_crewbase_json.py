"""`crewai.project.crew_loader`: the JSON crew of `crewai create crew`, on the engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from desktop_app import engine
from desktop_app.compat import ConfigError
from desktop_app.simulator import SimulatorThread

CREW = """\
{
  // Display name for this crew
  "name": "Research Crew",
  "agents": ["researcher", "writer"],
  "tasks": [
    {
      "name": "research_task",
      "description": "Research {topic} and list findings.",
      "expected_output": "Facts about {topic}",
      "agent": "researcher",
    },
    {
      "name": "write_task",
      "description": "Write a short report.",
      "expected_output": "A report",
      "agent": "writer",
      "context": ["research_task"],
      "output_file": "report.md"
    }
  ],
  "process": "sequential",
  "verbose": false,
  "inputs": {"topic": "tides"}
}
"""

AGENT = """\
{
  "role": "%(role)s",
  "goal": "Know {topic}",
  "backstory": "Careful.",
  "llm": {"model": "sim:tokens=5", "provider": "openai", "base_url": "%(url)s",
          "api_key": "sk-test"},
  "tools": %(tools)s,
  "settings": {
    // Show detailed execution logs
    "verbose": false,
    "max_iter": 5
  }
}
"""

TOOL = """\
from crewai.tools import BaseTool


class WordCounterTool(BaseTool):
    name: str = "Word counter"
    description: str = "Counts the words of a text."

    def _run(self, text: str) -> str:
        return str(len(text.split()))
"""


def _project(root: Path, url: str, crew: str = CREW, tools: str = '["custom:word_counter"]') -> Path:
    (root / "agents").mkdir()
    (root / "tools").mkdir()
    (root / "crew.jsonc").write_text(crew)
    for name, role, agent_tools in (("researcher", "Researcher", tools), ("writer", "Writer", "[]")):
        text = AGENT % {"role": role, "url": url, "tools": agent_tools}
        (root / "agents" / f"{name}.jsonc").write_text(text)
    (root / "tools" / "word_counter.py").write_text(textwrap.dedent(TOOL))
    return root / "crew.jsonc"


def test_json_crew_loads_and_runs(
    hook: None, tmp_path: Path, sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crewai.project import load_crew

    monkeypatch.chdir(tmp_path)
    crew, inputs = load_crew(_project(tmp_path, sim_thread.base_url))

    assert isinstance(crew, engine.Crew) and crew.name == "Research Crew"
    assert inputs == {"topic": "tides"}
    researcher, writer = crew.agents
    research, write = crew.tasks
    assert research.agent is researcher and write.agent is writer
    assert write.context == [research] and researcher.max_iter == 5
    assert [t.name for t in researcher.tools] == ["Word counter"]
    assert researcher.llm is not None and researcher.llm.model == "openai/sim:tokens=5"

    output = crew.kickoff(inputs=inputs)
    assert [t.name for t in output.tasks_output] == ["research_task", "write_task"]
    assert (tmp_path / "report.md").read_text() == output.raw


def test_a_conditional_task_takes_its_condition_by_reference(
    hook: None, tmp_path: Path, sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crewai.project import load_crew

    monkeypatch.chdir(tmp_path)
    (tmp_path / "json_crew_conditions.py").write_text("def never(output):\n    return False\n")
    crew_text = CREW.replace(
        '"context": ["research_task"],',
        '"type": "ConditionalTask", "condition": {"python": "json_crew_conditions.never"},',
    )
    crew, inputs = load_crew(_project(tmp_path, sim_thread.base_url, crew_text))
    assert isinstance(crew.tasks[1], engine.ConditionalTask)
    output = crew.kickoff(inputs=inputs)
    assert output.tasks_output[1].raw == "" and output.raw == output.tasks_output[0].raw
    assert not (tmp_path / "report.md").exists()


def test_unknown_agent_names_file_and_key(
    hook: None, tmp_path: Path, sim_thread: SimulatorThread
) -> None:
    from crewai.project.crew_loader import load_crew

    path = _project(tmp_path, sim_thread.base_url, CREW.replace('"agent": "writer"', '"agent": "editor"'))
    with pytest.raises(ConfigError, match=r"crew.jsonc: tasks\[1\].agent: 'editor' is not an agent"):
        load_crew(path)


def test_context_must_name_an_earlier_task(
    hook: None, tmp_path: Path, sim_thread: SimulatorThread
) -> None:
    from crewai.project.crew_loader import load_crew

    crew = CREW.replace('"agent": "researcher",', '"agent": "researcher", "context": ["write_task"],')
    with pytest.raises(ConfigError, match=r"tasks\[0\].context: 'write_task' is not an earlier task"):
        load_crew(_project(tmp_path, sim_thread.base_url, crew))


def test_unsupported_tool_name_says_how_to_replace_it(
    hook: None, tmp_path: Path, sim_thread: SimulatorThread
) -> None:
    from crewai.project.crew_loader import load_crew

    path = _project(tmp_path, sim_thread.base_url, tools='["BrowserbaseLoadTool"]')
    with pytest.raises(ConfigError, match=r"researcher.jsonc: tools: .*BrowserbaseLoadTool.*@tool"):
        load_crew(path)


def test_builtin_tool_names_resolve_to_the_toolkit(
    hook: None, tmp_path: Path, sim_thread: SimulatorThread
) -> None:
    from crewai.project.crew_loader import load_crew

    crew, _ = load_crew(_project(tmp_path, sim_thread.base_url, tools='["FileReadTool", "file_writer"]'))
    assert [type(t).__name__ for t in crew.agents[0].tools] == ["FileReadTool", "FileWriterTool"]


def test_invalid_jsonc_names_the_line(hook: None, tmp_path: Path, sim_thread: SimulatorThread) -> None:
    from crewai.project.crew_loader import load_crew

    path = _project(tmp_path, sim_thread.base_url, CREW.replace('"process"', '"process" "x",'))
    with pytest.raises(ConfigError, match=r"crew.jsonc:\d+: not valid JSONC"):
        load_crew(path)
