"""The import hook: `crewai...` names are CrewDesk's modules while installed, and only then."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import pytest

import desktop_app.compat as compat
from desktop_app import engine
from desktop_app.simulator import SimulatorThread


def test_crewai_names_are_the_engine_classes(hook: None) -> None:
    import crewai
    from crewai import LLM, Agent, BaseLLM, Crew, CrewOutput, Process, Task, TaskOutput

    assert Agent is engine.Agent and Task is engine.Task and Crew is engine.Crew
    assert LLM is engine.LLM and issubclass(BaseLLM, engine.LLM) and Process is engine.Process
    assert TaskOutput is engine.TaskOutput and CrewOutput is engine.CrewOutput
    assert crewai.__version__.startswith("1.")
    assert sys.modules["crewai"] is importlib.import_module("desktop_app.compat.crewai")


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("crewai.project", ["CrewBase", "agent", "task", "crew", "before_kickoff",
                            "after_kickoff", "llm", "tool", "callback", "cache_handler",
                            "output_json", "output_pydantic"]),
        ("crewai.tools", ["BaseTool", "tool", "EnvVar"]),
        ("crewai.tools.base_tool", ["BaseTool", "tool", "EnvVar"]),
        ("crewai.agents.agent_builder.base_agent", ["BaseAgent"]),
        ("crewai.agent", ["Agent"]),
        ("crewai.task", ["Task"]),
        ("crewai.crew", ["Crew"]),
        ("crewai.process", ["Process"]),
        ("crewai.llm", ["LLM"]),
        ("crewai.llms.base_llm", ["BaseLLM"]),
        ("crewai.tasks.task_output", ["TaskOutput"]),
        ("crewai.tasks.conditional_task", ["ConditionalTask"]),
        ("crewai.tasks", ["TaskOutput", "OutputFormat"]),
        ("crewai.crews.crew_output", ["CrewOutput"]),
        ("crewai.knowledge.source.string_knowledge_source", ["StringKnowledgeSource"]),
        ("crewai.knowledge.source.text_file_knowledge_source", ["TextFileKnowledgeSource"]),
        ("crewai.knowledge.source.pdf_knowledge_source", ["PDFKnowledgeSource"]),
        ("crewai.knowledge.source.csv_knowledge_source", ["CSVKnowledgeSource"]),
        ("crewai.knowledge.source.json_knowledge_source", ["JSONKnowledgeSource"]),
        ("crewai.knowledge.knowledge", ["Knowledge"]),
        ("crewai.memory", ["MemoryConfig"]),
    ],
)
def test_crewai_module_paths(hook: None, module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    for name in names:
        assert hasattr(imported, name), f"{module}.{name}"
    assert sys.modules[module] is importlib.import_module("desktop_app.compat." + module)


def test_unknown_submodule_names_it_and_the_docs(hook: None) -> None:
    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module("crewai.no_such_module")
    assert "crewai.no_such_module" in str(caught.value)
    assert "docs/COMPATIBILITY.md" in str(caught.value)
    assert caught.value.name == "crewai.no_such_module"


@pytest.mark.parametrize("module", ["crewai.flow", "crewai.flow.flow"])
def test_flow_modules_are_the_engines_flows(hook: None, module: str) -> None:
    from desktop_app.engine import flow

    imported = importlib.import_module(module)
    for name in ("start", "listen", "router", "or_", "and_"):
        assert getattr(imported, name) is getattr(flow, name)
    # the engine's Flow, with CrewAI's `stream_events` (frames; CrewDesk's is `run_events`)
    assert issubclass(imported.Flow, flow.Flow) and imported.Flow.__bases__ == (flow.Flow,)
    assert imported.Flow.stream_events is not flow.Flow.stream_events


def test_flow_name_from_crewai(hook: None) -> None:
    from crewai import Flow
    from crewai.flow import Flow as CrewAIFlow  # type: ignore[import-not-found]

    from desktop_app.engine.flow import Flow as EngineFlow

    assert Flow is CrewAIFlow and issubclass(Flow, EngineFlow)


def test_unsupported_knowledge_source_says_what_instead(hook: None) -> None:
    with pytest.raises(ModuleNotFoundError, match="TextFileKnowledgeSource"):
        importlib.import_module("crewai.knowledge.source.crew_docling_source")


def test_memory_object_says_what_instead(hook: None) -> None:
    with pytest.raises(ImportError, match=r"Crew\(memory=True\)"):
        from crewai.memory import Memory  # noqa: F401


def test_conditional_task_runs_only_on_its_condition(
    hook: None, sim_thread: SimulatorThread
) -> None:
    from crewai import LLM, Agent, Crew, Task
    from crewai.tasks.conditional_task import ConditionalTask

    assert ConditionalTask is engine.ConditionalTask
    llm = LLM(model="openai/sim", base_url=sim_thread.base_url, api_key="sk-test")
    agent = Agent(role="Analyst", goal="g", backstory="b", llm=llm)
    crew = Crew(agents=[agent], tasks=[
        Task(description="Count", expected_output="a number", agent=agent),
        ConditionalTask(condition=lambda out: "Count" in out.raw, description="Explain",
                        expected_output="why", agent=agent),
        ConditionalTask(condition=lambda out: False, description="Skip me",
                        expected_output="nothing", agent=agent),
    ])
    output = crew.kickoff()
    assert [bool(task.raw) for task in output.tasks_output] == [True, True, False]
    assert output.raw == output.tasks_output[1].raw
    assert len(sim_thread.stats.requests) == 2


def test_uninstall_removes_finder_and_aliases() -> None:
    compat.install()
    importlib.import_module("crewai.project")
    compat.uninstall()
    assert not any(type(f).__name__ == "CompatFinder" for f in sys.meta_path)
    assert "crewai" not in sys.modules and "crewai.project" not in sys.modules
    assert not compat.is_installed()


def test_installed_restores_previous_state() -> None:
    with compat.installed():
        assert compat.is_installed()
        assert type(sys.meta_path[0]).__name__ == "CompatFinder"
        importlib.import_module("crewai")
    assert not compat.is_installed()
    assert "crewai" not in sys.modules


def test_install_twice_keeps_one_finder(hook: None) -> None:
    compat.install()
    assert sum(type(f).__name__ == "CompatFinder" for f in sys.meta_path) == 1


def test_a_real_crewai_is_set_aside_and_restored() -> None:
    fake = type(sys)("crewai")
    sys.modules["crewai"] = fake
    try:
        with compat.installed():
            import crewai

            assert crewai is not fake
            assert crewai.Agent is engine.Agent
        assert sys.modules["crewai"] is fake
    finally:
        sys.modules.pop("crewai", None)


def test_crewai_tools_are_the_toolkit(hook: None) -> None:
    import crewai_tools
    from crewai_tools import BaseTool, SerperDevTool, tool

    from desktop_app.engine import toolkit

    assert SerperDevTool is toolkit.SerperDevTool
    from crewai.tools import BaseTool as CrewAIBaseTool
    from crewai.tools import tool as crewai_tool

    assert BaseTool is CrewAIBaseTool and tool is crewai_tool
    assert issubclass(BaseTool, engine.BaseTool) and issubclass(SerperDevTool, BaseTool)
    assert set(toolkit.__all__) <= set(crewai_tools.__all__)


def test_crewai_tools_unknown_tool_names_it(hook: None) -> None:
    with pytest.raises(ImportError, match="'FirecrawlSearchTool'.*@tool"):
        from crewai_tools import FirecrawlSearchTool  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match=r"crewai_tools\.tools.*COMPATIBILITY"):
        importlib.import_module("crewai_tools.tools.whatever")


@pytest.mark.parametrize(
    ("module", "says"),
    [
        ("crewai.lite_agent", "LiteAgent"),
        ("crewai.memory.storage.rag_storage", "Crew\\(memory=True\\)"),
        ("crewai.agents.parser", "AgentStep"),
        ("crewai.mcp.client", "MCPServerStdio"),
    ],
)
def test_modules_crewdesk_lacks_say_what_instead(hook: None, module: str, says: str) -> None:
    with pytest.raises(ModuleNotFoundError, match=says):
        importlib.import_module(module)


def test_small_modules(hook: None) -> None:
    from crewai.telemetry import Telemetry
    from crewai.types.usage_metrics import UsageMetrics

    assert UsageMetrics is engine.UsageMetrics
    Telemetry().set_tracer()


def test_tool_decorator_takes_crewai_keywords(hook: None) -> None:
    from crewai.tools import tool

    @tool
    def plain(text: str) -> str:
        """Echoes."""
        return text

    @tool("Named")
    def named(text: str) -> str:
        """Echoes."""
        return text

    from crewai.tools import BaseTool

    assert isinstance(plain, engine.Tool) and isinstance(plain, BaseTool)
    assert plain.name == "plain" and named.name == "Named"
    assert named.function_name() == "named"

    @tool("Final", result_as_answer=True, max_usage_count=2)
    def final(text: str) -> str:
        """Echoes."""
        return text

    assert final.run(text="x") == "x"
    assert final.result_as_answer and final.max_usage_count == 2


@pytest.mark.parametrize(
    ("name", "says"),
    [("PlanningConfig", "reasoning=True"), ("LLMGuardrail", "guardrail="), ("Memory", "memory")],
)
def test_crewai_names_crewdesk_lacks_say_what_instead(hook: None, name: str, says: str) -> None:
    import crewai

    with pytest.raises(ImportError, match=says):
        getattr(crewai, name)
    with pytest.raises(AttributeError):
        crewai.NoSuchThing  # noqa: B018


def test_aliased_modules_keep_their_own_spec() -> None:
    real = importlib.import_module("desktop_app.compat.crewai.project")
    with compat.installed():
        aliased = importlib.import_module("crewai.project")
        assert aliased is real
        assert real.__spec__ is not None and real.__spec__.name == "desktop_app.compat.crewai.project"
    found = importlib.util.find_spec("desktop_app.compat.crewai.project")
    assert found is not None and found.name == "desktop_app.compat.crewai.project"


def test_base_tool_subclass_warns_about_crewai_settings_it_drops(hook: None) -> None:
    from crewai.tools import BaseTool

    from desktop_app.engine.errors import IgnoredSettingWarning

    class Counter(BaseTool):
        name: str = "Word counter"
        description: str = "Counts words."

        def _run(self, text: str) -> str:
            return str(len(text.split()))

    assert Counter().run(text="a b c") == "3"
    assert Counter().function_name() == "word_counter"
    assert Counter(result_as_answer=True).result_as_answer
    with pytest.warns(IgnoredSettingWarning, match="Counter: cache_function"):
        Counter(cache_function=lambda *_: False)
