"""Import of CrewAI projects written by hand, in the classic and the JSON-first layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    ImportNotice,
    import_crewai_project,
    open_crew,
)
from tests.documents.projects import (
    CLASSIC_AGENTS,
    CLASSIC_TASKS,
    WriteTree,
    classic_project,
    jsonc_project,
)


def notices_by_field(notices: tuple[ImportNotice, ...]) -> dict[tuple[str, str], str]:
    return {(notice.path.name, notice.field): notice.message for notice in notices}


def test_classic_project_keeps_agents_tasks_context_placeholders_llm_and_tools(
    tree: WriteTree,
) -> None:
    root = tree(classic_project())
    loaded = import_crewai_project(root)
    doc = loaded.document

    assert doc.name == "research_crew"
    assert [agent.key for agent in doc.agents] == ["researcher", "reporting_analyst"]
    assert [task.key for task in doc.tasks] == ["research_task", "reporting_task"]
    researcher, analyst = doc.agents
    assert researcher.role == "{topic} Senior Data Researcher\n"
    assert researcher.llm == "openai/gpt-4o-mini"
    assert researcher.tools == ["serper_dev_tool"]
    assert researcher.verbose is True  # from crew.py, which overrides the YAML as in CrewAI
    assert researcher.extra == {"allow_delegation": False}
    assert analyst.max_iter == 5
    assert (analyst.llm, analyst.base_url) == ("ollama/llama3", "http://localhost:11434")
    assert analyst.llm_options == {"temperature": 0.2}
    assert analyst.extra == {"max_rpm": 10}
    research, report = doc.tasks
    assert (research.agent, research.context) == ("researcher", None)
    assert (report.agent, report.context) == ("reporting_analyst", ["research_task"])
    assert (report.output_file, report.extra) == ("report.md", {"markdown": True})  # crew.py
    assert doc.placeholders() == ["topic", "current_year"]
    assert doc.process == "sequential"
    assert (doc.settings.verbose, doc.settings.memory, doc.settings.extra) == (True, True, {})
    assert [(s.name, s.values) for s in doc.input_sets] == [("default", {"topic": "AI LLMs"})]


def test_classic_project_reports_each_kept_field_once(tree: WriteTree) -> None:
    loaded = import_crewai_project(tree(classic_project()))
    assert notices_by_field(loaded.notices) == {
        ("agents.yaml", "allow_delegation"): "kept but not used by CrewDesk (researcher)",
        ("agents.yaml", "max_rpm"): "kept but not used by CrewDesk (reporting_analyst)",
        ("crew.py", "step_callback"):
            "set by code in crew.py; not imported (reporting_analyst)",
        ("tasks.yaml", "markdown"): "kept but not used by CrewDesk (reporting_task)",
        ("main.py", "inputs.current_year"):
            "set by code in main.py; not imported; give it in an input set",
    }


def test_a_field_used_by_several_agents_is_one_notice(tree: WriteTree) -> None:
    files = classic_project()
    files["src/research_crew/config/agents.yaml"] = CLASSIC_AGENTS.replace(
        "  max_rpm: 10", "  max_rpm: 10\n  allow_delegation: true")
    notices = import_crewai_project(tree(files)).notices
    assert [n.message for n in notices if n.field == "allow_delegation"] == [
        "kept but not used by CrewDesk (researcher, reporting_analyst)"
    ]


@pytest.mark.parametrize(
    "where",
    ["", "src/research_crew", "src/research_crew/config", "src/research_crew/config/agents.yaml",
     "src/research_crew/config/tasks.yaml"],
)
def test_a_classic_project_opens_from_any_of_its_places(tree: WriteTree, where: str) -> None:
    root = tree(classic_project())
    expected = import_crewai_project(root).document
    assert import_crewai_project(root / where).document == expected
    assert open_crew(root / where).document == expected


def test_the_two_yaml_files_alone(tree: WriteTree) -> None:
    root = tree({"a/agents.yaml": CLASSIC_AGENTS, "b/my_tasks.yaml": CLASSIC_TASKS})
    loaded = import_crewai_project(root / "a" / "agents.yaml", root / "b" / "my_tasks.yaml")
    doc = loaded.document
    assert [task.key for task in doc.tasks] == ["research_task", "reporting_task"]
    assert doc.agents[0].verbose is None  # no crew.py: nothing overrides the YAML
    assert doc.name == "a"
    assert doc.input_sets == []


def test_without_crew_py_tasks_keep_yaml_order(tree: WriteTree) -> None:
    files = classic_project()
    del files["src/research_crew/crew.py"]
    doc = import_crewai_project(tree(files)).document
    assert [task.key for task in doc.tasks] == ["research_task", "reporting_task"]
    assert doc.settings.extra == {}


def test_crew_py_sets_the_task_order_and_method_names(tree: WriteTree) -> None:
    files = classic_project()
    crew_py = files["src/research_crew/crew.py"]
    research = crew_py[crew_py.index("    @task\n    def research_task"):
                       crew_py.index("    @task\n    def reporting_task")]
    crew_py = crew_py.replace(research, "").replace("    @crew", research + "    @crew")
    files["src/research_crew/crew.py"] = crew_py.replace("def researcher(", "def researcher_agent(")
    files["src/research_crew/config/tasks.yaml"] = (
        CLASSIC_TASKS.replace("agent: researcher", "agent: researcher_agent")
        .replace("  context:\n    - research_task\n", "")
    )
    doc = import_crewai_project(tree(files)).document
    assert [task.key for task in doc.tasks] == ["reporting_task", "research_task"]
    assert doc.tasks[1].agent == "researcher"  # the method name, mapped to its config key
    assert doc.agents[0].verbose is True


def test_unknown_tools_are_reported_when_the_known_tools_are_given(tree: WriteTree) -> None:
    loaded = import_crewai_project(tree(classic_project()), known_tools={"calculator"})
    assert notices_by_field(loaded.notices)[("agents.yaml", "tools.serper_dev_tool")] == (
        "CrewDesk has no such tool; kept but not used by CrewDesk (researcher)"
    )
    assert loaded.document.agents[0].tools == ["serper_dev_tool"]


def test_jsonc_project_maps_crew_agents_settings_llm_and_inputs(tree: WriteTree) -> None:
    root = tree(jsonc_project())
    doc = import_crewai_project(root).document
    assert doc.name == "Research Crew"
    researcher, analyst = doc.agents
    assert researcher == AgentSpec(
        key="researcher", role="Senior {topic} Researcher", goal="Find the latest on {topic}",
        backstory="Expert at concise technical research.", llm="anthropic/claude-sonnet-4-6",
        tools=["SerperDevTool", "custom:file_read"], max_iter=12, verbose=False,
        extra={"allow_delegation": False},
    )
    assert (analyst.llm, analyst.base_url, analyst.llm_options) == (
        "ollama/llama3", "http://localhost:11434", {"temperature": 0.3})
    assert analyst.allow_code_execution is True
    assert analyst.credential is None and "sk-should-not-be-kept" not in doc.model_dump_json()
    assert analyst.extra == {"reasoning": True}
    research, report = doc.tasks
    assert research.key == "research_task" and research.agent == "researcher"
    assert research.description == 'Research {topic} thoroughly. Return JSON like {"items": []}.'
    assert (report.context, report.output_file, report.extra) == (
        ["research_task"], "output/report.md", {})
    assert doc.placeholders() == ["topic", "audience"]
    assert doc.input_sets[0].values == {"topic": "AI agents", "audience": "engineers"}
    assert (doc.settings.verbose, doc.settings.memory, doc.settings.extra) == (True, False, {})


def test_jsonc_project_notices(tree: WriteTree) -> None:
    loaded = import_crewai_project(tree(jsonc_project()))
    assert notices_by_field(loaded.notices) == {
        ("researcher.jsonc", "allow_delegation"): "kept but not used by CrewDesk (researcher)",
        ("analyst.jsonc", "reasoning"): "kept but not used by CrewDesk (analyst)",
        ("analyst.jsonc", "llm.api_key"): "a key in a project file is not imported; "
        "store it as a CrewDesk credential (analyst)",
    }


@pytest.mark.parametrize("where", ["", "crew.jsonc"])
def test_a_jsonc_project_opens_from_its_folder_or_crew_file(tree: WriteTree, where: str) -> None:
    root = tree(jsonc_project())
    assert open_crew(root / where).document.name == "Research Crew"


def test_plain_json_files_and_a_task_without_name(tree: WriteTree) -> None:
    root = tree({
        "crew.json": '{"agents": ["a"], "tasks": [{"description": "d", "expected_output": "e",'
                     ' "agent": "a"}]}',
        "agents/a.json": '{"role": "r", "goal": "g", "backstory": "b"}',
    })
    doc = import_crewai_project(root).document
    assert doc.name == root.name
    assert [task.key for task in doc.tasks] == ["task_1"]


def test_a_crewdesk_file_opens_through_open_crew(tree: WriteTree) -> None:
    examples = Path(__file__).resolve().parents[2] / "resources" / "examples"
    loaded = open_crew(examples / "research_writer.crew.yaml")
    assert isinstance(loaded.document, CrewDocument)
    assert loaded.notices == ()


def test_any_yaml_file_but_agents_and_tasks_opens_as_a_crewdesk_file(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "resources" / "examples"
            / "research_writer.crew.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yml").write_text(text, encoding="utf-8")
    assert open_crew(tmp_path / "mine.yml").document.name == "Research and write"


HIERARCHICAL_CREW_PY = '''
from crewai import Agent, Crew, LLM, Process, Task
from crewai.project import CrewBase, agent, crew, task


@CrewBase
class ResearchCrew():
    @agent
    def researcher(self) -> Agent:
        return Agent(config=self.agents_config['researcher'])

    @task
    def research_task(self) -> Task:
        return Task(config=self.tasks_config['research_task'])

    @task
    def reporting_task(self) -> Task:
        return Task(config=self.tasks_config['reporting_task'])

    @crew
    def crew(self) -> Crew:
        boss = Agent(config=self.agents_config['reporting_analyst'],
                     llm=LLM(model="gpt-4o", temperature=0.1))
        return Crew(
            agents=self.agents,
            tasks=self.tasks,
            process=Process.hierarchical,
            manager_agent=boss,
            manager_llm=LLM(model="llama3", provider="ollama", base_url="http://h:1"),
        )
'''


def test_a_hierarchical_classic_project_keeps_its_manager_and_human_input(
    tree: WriteTree,
) -> None:
    files = classic_project()
    files["src/research_crew/crew.py"] = HIERARCHICAL_CREW_PY
    files["src/research_crew/config/tasks.yaml"] = CLASSIC_TASKS.replace(
        "  agent: researcher\n", "  agent: researcher\n  human_input: true\n"
    ).replace("  agent: reporting_analyst\n", "")
    loaded = import_crewai_project(tree(files))
    doc = loaded.document

    assert doc.process == "hierarchical"
    assert (doc.settings.manager_agent, doc.settings.manager_llm) == (
        "reporting_analyst", "ollama/llama3")
    boss = doc.agent("reporting_analyst")
    assert boss is not None and (boss.llm, boss.llm_options) == ("gpt-4o", {"temperature": 0.1})
    assert [task.human_input for task in doc.tasks] == [True, False]
    assert doc.tasks[1].agent is None and doc.problems() == []
    assert notices_by_field(loaded.notices)[("crew.py", "manager_llm")] == (
        "only its model is imported, not base_url; for those, make the manager an agent "
        "(manager_agent) (crew)"
    )


def test_a_jsonc_project_keeps_manager_llm_and_human_input(tree: WriteTree) -> None:
    files = jsonc_project()
    files["crew.jsonc"] = files["crew.jsonc"].replace(
        '"process": "sequential"', '"process": "hierarchical", "manager_llm": "openai/gpt-4o"'
    ).replace('"agent": "analyst",', '"human_input": true,')
    doc = import_crewai_project(tree(files)).document
    assert (doc.process, doc.settings.manager_llm) == ("hierarchical", "openai/gpt-4o")
    assert [(task.agent, task.human_input) for task in doc.tasks] == [
        ("researcher", False), (None, True)]
