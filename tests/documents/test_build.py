"""Building engine crews from documents, and running them against the local simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from desktop_app.documents import (
    AgentSpec,
    CrewDocument,
    CrewFileError,
    TaskSpec,
    build_crew,
    load_crew,
    override_llm,
)
from desktop_app.engine import LLM, BaseTool, Crew, Process, StreamChunkType
from desktop_app.engine.tools import EmptyArgs
from desktop_app.simulator import Simulator, SimulatorConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fast simulator on the test's event loop."""
    async with Simulator(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


def on_simulator(doc: CrewDocument, sim: Simulator) -> Crew:
    return build_crew(override_llm(doc, model="openai/sim", base_url=sim.base_url),
                      resolve_api_key=lambda spec: "sk-simulator")


class Clock(BaseTool):
    name: str = "clock"
    description: str = "Tells the time."
    args_schema: type[EmptyArgs] = EmptyArgs

    def _run(self, **kwargs: object) -> str:
        return "noon"


def test_agents_tasks_and_context_become_engine_objects() -> None:
    doc = load_crew(EXAMPLES / "research_writer.crew.yaml")
    crew = build_crew(doc)
    assert isinstance(crew, Crew)
    assert (crew.name, crew.process, crew.stream, crew.verbose) == (
        "Research and write", Process.sequential, True, False)
    assert [agent.role for agent in crew.agents] == ["Senior research analyst", "Technical writer"]
    research, write = crew.tasks
    assert (research.name, write.name) == ("Research", "Write the article")
    assert research.agent is crew.agents[0] and write.agent is crew.agents[1]
    assert research.context is None
    assert write.context == [research] and write.context[0] is research
    assert crew.agents[0].llm is None  # no model in the file: the engine's default


def test_models_keys_and_options_reach_the_llm() -> None:
    doc = CrewDocument(
        name="x",
        settings={"verbose": True, "stream": False},  # type: ignore[arg-type]
        agents=[AgentSpec(key="a", role="r", goal="g", backstory="b", llm="openai/gpt-4o-mini",
                          base_url="http://127.0.0.1:1/v1", credential="work",
                          llm_options={"temperature": 0.3, "provider": "x"}, max_iter=3)],
        tasks=[TaskSpec(key="t", description="d", expected_output="e", agent="a")],
    )
    asked: list[str | None] = []

    def keys(spec: AgentSpec) -> str | None:
        asked.append(spec.credential)
        return "sk-from-store"

    crew = build_crew(doc, resolve_api_key=keys, stream=True)
    agent = crew.agents[0]
    assert isinstance(agent.llm, LLM)
    assert (agent.llm.model, agent.llm.base_url, agent.llm.api_key, agent.llm.temperature) == (
        "openai/gpt-4o-mini", "http://127.0.0.1:1/v1", "sk-from-store", 0.3)
    assert agent.llm.extra == {}
    assert (agent.max_iter, agent.verbose, crew.stream) == (3, True, True)
    assert asked == ["work"]
    assert crew.tasks[0].name == "t"  # no display name: the key


def test_a_custom_llm_factory_and_tools() -> None:
    doc = CrewDocument(
        name="x",
        agents=[AgentSpec(key="a", role="r", goal="g", backstory="b", tools=["clock"])],
        tasks=[TaskSpec(key="t", description="d", expected_output="e", agent="a")],
    )
    with pytest.raises(CrewFileError, match=r"agents\[0\].tools: CrewDesk has no tool named 'clock'"):
        build_crew(doc)

    def tools(name: str) -> BaseTool:
        if name != "clock":
            raise LookupError(name)
        return Clock()

    crew = build_crew(doc, tool_factory=tools, llm_factory=lambda spec, key: LLM(model="m/x"))
    assert [tool.name for tool in crew.agents[0].tools] == ["clock"]
    assert crew.agents[0].llm is not None and crew.agents[0].llm.model == "m/x"
    doc.agents[0].tools = ["calendar"]
    with pytest.raises(CrewFileError, match="no tool named 'calendar'"):
        build_crew(doc, tool_factory=tools)


def test_documents_the_engine_cannot_run_are_refused() -> None:
    doc = load_crew(EXAMPLES / "research_writer.crew.yaml")
    with pytest.raises(CrewFileError, match="settings.manager_llm: a hierarchical crew needs a "
                       "manager: set manager_llm"):
        build_crew(doc.model_copy(update={"process": "hierarchical"}))
    doc.tasks[1].agent = "editor"
    with pytest.raises(CrewFileError, match=r"tasks\[1\].agent: unknown agent 'editor'"):
        build_crew(doc)


def test_override_llm_points_every_agent_at_one_model() -> None:
    doc = load_crew(EXAMPLES / "research_writer.crew.yaml")
    moved = override_llm(doc, model="openai/sim", base_url="http://127.0.0.1:5/v1")
    assert {(a.llm, a.base_url) for a in moved.agents} == {("openai/sim", "http://127.0.0.1:5/v1")}
    assert {(a.llm, a.base_url) for a in doc.agents} == {(None, None)}


@pytest.mark.asyncio
async def test_the_seed_crew_runs_and_computes_the_average_age(sim: Simulator) -> None:
    doc = load_crew(EXAMPLES / "python_data_analyst.crew.yaml")
    doc.settings.approval = "always"  # a crew file asks before code runs; nobody asks here
    crew = on_simulator(doc, sim)
    streaming = await crew.akickoff(inputs=doc.default_inputs())
    chunks = [chunk async for chunk in streaming]
    assert any(c.chunk_type is StreamChunkType.TOOL_CALL for c in chunks)
    assert "35.0" in streaming.result.raw


@pytest.mark.asyncio
async def test_the_research_writer_crew_passes_context(sim: Simulator) -> None:
    doc = load_crew(EXAMPLES / "research_writer.crew.yaml")
    streaming = await on_simulator(doc, sim).kickoff_async(inputs={"topic": "tides"})
    tasks = {chunk.task_index async for chunk in streaming}
    result = streaming.result
    assert tasks == {0, 1}
    assert [t.name for t in result.tasks_output] == ["Research", "Write the article"]
    second_prompt = sim.stats.requests[1].body["messages"][1]["content"]
    assert result.tasks_output[0].raw in second_prompt
    assert "tides" in second_prompt


def hierarchical_doc(**settings: object) -> CrewDocument:
    delegate = '{"coworker": "Writer", "task": "Draft the {topic} note"}'
    return CrewDocument(
        name="Managed",
        process="hierarchical",
        settings={"stream": False, **settings},  # type: ignore[arg-type]
        agents=[
            AgentSpec(key="writer", role="Writer", goal="Write", backstory="Clear."),
            AgentSpec(key="chief", role="Chief of {topic}", goal="Lead", backstory="Calm.",
                      llm="openai/gpt-4o", credential="chief-key"),
        ],
        tasks=[TaskSpec(key="note", description=f"Plan it\nsim-call: Delegate_work_to_coworker "
                        f"{delegate}", expected_output="a note", human_input=True)],
    )


def test_a_manager_agent_is_built_as_the_manager_and_not_as_a_coworker() -> None:
    crew = build_crew(hierarchical_doc(manager_agent="chief"),
                      resolve_api_key=lambda spec: f"key-of-{spec.key}")
    assert crew.process is Process.hierarchical
    assert [agent.role for agent in crew.agents] == ["Writer"]
    assert crew.manager_agent is not None and crew.manager_agent.role == "Chief of {topic}"
    assert crew.manager_agent.llm is not None and crew.manager_agent.llm.api_key == "key-of-chief"
    assert crew.manager_llm is None
    assert crew.tasks[0].human_input and crew.tasks[0].agent is None


def test_a_manager_llm_gets_its_key_like_an_agent_and_follows_override_llm() -> None:
    doc = hierarchical_doc(manager_llm="anthropic/claude-x")
    asked: list[str | None] = []

    def keys(spec: AgentSpec) -> str:
        asked.append(spec.llm)
        return "sk-manager" if spec.llm == "anthropic/claude-x" else "sk-agent"

    crew = build_crew(doc, resolve_api_key=keys)
    assert crew.manager_llm is not None and crew.manager_agent is None
    assert (crew.manager_llm.model, crew.manager_llm.api_key) == ("anthropic/claude-x", "sk-manager")
    assert [agent.role for agent in crew.agents] == ["Writer", "Chief of {topic}"]
    assert "anthropic/claude-x" in asked
    moved = override_llm(doc, model="openai/sim", base_url="http://127.0.0.1:5/v1")
    manager = build_crew(moved).manager_llm
    assert manager is not None
    assert (manager.model, manager.base_url) == ("openai/sim", "http://127.0.0.1:5/v1")
    assert doc.agent("_crewdesk_manager_llm") is None  # the document itself is unchanged


@pytest.mark.asyncio
async def test_a_hierarchical_document_runs_on_the_simulator(sim: Simulator) -> None:
    crew = on_simulator(hierarchical_doc(manager_llm="openai/gpt-4o"), sim)
    crew.human_input_handler = lambda request: ""
    result = await crew.akickoff(inputs={"topic": "tides"})
    assert result.raw.startswith("Result: Answer to: Current Task: Draft the tides note.")
    assert [r.body["messages"][0]["content"].split(".")[0] for r in sim.stats.requests] == [
        "You are Crew Manager", "You are Writer", "You are Crew Manager",
    ]
