"""MCP tools through the real SDK: a real server over stdio (in the sandbox) and HTTP, tools
called by crews on the simulator, the servers' lifetime, and what the sandbox hides."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.engine import Agent, BaseTool, Crew, Task, sandbox
from desktop_app.engine.approval import Approvals
from desktop_app.engine.mcp import (
    McpConnection,
    McpError,
    McpServerSpec,
    McpTool,
    list_server_tools,
    tool_from_reference,
)
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm
from tests.engine.mcp_helpers import (
    http_server,
    own_server_processes,
    processes_marked,
    stdio_spec,
)


def _call(tool: str, **arguments: object) -> str:
    return f"sim-call: {tool} {json.dumps(arguments)}"


def _crew(sim: SimulatorThread, tools: list[BaseTool], *calls: str) -> Crew:
    agent = Agent(role="Adder", goal="Add", backstory="Counts.", llm=make_llm(sim.base_url),
                  tools=tools)
    task = Task(description="Work it out\n" + "\n".join(calls), expected_output="a number",
                agent=agent)
    return Crew(agents=[agent], tasks=[task])


@pytest.mark.asyncio
async def test_a_stdio_server_lists_its_tools_with_their_schemas() -> None:
    tools = await list_server_tools(stdio_spec())
    assert [tool.name for tool in tools] == ["add", "read_text", "where", "env_has", "fetch"]
    add = tools[0]
    assert add.description == "Adds two integers."
    assert add.input_schema["required"] == ["a", "b"]
    assert add.reference == "mcp:fixture/add"


@pytest.mark.asyncio
async def test_an_http_server_lists_and_calls_with_its_headers() -> None:
    with http_server() as url:
        spec = McpServerSpec(name="web", transport="http", url=url,
                             headers={"Authorization": "Bearer test-key-123456"})
        assert [tool.name for tool in await list_server_tools(spec)][:1] == ["add"]
        connection = McpConnection(spec)
        try:
            assert await connection.call_tool("add", {"a": 40, "b": 2}) == ("sum=42", False)
        finally:
            await connection.aclose()


def test_a_crew_calls_a_stdio_tool_named_in_a_document(sim_thread: SimulatorThread) -> None:
    tool = tool_from_reference("mcp:fixture/add", {"fixture": stdio_spec()})
    assert tool.input_schema is None  # described when the run starts
    crew = _crew(sim_thread, [tool], _call("fixture_add", a=2, b=3))
    output = crew.kickoff()
    assert "sum=5" in output.raw
    assert tool.description == "Adds two integers."


@pytest.mark.asyncio
async def test_the_server_runs_for_the_run_and_is_killed_after_it(
    sim_thread: SimulatorThread,
) -> None:
    spec = stdio_spec()
    crew = _crew(sim_thread, [McpTool(spec=spec, remote_name="where")], _call("fixture_where"))
    output = await crew.kickoff_async()
    folder = output.raw.split("Result: ", 1)[1].split()[0].rstrip(".")
    assert folder.startswith("/") and "crewdesk-mcp-" in folder
    assert processes_marked(folder) == []
    assert not await asyncio.to_thread(Path(folder).exists)


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["bwrap", "landlock"])
async def test_the_sandboxed_server_cannot_read_files_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    if sandbox.detect(backend).backend is None:
        pytest.skip(f"{backend} does not work here: {sandbox.detect(backend).reason}")
    monkeypatch.setenv(sandbox.CHOICE_VARIABLE, backend)
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("PRIVATE-KEY-MATERIAL", encoding="utf-8")
    connection = McpConnection(stdio_spec())
    try:
        text, _ = await connection.call_tool("read_text", {"path": str(secret)})
        passwd, _ = await connection.call_tool("read_text", {"path": "/etc/shadow"})
    finally:
        await connection.aclose()
    assert "PRIVATE-KEY-MATERIAL" not in text and text.startswith("unreadable=")
    assert passwd.startswith("unreadable=")


@pytest.mark.asyncio
async def test_a_named_read_path_is_readable(tmp_path: Path) -> None:
    allowed = tmp_path / "notes.txt"
    allowed.write_text("shared notes", encoding="utf-8")
    connection = McpConnection(stdio_spec(read_paths=(str(allowed),)))
    try:
        assert await connection.call_tool("read_text", {"path": str(allowed)}) == (
            "content=shared notes", False)
    finally:
        await connection.aclose()


def test_a_call_asks_for_approval_as_mcp(tmp_path: Path) -> None:
    tool = McpTool(spec=stdio_spec(), remote_name="add", input_schema={
        "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"]})
    arguments = tool.parse_arguments('{"a": 1, "b": 2}')
    request = tool.approval_request(arguments, tmp_path)
    assert (request.kind, request.target, request.tool_name) == ("mcp", "fixture", "fixture_add")
    assert request.detail.startswith("add\n") and json.loads(request.detail[4:]) == arguments
    with pytest.raises(ValueError, match="schema"):
        tool.parse_arguments('{"a": "one"}')


@pytest.mark.asyncio
async def test_a_missing_program_or_server_is_a_clear_error() -> None:
    with pytest.raises(McpError, match="no-such-mcp-program"):
        await list_server_tools(McpServerSpec(name="gone", command=("no-such-mcp-program",)))
    with pytest.raises(ValueError, match="'other'.*configured: fixture"):
        tool_from_reference("mcp:other/add", {"fixture": stdio_spec()})


@pytest.mark.asyncio
async def test_concurrent_calls_from_two_loops_share_one_session() -> None:
    connection = McpConnection(stdio_spec())
    try:
        first = asyncio.to_thread(connection.call_tool_blocking, "add", {"a": 1, "b": 1})
        second = connection.call_tool("add", {"a": 2, "b": 2})
        assert list(await asyncio.gather(first, second)) == [("sum=2", False), ("sum=4", False)]
    finally:
        await connection.aclose()


def test_the_engine_imports_without_the_mcp_sdk() -> None:
    code = ("import sys, desktop_app.engine, desktop_app.engine.mcp\n"
            "print(sorted(m for m in ('mcp', 'mcp_types', 'anyio', 'httpx2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.asyncio
async def test_the_network_is_closed_unless_the_entry_allows_it(
    sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sandbox.detect("bwrap").backend is None:
        pytest.skip("bubblewrap does not work here")
    monkeypatch.setenv(sandbox.CHOICE_VARIABLE, "bwrap")
    answers = []
    for network in (False, True):
        connection = McpConnection(stdio_spec(network=network))
        try:
            answers.append((await connection.call_tool("fetch", {"url": sim_thread.base_url}))[0])
        finally:
            await connection.aclose()
    assert answers[0].startswith("unreachable=") and answers[1] == "reached"


@pytest.mark.asyncio
async def test_landlock_refuses_a_server_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    if sandbox.detect("landlock").backend is None:
        pytest.skip("Landlock does not work here")
    monkeypatch.setenv(sandbox.CHOICE_VARIABLE, "landlock")
    with pytest.raises(McpError, match="only inside bubblewrap"):
        await list_server_tools(stdio_spec(network=True))


@pytest.mark.asyncio
async def test_a_cancelled_run_stops_its_server(sim_thread: SimulatorThread) -> None:
    agent = Agent(role="Adder", goal="Add", backstory="Counts.",
                  llm=make_llm(sim_thread.base_url, "hang=1"),
                  tools=[McpTool(spec=stdio_spec(), remote_name="add")])
    crew = Crew(agents=[agent], tasks=[Task(description="Add", expected_output="a sum",
                                            agent=agent)])
    run = asyncio.ensure_future(crew.akickoff())
    for _ in range(400):  # the server starts before the first model call
        if await asyncio.to_thread(own_server_processes):
            break
        await asyncio.sleep(0.05)
    assert await asyncio.to_thread(own_server_processes) != []
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    for _ in range(300):  # the run's end closes the session: stdin, then SIGTERM, then SIGKILL
        # (30 s: seen taking over 10 s with both cores busy under pytest-xdist)
        if not await asyncio.to_thread(own_server_processes):
            break
        await asyncio.sleep(0.1)
    assert await asyncio.to_thread(own_server_processes) == []


def test_a_refused_call_never_reaches_the_server(sim_thread: SimulatorThread) -> None:
    crew = _crew(sim_thread, [McpTool(spec=stdio_spec(), remote_name="add")],
                 _call("fixture_add", a=1, b=1))
    crew.set_approvals(Approvals(policy="never"))
    output = crew.kickoff()
    assert "sum=2" not in output.raw and "refused" in output.raw and "fixture" in output.raw


def test_keys_a_spec_carries_are_masked() -> None:
    from desktop_app.engine import mask_secrets

    McpServerSpec(name="web", transport="http", url="https://example.com/mcp",
                  headers={"Authorization": "Bearer mcp-header-token-0a1b2c3d"})
    stdio_spec(env={"SERVICE_API_KEY": "mcp-env-key-9z8y7x6w", "LOG_DIR": "/var/log/tools"})
    text = mask_secrets("mcp-header-token-0a1b2c3d mcp-env-key-9z8y7x6w /var/log/tools")
    assert "0a1b2c3d" not in text and "9z8y7x6w" not in text and "/var/log/tools" in text
