"""Bad CrewAI projects: every mistake names its file, its line where it can, and its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.documents import CrewFileError, CrewProblem, import_crewai_project, open_crew
from tests.documents.projects import (
    CLASSIC_TASKS,
    JSONC_CREW,
    JSONC_RESEARCHER,
    WriteTree,
    classic_project,
    jsonc_project,
)

TASKS = "src/research_crew/config/tasks.yaml"
AGENTS = "src/research_crew/config/agents.yaml"


def problems_of(path: Path) -> list[CrewProblem]:
    with pytest.raises(CrewFileError) as caught:
        import_crewai_project(path)
    return list(caught.value.problems)


def only(path: Path) -> CrewProblem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def classic_with(tree: WriteTree, **changes: str) -> Path:
    files = classic_project()
    for name, text in changes.items():
        files[{"tasks": TASKS, "agents": AGENTS}[name]] = text
    return tree(files)


def test_unknown_agent_in_tasks_yaml(tree: WriteTree) -> None:
    root = classic_with(tree, tasks=CLASSIC_TASKS.replace("agent: reporting_analyst",
                                                          "agent: editor"))
    problem = only(root)
    assert (problem.path, problem.line, problem.field) == (root / TASKS, 14, "reporting_task.agent")
    assert problem.message == "unknown agent 'editor' (agents: researcher, reporting_analyst)"
    assert str(problem) == (f"{root / TASKS}:14: reporting_task.agent: unknown agent 'editor' "
                            "(agents: researcher, reporting_analyst)")


def test_context_naming_a_missing_task(tree: WriteTree) -> None:
    root = classic_with(tree, tasks=CLASSIC_TASKS.replace("- research_task", "- summary_task"))
    problem = only(root)
    assert (problem.line, problem.field) == (16, "reporting_task.context[0]")
    assert problem.message == "context names task 'summary_task', which does not exist"


def test_context_naming_a_later_task(tree: WriteTree) -> None:
    tasks = CLASSIC_TASKS.replace(
        "  agent: researcher\n", "  agent: researcher\n  context: [reporting_task]\n"
    ).replace("  context:\n    - research_task\n", "")
    files = classic_project()
    files[TASKS] = tasks
    del files["src/research_crew/crew.py"]
    problem = only(tree(files))
    assert (problem.line, problem.field) == (9, "research_task.context[0]")
    assert "runs later" in problem.message


def test_cycle_in_context(tree: WriteTree) -> None:
    tasks = CLASSIC_TASKS.replace("  agent: researcher\n",
                                  "  agent: researcher\n  context: [reporting_task]\n")
    root = classic_with(tree, tasks=tasks)
    problem = only(root)
    assert (problem.path, problem.line, problem.field) == (root / TASKS, 9, "research_task.context")
    assert problem.message == "context makes a cycle: research_task -> reporting_task -> research_task"


def test_duplicate_keys_in_yaml(tree: WriteTree) -> None:
    root = classic_with(tree, agents="a:\n  role: r\n  goal: g\n  backstory: b\na:\n  role: x\n")
    problem = only(root)
    assert (problem.path, problem.line, problem.field) == (root / AGENTS, 5, "a")
    assert problem.message == "duplicate key 'a' (first at line 1)"


def test_wrong_yaml(tree: WriteTree) -> None:
    root = classic_with(tree, tasks="research_task:\n  description: [oops\n  agent: x\n")
    problem = only(root)
    assert (problem.path, problem.line) == (root / TASKS, 3)
    assert problem.message.startswith("not valid YAML:")


def test_missing_required_fields(tree: WriteTree) -> None:
    root = classic_with(tree, agents="writer:\n  role: Writer\n  tools: serper\n")
    problems = {(p.path.name, p.line, p.field, p.message) for p in problems_of(root)}
    assert ("agents.yaml", 1, "writer.goal", "missing required field 'goal'") in problems
    assert ("agents.yaml", 1, "writer.backstory", "missing required field 'backstory'") in problems
    assert ("agents.yaml", 3, "writer.tools", "must be a list, not 'serper'") in problems


def test_an_agent_that_is_not_a_mapping(tree: WriteTree) -> None:
    root = classic_with(tree, agents="writer: just a string\n")
    problem = only(root)
    assert (problem.line, problem.field) == (1, "writer")
    assert problem.message == "'writer' must be a mapping of fields, not str"


def test_no_project_here(tmp_path: Path) -> None:
    problem = only(tmp_path)
    assert problem.path == tmp_path
    assert problem.message.startswith("no CrewAI project found here")
    with pytest.raises(CrewFileError, match="no such file or folder"):
        open_crew(tmp_path / "missing")


def test_agents_yaml_without_tasks_yaml(tree: WriteTree) -> None:
    root = tree({"config/agents.yaml": "a:\n  role: r\n"})
    assert only(root).message == "no tasks.yaml beside agents.yaml"


def test_several_crews_in_one_project(tree: WriteTree) -> None:
    files = classic_project()
    files["src/other/config/agents.yaml"] = files[AGENTS]
    problem = only(tree(files))
    assert "holds several CrewAI crews (src/other, src/research_crew)" in problem.message


def test_jsonc_syntax_error_names_the_line(tree: WriteTree) -> None:
    files = jsonc_project()
    files["agents/researcher.jsonc"] = JSONC_RESEARCHER.replace('"goal":', '"goal" "x",')
    root = tree(files)
    problem = only(root)
    assert (problem.path, problem.line) == (root / "agents" / "researcher.jsonc", 4)
    assert problem.message.startswith("not valid JSONC:")


def test_jsonc_missing_agent_file(tree: WriteTree) -> None:
    files = jsonc_project()
    del files["agents/analyst.jsonc"]
    root = tree(files)
    problem = only(root)
    assert (problem.path, problem.line, problem.field) == (root / "crew.jsonc", 6, "agents[1]")
    assert problem.message == "agent 'analyst' has no file agents/analyst.jsonc"


def test_jsonc_missing_field(tree: WriteTree) -> None:
    files = jsonc_project()
    files["crew.jsonc"] = JSONC_CREW.replace('"expected_output": "Key findings about {topic}.",', "")
    problem = only(tree(files))
    assert (problem.path.name, problem.line, problem.field) == ("crew.jsonc", 9,
                                                                "tasks[0].expected_output")
    assert problem.message == "missing required field 'expected_output'"


def test_jsonc_unknown_agent(tree: WriteTree) -> None:
    files = jsonc_project()
    files["crew.jsonc"] = JSONC_CREW.replace('"agent": "analyst"', '"agent": "editor"')
    problem = only(tree(files))
    assert (problem.path.name, problem.line, problem.field) == ("crew.jsonc", 20, "tasks[1].agent")
    assert problem.message == "unknown agent 'editor' (agents: researcher, analyst)"


def test_jsonc_field_of_an_agent_file(tree: WriteTree) -> None:
    files = jsonc_project()
    files["agents/researcher.jsonc"] = JSONC_RESEARCHER.replace('"max_iter": 12', '"max_iter": "x"')
    root = tree(files)
    problem = only(root)
    assert (problem.path.name, problem.line, problem.field) == ("researcher.jsonc", 11,
                                                                 "settings.max_iter")
    assert problem.message == "must be a whole number, not 'x'"


def test_placeholder_with_no_input(tree: WriteTree) -> None:
    root = tree(classic_project())
    loaded = import_crewai_project(root)
    with pytest.raises(CrewFileError) as caught:
        loaded.check_inputs({"topic": "AI"})
    problem = caught.value.problems[0]
    assert (problem.path, problem.line, problem.field) == (root / TASKS, 2,
                                                           "research_task.description")
    assert problem.message == "placeholder {current_year} has no input"


def test_errors_never_leave_a_half_loaded_crew(tree: WriteTree) -> None:
    root = classic_with(tree, tasks=CLASSIC_TASKS.replace("agent: researcher", "agent: x"))
    with pytest.raises(CrewFileError):
        open_crew(root)
