"""A task's ``output_file`` end to end: the model, imports, build and run, export, write-back."""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    CrewFileError,
    TaskSpec,
    build_crew,
    export_crewai_project,
    import_crewai_project,
    override_llm,
)
from desktop_app.documents.build import anchored_output_file
from desktop_app.documents.crewdesk_file import dumps_crew, load_crew, save_crew
from desktop_app.documents.project_crew import read_project_crew, reread, save_project_crew
from desktop_app.simulator import Simulator, SimulatorConfig
from tests.documents.projects import CLASSIC_TASKS, WriteTree, classic_project, jsonc_project

HOSTILE = "x'); import os; os.system('boom') #"
"""A value that would run code if it were pasted into crew.py as text."""


def crew(output_file: str | None = "out/{topic}.md", **task: object) -> CrewDocument:
    return CrewDocument(
        name="Notes",
        agents=[AgentSpec(key="writer", role="Writer", goal="Write", backstory="Writes.")],
        tasks=[TaskSpec(key="note", description="A note on {topic}.", expected_output="Text.",
                        agent="writer", output_file=output_file, **task)],  # type: ignore[arg-type]
        input_sets=[{"name": "default", "values": {"topic": "tides"}}],  # type: ignore[list-item]
    )


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fast simulator on the test's event loop."""
    async with Simulator(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


# -- the model -------------------------------------------------------------------------------


def test_an_older_files_output_file_moves_from_extra_to_the_field() -> None:
    spec = TaskSpec.model_validate({
        "key": "t", "description": "d", "expected_output": "e",
        "extra": {"output_file": "report.md", "markdown": True},
    })
    assert (spec.output_file, spec.extra) == ("report.md", {"markdown": True})


def test_an_extra_output_file_beside_the_field_stays_and_is_a_problem() -> None:
    doc = crew("a.md", extra={"output_file": "b.md"})
    assert (doc.tasks[0].output_file, doc.tasks[0].extra) == ("a.md", {"output_file": "b.md"})
    assert [str(issue) for issue in doc.problems()] == [
        "tasks[0].extra.output_file: 'output_file' is a task field; set it there"
    ]


def test_placeholders_of_output_file_are_inputs_like_the_texts() -> None:
    doc = crew("out/{topic}-{day}.md")
    assert doc.placeholders() == ["topic", "day"]
    assert doc.placeholder_uses()["day"] == [("tasks", 0, "output_file")]
    assert [str(issue) for issue in doc.missing_inputs({"topic": "x"})] == [
        "tasks[0].output_file: placeholder {day} has no input"
    ]
    assert crew(None).placeholders() == ["topic"]


def test_the_crewdesk_file_keeps_it_as_a_task_field(tmp_path: Path) -> None:
    older = tmp_path / "older.crew.yaml"
    older.write_text(dumps_crew(crew(None)).replace(
        "    agent: writer\n", "    agent: writer\n    extra:\n      output_file: o.md\n"),
        encoding="utf-8")
    loaded = load_crew(older)
    assert (loaded.tasks[0].output_file, loaded.tasks[0].extra) == ("o.md", {})
    save_crew(crew(HOSTILE), tmp_path / "new.crew.yaml")
    data = yaml.safe_load((tmp_path / "new.crew.yaml").read_text(encoding="utf-8"))
    assert data["tasks"][0]["output_file"] == HOSTILE and "extra" not in data["tasks"][0]
    assert load_crew(tmp_path / "new.crew.yaml") == crew(HOSTILE)


# -- CrewAI imports ----------------------------------------------------------------------------


def test_a_classic_tasks_yaml_output_file_is_the_field_with_no_notice(tree: WriteTree) -> None:
    files = classic_project()
    files["src/research_crew/config/tasks.yaml"] = CLASSIC_TASKS.replace(
        "  agent: researcher\n", "  agent: researcher\n  output_file: output/{topic}.md\n")
    loaded = import_crewai_project(tree(files))
    research, report = loaded.document.tasks
    assert research.output_file == "output/{topic}.md" and "output_file" not in research.extra
    assert report.output_file == "report.md"  # a literal in crew.py, as before
    assert not [notice for notice in loaded.notices if "output_file" in notice.field]


def test_a_jsonc_output_file_is_the_field_with_no_notice(tree: WriteTree) -> None:
    loaded = import_crewai_project(tree(jsonc_project()))
    assert loaded.document.tasks[1].output_file == "output/report.md"
    assert not [notice for notice in loaded.notices if "output_file" in notice.field]


# -- build and run -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "anchored"),
    [
        ("out/{topic}.md", "{base}/out/{topic}.md"),
        ("report.md", "{base}/report.md"),
        ("/abs/report.md", "/abs/report.md"),
        ("~/report.md", "~/report.md"),
    ],
)
def test_build_anchors_a_relative_output_file_at_base_dir(
    tmp_path: Path, value: str, anchored: str
) -> None:
    doc = crew(value)
    doc.settings.allowed_paths = ["/abs", "~"]  # outside the crew's folder: allowed by name
    built = build_crew(doc, base_dir=tmp_path)
    assert built.tasks[0].output_file == anchored.replace("{base}", str(tmp_path))
    assert build_crew(doc).tasks[0].output_file == value  # no base_dir: as written
    assert anchored_output_file(value, None) == value


