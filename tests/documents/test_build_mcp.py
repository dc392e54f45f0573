"""A crew document's `mcp:<server>/<tool>` tools: built from the configured servers, run on
the simulator against the real fixture server (sandboxed), refused with a clear error when
the server is not configured."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from desktop_app.documents import AgentSpec, CrewDocument, CrewFileError, TaskSpec, build_crew
from desktop_app.engine.mcp import McpTool
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from tests.engine.mcp_helpers import stdio_spec


@pytest.fixture
def sim_thread() -> Iterator[SimulatorThread]:
    with SimulatorThread(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)) as server:
        yield server


def _document(base_url: str, tool: str) -> CrewDocument:
    call = json.dumps({"a": 19, "b": 23})
    return CrewDocument(
        name="mcp",
        settings={"approval": "always"},  # type: ignore[arg-type]
        agents=[AgentSpec(key="a", role="Adder", goal="g", backstory="b", llm="openai/sim",
                          base_url=base_url, tools=[tool])],
        tasks=[TaskSpec(key="t", description=f"Add\nsim-call: fixture_add {call}",
                        expected_output="a sum", agent="a")],
    )


def test_an_mcp_tool_named_in_a_document_runs_through_its_server(
    sim_thread: SimulatorThread,
) -> None:
    document = _document(sim_thread.base_url, "mcp:fixture/add")
    crew = build_crew(document, resolve_api_key=lambda spec: "sk-test", stream=False,
                      mcp_servers={"fixture": stdio_spec()})
    tool = crew.agents[0].tools[0]
    assert isinstance(tool, McpTool) and tool.name == "fixture_add"
    assert "sum=42" in crew.kickoff().raw


def test_an_unconfigured_server_is_named_in_the_error(sim_thread: SimulatorThread) -> None:
    document = _document(sim_thread.base_url, "mcp:github/search")
    with pytest.raises(CrewFileError, match=r"agents\[0\]\.tools.*'github'.*configured: fixture"):
        build_crew(document, mcp_servers={"fixture": stdio_spec()})
    with pytest.raises(CrewFileError, match="MCP"):
        build_crew(document)
