"""CrewAI's MCP surface on a real MCP server: `Agent(mcps=[...])`, `crewai.mcp`'s configs,
`crewai_tools.MCPServerAdapter` and `@CrewBase`'s `mcp_server_params`, run on the simulator."""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import pytest

from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm
from tests.engine.mcp_helpers import FIXTURE, http_server, own_server_processes, processes_marked


def _run(sim: SimulatorThread, agent_options: dict[str, Any], call: str) -> Any:
    from crewai import Agent, Crew, Task

    agent = Agent(role="Adder", goal="Add", backstory="Counts.", llm=make_llm(sim.base_url),
                  **agent_options)
    task = Task(description=f"Add them\n{call}", expected_output="a sum", agent=agent)
    return agent, Crew(agents=[agent], tasks=[task])


def _call(tool: str, **arguments: object) -> str:
    return f"sim-call: {tool} {json.dumps(arguments)}"


def test_agent_mcps_stdio_config_gives_the_servers_tools_to_a_run(
    hook: None, sim_thread: SimulatorThread
) -> None:
    from crewai.mcp import MCPServerStdio, create_static_tool_filter

    server = MCPServerStdio(command=sys.executable, args=[FIXTURE],
                            tool_filter=create_static_tool_filter(
                                allowed_tool_names=["add", "read_text", "where"],
                                blocked_tool_names=["where"]))
    agent, crew = _run(sim_thread, {"mcps": [server]}, "")
    names = [tool.name for tool in agent.all_tools()]
    assert len(names) == 2 and names[0].endswith("_add") and names[1].endswith("_read_text")
    crew.tasks[0].description += "\n" + _call(names[0], a=20, b=22)
    assert "sum=42" in crew.kickoff().raw


def test_agent_mcps_url_with_a_tool_name_keeps_that_tool(
    hook: None, sim_thread: SimulatorThread
) -> None:
    with http_server() as url:
        agent, crew = _run(sim_thread, {"mcps": [f"{url}#add"]},
                           _call("127_0_0_1_" + url.rsplit(":", 1)[1].replace("/", "_") + "_add",
                                 a=1, b=2))
        names = [tool.name for tool in agent.all_tools()]
        assert len(names) == 1 and names[0].startswith("mcp_127_0_0_1") and names[0].endswith("_add")
        crew.tasks[0].description = "Add them\n" + _call(names[0], a=1, b=2)
        assert "sum=3" in crew.kickoff().raw


def test_amp_references_warn_naming_themselves(hook: None) -> None:
    from crewai import Agent

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        agent = Agent(role="r", goal="g", backstory="b", mcps=["crewai-amp:notion"])
    texts = [str(w.message) for w in caught if issubclass(w.category, IgnoredSettingWarning)]
    assert any("crewai-amp:notion" in text for text in texts), texts
    assert agent.all_tools() == []


def test_mcp_server_adapter_gives_tools_and_stops_the_server(
    hook: None, sim_thread: SimulatorThread
) -> None:
    from crewai_tools import MCPServerAdapter
    from mcp import StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=[FIXTURE])
    adapter = MCPServerAdapter(params, "add", "where", connect_timeout=60)
    with adapter as tools:
        assert [tool.name for tool in tools] == ["add", "where"]
        assert tools["add"].run(a=2, b=5) == "sum=7"
        folder = tools["where"].run()
        _, crew = _run(sim_thread, {"tools": list(tools)}, _call("add", a=3, b=4))
        assert "sum=7" in crew.kickoff().raw
        assert processes_marked(folder) != []  # the adapter's server outlives the run
    assert processes_marked(folder) == []
    with pytest.raises(ValueError, match="nope"), MCPServerAdapter(params, "nope"):
        pass
    assert own_server_processes() == []  # a failed `with` stops the server it started


def test_crewbase_mcp_server_params_give_named_tools(hook: None) -> None:
    from crewai.project import CrewBase

    with http_server() as url:

        @CrewBase
        class Counting:
            agents_config: dict[str, Any] = {}  # noqa: RUF012 - CrewAI's class attributes
            tasks_config: dict[str, Any] = {}  # noqa: RUF012
            mcp_server_params = {"url": url, "transport": "streamable-http"}

        tools = Counting().get_mcp_tools("add")
        assert [tool.name for tool in tools] == ["add"]
        assert tools[0].run(a=5, b=6) == "sum=11"
