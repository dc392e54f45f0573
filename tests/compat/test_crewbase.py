"""`@CrewBase` projects written as CrewAI's templates, imported through the hook, run on the
simulator: YAML and code wire the same agents, tasks, context, tools and output models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from desktop_app import engine
from desktop_app.compat import ConfigError, project_configs, provenance_of
from desktop_app.simulator import SimulatorThread

AGENTS_YAML = """\
researcher:
  role: "{topic} Senior Researcher"
  goal: "Uncover developments in {topic}"
  backstory: "A seasoned researcher."
  llm: sim_llm
  tools:
    - search_tool
writer:
  role: "Report Writer"
  goal: "Write clear reports about {topic}"
  backstory: "Turns notes into prose."
  llm: sim_llm
"""

TASKS_YAML = """\
research_task:
  description: "Research {topic} and list findings."
  expected_output: "Ten bullet points about {topic}"
  agent: researcher
report_task:
  description: "Write a report from the findings."
  expected_output: "A report"
  agent: writer
  context:
    - research_task
  output_pydantic: Report
  callback: record_output
"""

CREW_PY = """\
import os

from pydantic import BaseModel

from crewai import LLM, Agent, Crew, Process, Task
from crewai.agents.agent_builder.base_agent import BaseAgent
from crewai.project import (
    CrewBase, after_kickoff, agent, before_kickoff, callback, crew, llm, output_pydantic,
    task, tool,
)
from crewai.tools import tool as make_tool

SEEN = []


@output_pydantic
class Report(BaseModel):
    title: str
    summary: str


@make_tool("Search")
def search(query: str) -> str:
    \"\"\"Searches the web for a query.\"\"\"
    SEEN.append(("search", query))
    return "found: " + query