@pytest.mark.parametrize("value", ["/abs/report.md", "~/.bashrc", "../../out.md"])
def test_an_output_file_outside_the_crews_folder_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(CrewFileError) as caught:
        build_crew(crew(value), base_dir=tmp_path)
    assert str(caught.value) == (
        f"tasks[0].output_file: the output file '{value}' is outside the crew's folder "
        f"({tmp_path}); to let this crew write there, add it under Allowed files in the "
        "crew's settings")


def test_an_input_set_of_the_crew_file_cannot_lead_the_output_file_out(tmp_path: Path) -> None:
    doc = crew("out/{topic}.md")
    doc.input_sets[0].values["topic"] = "../../../.bashrc#"
    with pytest.raises(CrewFileError, match=r"\(with an input set: 'out/../../../.bashrc#.md'\)"):
        build_crew(doc, base_dir=tmp_path)


def test_a_task_without_output_file_gives_the_engine_none(tmp_path: Path) -> None:
    assert build_crew(crew(None), base_dir=tmp_path).tasks[0].output_file is None


@pytest.mark.asyncio
async def test_the_answer_is_written_under_base_dir_when_the_crew_runs(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    elsewhere = tmp_path / "app-working-folder"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    doc = override_llm(crew("out/{topic}/note.md"), model="openai/sim", base_url=sim.base_url)
    built = build_crew(doc, base_dir=project, resolve_api_key=lambda spec: "sk-simulator",
                       stream=False)
    output = await built.akickoff(inputs={"topic": "tides"})
    written = project / "out" / "tides" / "note.md"
    assert written.read_text(encoding="utf-8") == output.raw  # the folders were made
    assert not any(elsewhere.iterdir())
    assert built.tasks[0].output_file == str(project / "out/{topic}/note.md")  # per run


# -- export to a CrewAI project ------------------------------------------------------------------


def _task_keywords(crew_py: str) -> dict[str, ast.expr]:
    module = ast.parse(crew_py)
    call = next(node for node in ast.walk(module)
                if isinstance(node, ast.Call) and ast.unparse(node.func) == "Task")
    return {keyword.arg or "": keyword.value for keyword in call.keywords}


@pytest.mark.parametrize("value", ["output/{topic}.md", HOSTILE, 'a"b\\c\n\u2028d'])
def test_export_writes_a_python_literal_and_imports_it_back(tmp_path: Path, value: str) -> None:
    doc = crew(value)
    package = export_crewai_project(doc, tmp_path / "out")
    crew_py = (package / "crew.py").read_text(encoding="utf-8")
    module = ast.parse(crew_py)
    keywords = _task_keywords(crew_py)
    assert isinstance(keywords["output_file"], ast.Constant)
    assert keywords["output_file"].value == value
    imported = {alias.name.split(".")[0] for node in ast.walk(module)
                if isinstance(node, ast.Import) for alias in node.names}
    assert imported == {"crewai_tools"}  # the one import of _crewai_tool, no `import os`
    assert not [node for node in ast.walk(module)
                if isinstance(node, ast.Attribute) and node.attr == "system"]
    tasks = yaml.safe_load((package / "config" / "tasks.yaml").read_text(encoding="utf-8"))
    assert "output_file" not in tasks["note"]  # one place: crew.py, as CrewAI's template
    assert import_crewai_project(tmp_path / "out").document == doc


def test_a_task_without_output_file_exports_none(tmp_path: Path) -> None:
    package = export_crewai_project(crew(None), tmp_path / "out")
    assert "output_file" not in _task_keywords((package / "crew.py").read_text("utf-8"))


# -- write-back into a project's own files -------------------------------------------------------


def test_an_edited_output_file_is_saved_into_tasks_yaml(tree: WriteTree) -> None:
    root = tree({
        "pyproject.toml": '[project]\nname = "notes"\n',
        "src/notes/config/agents.yaml": "writer:\n  role: Writer\n  goal: Write\n"
                                        "  backstory: Writes.\n",
        "src/notes/config/tasks.yaml": "note:  # the task\n  description: A note.\n"
                                       "  expected_output: Text.\n  agent: writer\n",
    })
    project = read_project_crew(root)
    edited = project.document.model_copy(deep=True)
    edited.tasks[0].output_file = HOSTILE
    result = save_project_crew(project, edited)
    tasks_yaml = root / "src/notes/config/tasks.yaml"
    assert result.written == (tasks_yaml,) and result.refused == ()
    text = tasks_yaml.read_text(encoding="utf-8")
    assert text.startswith("note:  # the task\n")
    assert yaml.safe_load(text)["note"]["output_file"] == HOSTILE
    again = reread(project)
    assert again.document.tasks[0].output_file == HOSTILE
    cleared = again.document.model_copy(deep=True)
    cleared.tasks[0].output_file = None
    save_project_crew(again, cleared)
    assert "output_file" not in yaml.safe_load(tasks_yaml.read_text(encoding="utf-8"))["note"]


def test_an_edited_output_file_is_saved_into_crew_jsonc(tree: WriteTree) -> None:
    root = tree(jsonc_project())
    project = read_project_crew(root)
    edited = project.document.model_copy(deep=True)
    edited.tasks[1].output_file = 'output/{audience} "brief".md'
    edited.tasks[0].output_file = "output/research.md"
    result = save_project_crew(project, edited)
    assert result.written == (root / "crew.jsonc",) and result.refused == ()
    text = (root / "crew.jsonc").read_text(encoding="utf-8")
    assert "// Display name for this crew" in text
    tasks = reread(project).document.tasks
    assert [task.output_file for task in tasks] == [
        "output/research.md", 'output/{audience} "brief".md'
    ]
    assert json.dumps('output/{audience} "brief".md') in text
