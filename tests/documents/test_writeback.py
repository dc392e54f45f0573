"""Designer edits written back into a CrewAI project's own files: only the changed values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.project_crew import (
    configs_for,
    pending_refusals,
    read_project_crew,
    reread,
    save_project_crew,
)
from desktop_app.documents.writeback import REMOVE, apply_edits, write_edits
from tests.documents.projects import WriteTree

AGENTS = """\
# Agents of the research crew (kept by CrewDesk)
researcher:  # the one who digs
  role: >
    {topic} Senior Data Researcher
  goal: >
    Uncover cutting-edge developments in {topic}
  backstory: "You're a seasoned researcher"
  llm: openai/gpt-4o-mini   # cheap
  allow_delegation: false

writer:
  role: 'Writer'
  goal: |
    Write it up
  backstory: plain words
"""

TASKS = """\
research_task:
  description: >
    Research {topic}.
  expected_output: Ten bullet points
  agent: researcher
  output_file: report.md   # CrewDesk does not know every key

write_task:
  description: Write about {topic}
  expected_output: A report
  agent: writer
"""


def _project(tree: WriteTree) -> Path:
    return tree({
        "pyproject.toml": '[project]\nname = "research"\n',
        "src/research/config/agents.yaml": AGENTS,
        "src/research/config/tasks.yaml": TASKS,
        "src/research/__init__.py": "",
    })


def test_changing_one_goal_changes_only_that_value(tree: WriteTree) -> None:
    root = _project(tree)
    crew = read_project_crew(root)
    edited = crew.document.model_copy(deep=True)
    edited.agents[0].goal = "Find what is new in {topic}"
    result = save_project_crew(crew, edited)
    agents = root / "src/research/config/agents.yaml"
    assert result.written == (agents,) and result.refused == ()
    expected = AGENTS.replace(
        "  goal: >\n    Uncover cutting-edge developments in {topic}\n",
        "  goal: >\n    Find what is new in {topic}\n",
    )
    assert agents.read_text(encoding="utf-8") == expected
    assert (root / "src/research/config/tasks.yaml").read_text(encoding="utf-8") == TASKS
    assert reread(crew).document.agents[0].goal == "Find what is new in {topic}\n"


def test_edits_keep_comments_other_keys_and_quoting(tree: WriteTree) -> None:
    root = _project(tree)
    crew = read_project_crew(root)
    edited = crew.document.model_copy(deep=True)
    edited.agents[0].backstory = 'A "new" story'
    edited.agents[0].llm = None
    edited.agents[1].role = "Writer's role"
    edited.agents[1].max_iter = 4
    edited.tasks[0].description = "Two lines\nabout {topic}"
    edited.tasks[1].human_input = True
    save_project_crew(crew, edited)
    agents_text = (root / "src/research/config/agents.yaml").read_text(encoding="utf-8")
    tasks_text = (root / "src/research/config/tasks.yaml").read_text(encoding="utf-8")
    assert agents_text.startswith("# Agents of the research crew (kept by CrewDesk)\n")
    assert "researcher:  # the one who digs\n" in agents_text
    assert '  backstory: "A \\"new\\" story"\n' in agents_text
    assert "llm:" not in agents_text and "  allow_delegation: false\n" in agents_text
    assert "  role: 'Writer''s role'\n" in agents_text
    assert "output_file: report.md   # CrewDesk does not know every key" in tasks_text
    agents = yaml.safe_load(agents_text)
    tasks = yaml.safe_load(tasks_text)
    assert agents["writer"] == {"role": "Writer's role", "goal": "Write it up\n",
                                "backstory": "plain words", "max_iter": 4}
    assert tasks["research_task"]["description"] == "Two lines\nabout {topic}\n"  # `>` kept
    assert tasks["write_task"]["human_input"] is True
    assert list(tasks) == ["research_task", "write_task"]


def test_run_configs_carry_unsaved_edits_over_the_files(tree: WriteTree) -> None:
    crew = read_project_crew(_project(tree))
    edited = crew.document.model_copy(deep=True)
    edited.tasks[0].expected_output = "Three bullet points"
    agents, tasks = configs_for(crew, edited)
    assert tasks["research_task"]["expected_output"] == "Three bullet points"
    assert tasks["research_task"]["output_file"] == "report.md"  # values not edited stay
    assert agents["researcher"]["allow_delegation"] is False
    assert crew.tasks_data["research_task"]["expected_output"] == "Ten bullet points"


def test_structural_changes_are_refused_by_name(tree: WriteTree) -> None:
    root = _project(tree)
    crew = read_project_crew(root)
    edited = crew.document.model_copy(deep=True)
    edited.tasks = edited.tasks[:1]
    refused = pending_refusals(crew, edited)
    assert any("-write_task" in line and "crew.py" in line for line in refused)
    result = save_project_crew(crew, edited)
    assert result.written == () and result.refused == refused
    assert (root / "src/research/config/tasks.yaml").read_text(encoding="utf-8") == TASKS


def test_changes_that_live_outside_the_yaml_are_refused_by_name(tree: WriteTree) -> None:
    crew = read_project_crew(_project(tree))
    edited = crew.document.model_copy(deep=True)
    edited.process = "hierarchical"
    edited.agents[0].credential = "my-key"
    edited.agents[1].goal = "Write it all up"
    refused = pending_refusals(crew, edited)
    assert any("process" in line for line in refused), refused
    assert any("agent 'researcher': credential" in line for line in refused), refused
    result = save_project_crew(crew, edited)  # the YAML field is still saved
    assert result.written and yaml.safe_load(result.written[0].read_text("utf-8"))[
        "writer"]["goal"] == "Write it all up\n"


def test_jsonc_crew_saves_back_into_its_files(tree: WriteTree) -> None:
    crew_text = """{
      // the crew
      "name": "Trip",
      "agents": ["planner"],
      "tasks": [
        {"name": "plan", "description": "Plan a trip to {city}", "expected_output": "A plan",
         "agent": "planner", },
      ],
    }
    """
    agent_text = """{
      "role": "Planner", // who
      "goal": "Plan well",
      "backstory": "Has travelled",
      "settings": {"max_iter": 3},
    }
    """
    root = tree({"crew.jsonc": crew_text, "agents/planner.jsonc": agent_text})
    crew = read_project_crew(root)
    edited = crew.document.model_copy(deep=True)
    edited.tasks[0].description = "Plan a week in {city}"
    edited.agents[0].goal = "Plan very well"
    edited.agents[0].max_iter = 5
    result = save_project_crew(crew, edited)
    assert set(result.written) == {root / "crew.jsonc", root / "agents/planner.jsonc"}
    again = read_project_crew(root).document
    assert again.tasks[0].description == "Plan a week in {city}"
    assert again.agents[0].goal == "Plan very well" and again.agents[0].max_iter == 5
    assert "// the crew" in (root / "crew.jsonc").read_text(encoding="utf-8")
    assert '"role": "Planner", // who' in (root / "agents/planner.jsonc").read_text("utf-8")


def test_apply_edits_adds_a_missing_key_and_removes_one() -> None:
    text = "a:\n  x: 1  # one\n  y: 2\nb: {p: 1}\n"
    out = apply_edits(text, {("a", "z"): "new", ("a", "x"): REMOVE, ("b", "q"): [1, 2]},
                      path=Path("f.yaml"))
    assert out == 'a:\n  y: 2\n  z: new\nb: {p: 1, "q": [1, 2]}\n'


def test_write_edits_is_atomic_and_names_a_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "agents.yaml"
    good.write_text("a:\n  role: R\n", encoding="utf-8")
    assert write_edits(good, {("a", "role"): "S"})
    assert good.read_text(encoding="utf-8") == "a:\n  role: S\n"
    assert [p.name for p in tmp_path.iterdir()] == ["agents.yaml"]  # no temporary left
    bad = tmp_path / "tasks.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(CrewFileError, match="tasks.yaml"):
        write_edits(bad, {("a", "x"): 1})


def test_blank_lines_and_comments_after_a_block_value_stay() -> None:
    text = "a:\n  goal: >\n    old text\n    more\n\n  # about b\nb:\n  goal: |\n    last\n\n"
    out = apply_edits(text, {("a", "goal"): "new", ("b", "goal"): "newer\nlines",
                             ("a", "role"): "R"}, path=Path("agents.yaml"))
    assert out == ("a:\n  goal: >\n    new\n  role: R\n\n  # about b\nb:\n  goal: |\n"
                   "    newer\n    lines\n\n")
    removed = apply_edits(text, {("a", "goal"): REMOVE}, path=Path("agents.yaml"))
    assert removed == "a:\n\n  # about b\nb:\n  goal: |\n    last\n\n"


def test_an_aliased_value_is_not_edited_behind_the_users_back() -> None:
    text = "a:\n  goal: &g shared\nb:\n  goal: *g\n"
    with pytest.raises(CrewFileError, match="alias"):
        apply_edits(text, {("b", "goal"): "own"}, path=Path("agents.yaml"))
    assert apply_edits(text, {("a", "goal"): "mine"}, path=Path("agents.yaml")) == (
        "a:\n  goal: &g mine\nb:\n  goal: *g\n")