@CrewBase
class ResearchCrew:
    \"\"\"A research crew, as `crewai create crew` makes it.\"\"\"

    agents: list[BaseAgent]
    tasks: list[Task]
    agents_config = "config/agents.yaml"
    tasks_config = "config/tasks.yaml"

    @llm
    def sim_llm(self):
        return LLM(model="openai/sim:tokens=6", base_url=os.environ.get("SIM_BASE_URL", "http://127.0.0.1:9/v1"),
                   api_key="sk-test")

    @tool
    def search_tool(self):
        return search

    @callback
    def record_output(self):
        return lambda output: SEEN.append(("callback", output.raw[:20]))

    @before_kickoff
    def prepare(self, inputs):
        SEEN.append(("before", dict(inputs)))
        return {**inputs, "topic": inputs["topic"].upper()}

    @after_kickoff
    def finish(self, output):
        SEEN.append(("after", output.raw[:10]))
        return output

    @agent
    def researcher(self) -> Agent:
        return Agent(config=self.agents_config["researcher"], verbose=False)

    @agent
    def writer(self) -> Agent:
        return Agent(config=self.agents_config["writer"])

    @task
    def research_task(self) -> Task:
        return Task(config=self.tasks_config["research_task"])

    @task
    def report_task(self) -> Task:
        return Task(config=self.tasks_config["report_task"], agent=self.writer())

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
"""

Loader = Callable[[str, dict[str, str]], ModuleType]


def _project(load_module: Loader, **overrides: str) -> ModuleType:
    files = {
        "crew.py": CREW_PY,
        "config/agents.yaml": AGENTS_YAML,
        "config/tasks.yaml": TASKS_YAML,
    }
    files.update(overrides)
    return load_module("crew.py", files)


@pytest.fixture
def sim_env(sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch) -> SimulatorThread:
    monkeypatch.setenv("SIM_BASE_URL", sim_thread.base_url)
    return sim_thread


def test_yaml_names_resolve_to_the_decorated_methods(
    hook: None, load_module: Loader, sim_env: SimulatorThread
) -> None:
    module = _project(load_module)
    instance = module.ResearchCrew()
    crew = instance.crew()
    researcher, writer = instance.researcher(), instance.writer()
    research, report = instance.research_task(), instance.report_task()

    assert isinstance(crew, engine.Crew) and crew is instance.crew()
    assert crew.name == "ResearchCrew"
    assert instance.agents == [researcher, writer] and crew.agents[0] is researcher
    assert instance.tasks == [research, report] and crew.tasks[1] is report
    assert research.agent is researcher and report.agent is writer
    assert report.context is not None and report.context[0] is research
    assert [t.name for t in researcher.tools] == ["Search"]
    assert researcher.llm is instance.sim_llm() and researcher.llm is writer.llm
    assert report.output_pydantic is module.Report
    assert research.name == "research_task" and report.name == "report_task"
    assert module.ResearchCrew.is_crew_class is True
    assert instance.researcher.is_agent and instance.research_task.is_task
    assert module.ResearchCrew.base_directory == Path(module.__file__).parent


def test_crew_kicks_off_on_the_simulator(
    hook: None, load_module: Loader, sim_env: SimulatorThread
) -> None:
    # The output model's run is the engine's to test; here it is only wired (test above).
    tasks = TASKS_YAML.replace("  output_pydantic: Report\n", "")
    module = _project(load_module, **{"config/tasks.yaml": tasks})
    output = module.ResearchCrew().crew().kickoff(inputs={"topic": "tides"})

    assert [t.name for t in output.tasks_output] == ["research_task", "report_task"]
    seen = module.SEEN
    assert seen[0] == ("before", {"topic": "tides"})
    assert any(kind == "search" for kind, _ in seen)
    assert any(kind == "callback" for kind, _ in seen)
    assert seen[-1][0] == "after"
    requests = [r.body for r in sim_env.stats.requests if r.path.endswith("/chat/completions")]
    first = requests[0]
    assert "TIDES Senior Researcher" in json.dumps(first["messages"])
    # CrewAI's function name for the tool "Search" (crewai.tools.BaseTool's face).
    assert [t["function"]["name"] for t in first.get("tools", [])] == ["search"]
    assert any("found:" in json.dumps(r["messages"]) for r in requests[2:])


def test_provenance_tells_yaml_from_code(
    hook: None, load_module: Loader, sim_env: SimulatorThread
) -> None:
    module = _project(load_module)
    instance = module.ResearchCrew()
    researcher = provenance_of(instance.researcher())
    report = provenance_of(instance.report_task())

    assert researcher is not None and report is not None
    assert researcher.method == "researcher"
    assert researcher.file == Path(module.__file__)
    source = Path(module.__file__).read_text().splitlines()
    assert source[researcher.line - 1].strip().startswith("def researcher")
    assert {"role", "goal", "backstory", "llm", "tools"} <= researcher.config_keys
    assert "verbose" in researcher.code_keys and "config" not in researcher.code_keys
    assert "agent" in report.code_keys and "context" in report.config_keys
    assert provenance_of(engine.Agent(role="r", goal="g", backstory="b")) is None


def test_project_configs_replace_the_yaml(
    hook: None, load_module: Loader, sim_env: SimulatorThread
) -> None:
    module = _project(load_module)
    import yaml

    agents: dict[str, Any] = yaml.safe_load(AGENTS_YAML)
    agents["writer"]["role"] = "Edited Writer"
    with project_configs(agents, None):
        instance = module.ResearchCrew()
    assert instance.writer().role == "Edited Writer"
    assert agents["writer"]["llm"] == "sim_llm"  # the given dict is not changed
    assert module.ResearchCrew().writer().role == "Report Writer"


def test_unknown_agent_name_names_file_and_line(hook: None, load_module: Loader) -> None:
    bad = TASKS_YAML.replace("agent: writer", "agent: editor")
    module = _project(load_module, **{"config/tasks.yaml": bad})
    with pytest.raises(ConfigError) as caught:
        module.ResearchCrew()
    error = caught.value
    assert error.path.name == "tasks.yaml" and error.line == 8
    assert "'editor'" in str(error) and "researcher, writer" in str(error)
    assert str(error).startswith(f"{error.path}:8: ")


def test_unknown_tool_name_names_file_and_line(hook: None, load_module: Loader) -> None:
    bad = AGENTS_YAML.replace("- search_tool", "- web_search")
    module = _project(load_module, **{"config/agents.yaml": bad})
    with pytest.raises(ConfigError, match=r"agents.yaml:6: agent 'researcher': tools 'web_search'"):
        module.ResearchCrew()


def test_bad_key_in_code_names_the_file(
    hook: None, load_module: Loader, sim_env: SimulatorThread
) -> None:
    code = CREW_PY.replace('self.agents_config["writer"]', 'self.agents_config["writter"]')
    module = _project(load_module, **{"crew.py": code})
    with pytest.raises(KeyError) as caught:
        module.ResearchCrew().writer()
    assert "agents.yaml" in str(caught.value) and "'writter'" in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_invalid_yaml_names_the_line(hook: None, load_module: Loader) -> None:
    module = _project(load_module, **{"config/agents.yaml": "researcher:\n  role: [unclosed\n"})
    with pytest.raises(ConfigError, match=r"agents.yaml:\d+: not valid YAML"):
        module.ResearchCrew()


def test_missing_named_config_file_is_an_error(hook: None, load_module: Loader) -> None:
    code = CREW_PY.replace('"config/tasks.yaml"', '"config/missing.yaml"')
    module = _project(load_module, **{"crew.py": code})
    with pytest.raises(ConfigError, match=r"missing.yaml: the tasks config file named by"):
        module.ResearchCrew()


def test_context_cycle_is_an_error(hook: None, load_module: Loader) -> None:
    looping = TASKS_YAML.replace(
        "  agent: researcher\n", "  agent: researcher\n  context: [report_task]\n"
    )
    module = _project(load_module, **{"config/tasks.yaml": looping})
    with pytest.raises(ConfigError, match="context loops"):
        module.ResearchCrew()


CODE_ONLY_PY = """\
from crewai import Agent, Crew, Task
from crewai.project import CrewBase, agent, crew, task


