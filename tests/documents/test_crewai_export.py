"""Export as a CrewAI project: CrewAI's documented shape, and import -> export -> import."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    CrewFileError,
    CrewSettings,
    InputSet,
    TaskSpec,
    export_crewai_project,
    import_crewai_project,
    load_crew,
)
from desktop_app.documents.crewai_project import export_crewai, import_crewai
from tests.documents.projects import JSONC_RESEARCHER, WriteTree, classic_project, jsonc_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"

# The keys CrewAI reads from agents.yaml and tasks.yaml: the AgentConfig and TaskConfig
# TypedDicts of crewai/project/crew_base.py (crewAIInc/crewAI).
CREWAI_AGENT_KEYS = frozenset({
    "role", "goal", "backstory", "cache", "verbose", "max_rpm", "allow_delegation", "max_iter",
    "max_tokens", "callbacks", "llm", "function_calling_llm", "use_system_prompt",
    "system_template", "prompt_template", "response_template", "tools", "step_callback",
    "cache_handler", "allow_code_execution", "allow_unsafe_code_execution",
    "code_execution_mode", "respect_context_window", "max_retry_limit", "multimodal",
    "reasoning", "max_reasoning_attempts", "knowledge_sources", "knowledge_storage",
    "knowledge_config", "embedder", "agent_knowledge_context", "crew_knowledge_context",
    "knowledge_search_query", "inject_date", "date_format", "from_repository", "guardrail",
    "guardrail_max_retries",
})
CREWAI_TASK_KEYS = frozenset({
    "name", "description", "expected_output", "agent", "context", "tools", "callback",
    "callbacks", "output_json", "output_pydantic", "output_file", "create_directory",
    "async_execution", "human_input", "markdown", "guardrail", "guardrail_max_retries",
    "allow_crewai_trigger_context",
})


def made_in_crewdesk() -> CrewDocument:
    return CrewDocument(
        name="Market research & report",
        description="Finds facts and writes them up.",
        settings=CrewSettings(stream=False, verbose=True, memory=True, extra={"planning": True}),
        agents=[
            AgentSpec(key="researcher", role="{topic} researcher", goal="Find facts\nabout it\n",
                      backstory="Digs.", llm="openai/gpt-4o-mini", base_url="http://127.0.0.1:9/v1",
                      credential="openai-work", llm_options={"temperature": 0.1, "seed": 7},
                      tools=["serper_dev_tool"], allow_code_execution=True, max_iter=3,
                      verbose=False),
            AgentSpec(key="writer", role="Writer", goal="Write", backstory="Writes.",
                      tools=["serper_dev_tool", "FileReadTool"]),
        ],
        tasks=[
            TaskSpec(key="research", name="Research", description='Research {topic}: {"a": 1}',
                     expected_output="Facts.", agent="researcher", context=[]),
            TaskSpec(key="write", description="Write for {audience}.", expected_output="Text.",
                     agent="writer", context=["research"]),
        ],
        input_sets=[InputSet(name="first", values={"topic": "tides", "audience": "kids"}),
                    InputSet(name="second", values={"topic": "wind", "audience": [1, 2]})],
    )


def yaml_of(path: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_round_trip_of_a_classic_project(tree: WriteTree, tmp_path: Path) -> None:
    first = import_crewai_project(tree(classic_project())).document
    export_crewai_project(first, tmp_path / "out")
    assert import_crewai_project(tmp_path / "out").document == first


def test_round_trip_of_a_jsonc_project(tree: WriteTree, tmp_path: Path) -> None:
    files = jsonc_project()
    files["agents/researcher.jsonc"] = JSONC_RESEARCHER.replace(', "custom:file_read"', "")
    first = import_crewai_project(tree(files)).document
    export_crewai_project(first, tmp_path / "out")
    assert import_crewai_project(tmp_path / "out").document == first


def test_round_trip_of_a_crew_made_in_crewdesk(tmp_path: Path) -> None:
    doc = made_in_crewdesk()
    package = export_crewai_project(doc, tmp_path / "out")
    assert package == tmp_path / "out" / "src" / "market_research_report"
    again = import_crewai_project(tmp_path / "out")
    assert again.document == doc
    assert {notice.field for notice in again.notices} == {"llm.seed", "planning"}


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.crew.yaml")), ids=lambda p: p.name)
def test_round_trip_of_the_examples(example: Path, tmp_path: Path) -> None:
    doc = load_crew(example)
    export_crewai_project(doc, tmp_path / "out")
    assert import_crewai_project(tmp_path / "out").document == doc


def test_yaml_files_use_crewai_documented_keys(tmp_path: Path) -> None:
    doc = made_in_crewdesk()
    package = export_crewai_project(doc, tmp_path / "out")
    agents = yaml_of(package / "config" / "agents.yaml")
    tasks = yaml_of(package / "config" / "tasks.yaml")
    assert list(agents) == ["researcher", "writer"]
    assert list(tasks) == ["research", "write"]
    for entry in agents.values():
        assert {"role", "goal", "backstory"} <= set(entry) <= CREWAI_AGENT_KEYS
    for entry in tasks.values():
        assert {"description", "expected_output", "agent"} <= set(entry) <= CREWAI_TASK_KEYS
    assert agents["researcher"] == {
        "role": "{topic} researcher", "goal": "Find facts\nabout it\n", "backstory": "Digs.",
        "llm": "openai/gpt-4o-mini", "tools": ["serper_dev_tool"], "allow_code_execution": True,
        "max_iter": 3, "verbose": False,
    }
    assert tasks["write"]["context"] == ["research"]
    for path in (package / "config" / "agents.yaml", tmp_path / "out" / "crewdesk.yaml"):
        assert "api_key" not in path.read_text(encoding="utf-8")


def test_imported_extras_go_back_into_the_yaml(tree: WriteTree, tmp_path: Path) -> None:
    doc = import_crewai_project(tree(classic_project())).document
    package = export_crewai_project(doc, tmp_path / "out")
    agents = yaml_of(package / "config" / "agents.yaml")
    tasks = yaml_of(package / "config" / "tasks.yaml")
    assert agents["researcher"]["allow_delegation"] is False
    assert agents["reporting_analyst"]["max_rpm"] == 10
    assert "output_file" not in tasks["reporting_task"]  # in crew.py, as CrewAI's template
    assert "output_file='report.md'" in (package / "crew.py").read_text(encoding="utf-8")
    assert tasks["reporting_task"]["markdown"] is True
    for entry in agents.values():
        assert set(entry) <= CREWAI_AGENT_KEYS


def _decorated(tree: ast.Module) -> list[tuple[str, str]]:
    return [(decorator.id, node.name)
            for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
            for decorator in node.decorator_list if isinstance(decorator, ast.Name)]


def test_crew_py_uses_crewai_decorators_in_task_order(tmp_path: Path) -> None:
    package = export_crewai_project(made_in_crewdesk(), tmp_path / "out")
    text = (package / "crew.py").read_text(encoding="utf-8")
    module = ast.parse(text)
    classes = [node for node in module.body if isinstance(node, ast.ClassDef)]
    assert [(c.name, [ast.unparse(d) for d in c.decorator_list]) for c in classes] == [
        ("MarketResearchReport", ["CrewBase"])
    ]
    assert _decorated(module) == [
        ("agent", "researcher"), ("agent", "writer"), ("task", "research"), ("task", "write"),
        ("tool", "serper_dev_tool"), ("tool", "FileReadTool"), ("crew", "crew"),
    ]
    assert "from crewai.project import CrewBase, agent, crew, task, tool" in text
    assert "self.agents_config['researcher']" in text and "self.tasks_config['write']" in text
    assert "process=Process.sequential" in text and "memory=True" in text
    assert "planning=True" in text
    assert "base_url='http://127.0.0.1:9/v1'" in text and "seed=7" in text


def test_main_py_runs_the_first_input_set(tmp_path: Path) -> None:
    package = export_crewai_project(made_in_crewdesk(), tmp_path / "out")
    module = ast.parse((package / "main.py").read_text(encoding="utf-8"))
    run = next(node for node in module.body if isinstance(node, ast.FunctionDef))
    assert run.name == "run"
    assign = next(node for node in ast.walk(run) if isinstance(node, ast.Assign))
    assert ast.literal_eval(assign.value) == {"topic": "tides", "audience": "kids"}
    assert "MarketResearchReport().crew().kickoff(inputs=inputs)" in ast.unparse(run)


def test_pyproject_is_what_crewai_create_crew_writes(tmp_path: Path) -> None:
    export_crewai_project(made_in_crewdesk(), tmp_path / "out")
    data = tomllib.loads((tmp_path / "out" / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["name"] == "market_research_report"
    assert data["project"]["description"] == "Finds facts and writes them up."
    assert any(dep.startswith("crewai[tools]") for dep in data["project"]["dependencies"])
    assert data["project"]["scripts"]["run_crew"] == "market_research_report.main:run"
    assert data["tool"]["crewai"] == {"type": "crew"}
    assert data["build-system"]["build-backend"] == "hatchling.build"
    names = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*")
                   if p.is_file())
    assert names == [".gitignore", "README.md", "crewdesk.yaml", "pyproject.toml",
                     "src/market_research_report/__init__.py",
                     "src/market_research_report/config/agents.yaml",
                     "src/market_research_report/config/tasks.yaml",
                     "src/market_research_report/crew.py", "src/market_research_report/main.py"]


def test_a_folder_with_files_is_not_overwritten_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CrewFileError, match="folder is not empty"):
        export_crewai_project(made_in_crewdesk(), tmp_path / "out")
    export_crewai_project(made_in_crewdesk(), tmp_path / "out", overwrite=True)
    assert (tmp_path / "out" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert import_crewai_project(tmp_path / "out").document == made_in_crewdesk()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tools": ["custom:file_read"]},
         "agents[0].tools: tool name 'custom:file_read' must be a Python name"),
        ({"key": "crew"}, "agents[0].key: agent name 'crew' is taken by CrewAI's crew class"),
        ({"key": "my-agent"}, "agents[0].key: agent name 'my-agent' must be a Python name"),
    ],
)
def test_names_crewai_cannot_use_are_refused(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    doc = CrewDocument(
        name="x",
        agents=[AgentSpec(key="a", role="r", goal="g", backstory="b").model_copy(update=change)],
        tasks=[TaskSpec(key="t", description="d", expected_output="e",
                        agent=str(change.get("key", "a")))],
    )
    with pytest.raises(CrewFileError) as caught:
        export_crewai_project(doc, tmp_path / "out")
    assert message in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_an_agent_and_a_task_may_not_share_a_name(tmp_path: Path) -> None:
    doc = CrewDocument(name="x", agents=[AgentSpec(key="a", role="r", goal="g", backstory="b")],
                       tasks=[TaskSpec(key="a", description="d", expected_output="e", agent="a")])
    with pytest.raises(CrewFileError, match="task name 'a' is also the name of a agent"):
        export_crewai_project(doc, tmp_path / "out")


def test_a_crew_with_problems_is_not_exported(tmp_path: Path) -> None:
    doc = made_in_crewdesk()
    doc.tasks[1].context = ["nothing"]
    with pytest.raises(CrewFileError, match="context names task 'nothing'"):
        export_crewai_project(doc, tmp_path / "out")


def test_the_short_names_used_by_the_crew_library(tree: WriteTree, tmp_path: Path) -> None:
    loaded = import_crewai(tree(classic_project()))
    export_crewai(loaded.document, tmp_path / "out")
    assert import_crewai(tmp_path / "out").document == loaded.document


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=60), value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3), max_leaves=5,
))
def test_any_text_survives_export_and_import(tmp_path: Path, text: str, value: object) -> None:
    doc = CrewDocument(
        name="Crew",
        agents=[AgentSpec(key="a", role=text, goal=text + "\n", backstory="b",
                          extra={"x_field": value})],
        tasks=[TaskSpec(key="t", description=text, expected_output=text, agent="a",
                        output_file=text, extra={"x_field": value})],
        input_sets=[InputSet(name=text, values={"v": value})],
    )
    export_crewai_project(doc, tmp_path / "out", overwrite=True)
    assert import_crewai_project(tmp_path / "out").document == doc


def managed(**settings: object) -> CrewDocument:
    doc = made_in_crewdesk()
    chief = AgentSpec(key="chief", role="Chief", goal="Lead", backstory="Calm.",
                      llm="openai/gpt-4o", base_url="http://127.0.0.1:9/v1",
                      llm_options={"temperature": 0.2})
    tasks = [doc.tasks[0].model_copy(update={"human_input": True}),
             doc.tasks[1].model_copy(update={"agent": None})]
    return doc.model_copy(update={
        "process": "hierarchical", "agents": [*doc.agents, chief], "tasks": tasks,
        "settings": doc.settings.model_copy(update=settings),
    })


def test_round_trip_of_a_hierarchical_crew_with_a_manager_agent(tmp_path: Path) -> None:
    doc = managed(manager_agent="chief")
    package = export_crewai_project(doc, tmp_path / "out")
    assert import_crewai_project(tmp_path / "out").document == doc
    crew_py = (package / "crew.py").read_text(encoding="utf-8")
    tree = ast.parse(crew_py)
    methods = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    decorators = {name: [ast.unparse(d) for d in node.decorator_list]
                  for name, node in methods.items()}
    assert decorators["chief"] == [] and decorators["writer"] == ["agent"]
    assert "manager_agent=self.chief()" in crew_py
    assert "process=Process.hierarchical" in crew_py
    tasks = yaml_of(package / "config" / "tasks.yaml")
    assert tasks["research"]["human_input"] is True and "human_input" not in tasks["write"]
    assert "agent" not in tasks["write"]


def test_round_trip_of_a_manager_llm_and_of_a_manager_agent_kept_by_a_sequential_crew(
    tmp_path: Path,
) -> None:
    doc = managed(manager_llm="anthropic/claude-x")
    package = export_crewai_project(doc, tmp_path / "llm")
    assert "manager_llm='anthropic/claude-x'" in (package / "crew.py").read_text(encoding="utf-8")
    assert import_crewai_project(tmp_path / "llm").document == doc
    sequential = managed(manager_agent="chief").model_copy(update={"process": "sequential"})
    sequential.tasks[1].agent = "writer"
    package = export_crewai_project(sequential, tmp_path / "seq")
    assert "manager_agent" not in (package / "crew.py").read_text(encoding="utf-8")
    assert import_crewai_project(tmp_path / "seq").document == sequential