@CrewBase
class CodeCrew:
    @agent
    async def helper(self) -> Agent:
        return Agent(role="Helper", goal="Help", backstory="Kind.", llm="openai/sim")

    @task
    def help_task(self) -> Task:
        return Task(description="Help", expected_output="Help", agent=self.helper())

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, name="Named in code")
"""


def test_code_only_crew_without_config_files(hook: None, load_module: Loader) -> None:
    module = load_module("crew.py", {"crew.py": CODE_ONLY_PY})
    instance = module.CodeCrew()
    crew = instance.crew()

    assert instance.agents_config == {} and instance.tasks_config == {}
    assert crew.name == "Named in code"
    assert isinstance(crew.agents[0], engine.Agent) and crew.agents[0] is instance.helper()
    assert crew.tasks[0].agent is crew.agents[0]
    with pytest.raises(KeyError, match="does not exist, so there is no agent 'x'"):
        instance.agents_config["x"]


def test_load_yaml_and_injected_tasks(
    hook: None, load_module: Loader, sim_env: SimulatorThread, tmp_path: Path
) -> None:
    module = _project(load_module)
    import yaml

    loaded = module.ResearchCrew.load_yaml(tmp_path / "config" / "tasks.yaml")
    assert loaded == yaml.safe_load(TASKS_YAML)
    tasks = yaml.safe_load(TASKS_YAML)
    tasks["research_task"]["description"] = "Edited {topic}"
    with project_configs(None, tasks):
        instance = module.ResearchCrew()
    assert instance.research_task().description == "Edited {topic}"
    assert instance.research_task().agent is instance.researcher()


CUSTOM_LLM_PY = """\
from crewai import Agent, Crew, Task
from crewai.llms.base_llm import BaseLLM

CALLS = []


class EchoLLM(BaseLLM):
    def call(self, messages, tools=None, callbacks=None, available_functions=None, **kwargs):
        CALLS.append((messages[-1]["content"][:30], tools))
        return "Echo: " + messages[-1]["content"][:20]


def crew():
    agent = Agent(role="Echo", goal="Echo", backstory="Echoes.", llm=EchoLLM(model="echo-1"))
    task = Task(description="Say hi", expected_output="A greeting", agent=agent)
    return Crew(agents=[agent], tasks=[task])
"""


@pytest.mark.parametrize("mode", ["kickoff", "akickoff"])
def test_custom_base_llm_subclass_answers(hook: None, load_module: Loader, mode: str) -> None:
    import asyncio

    module = load_module("custom_llm.py", {"custom_llm.py": CUSTOM_LLM_PY})
    crew = module.crew()
    output = crew.kickoff() if mode == "kickoff" else asyncio.run(crew.akickoff())
    assert output.raw.startswith("Echo: ")
    assert len(module.CALLS) == 1
    assert module.EchoLLM(model="x").call([{"role": "user", "content": "direct"}]) == "Echo: direct"


def test_custom_base_llm_goes_to_a_forced_target(
    hook: None, load_module: Loader, sim_thread: SimulatorThread
) -> None:
    from desktop_app.engine.llm import force_llm_target

    module = load_module("custom_llm.py", {"custom_llm.py": CUSTOM_LLM_PY})
    with force_llm_target("openai/sim:tokens=4", sim_thread.base_url, "sk-test"):
        output = module.crew().kickoff()
    assert module.CALLS == [] and output.raw
