"""Built-in tools, the registry by name, and `crewdesk run` on a crew that lists a tool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from desktop_app import cli
from desktop_app.engine import (
    LLM,
    Agent,
    CodeInterpreterTool,
    Crew,
    DirectoryReadTool,
    FetchUrlTool,
    FileReadTool,
    Task,
    known_tool_names,
    tool_by_name,
)


def test_tools_are_found_by_name_and_by_crewai_class_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREWDESK_ENABLE_FETCH_URL", raising=False)
    assert known_tool_names()[:3] == ["BraveSearchTool", "CSVSearchTool", "CodeInterpreterTool"]
    assert {"code_interpreter", "list_directory", "read_file", "SerperDevTool"} <= set(
        known_tool_names()
    )
    assert "ScrapeWebsiteTool" not in known_tool_names()  # reaches any address: off
    assert isinstance(tool_by_name("read_file"), FileReadTool)
    assert isinstance(tool_by_name("FileReadTool"), FileReadTool)
    assert isinstance(tool_by_name("DirectoryReadTool"), DirectoryReadTool)
    assert isinstance(tool_by_name("CodeInterpreterTool"), CodeInterpreterTool)
    assert tool_by_name("read_file") is not tool_by_name("read_file")  # fresh each time
    with pytest.raises(KeyError, match="no tool named 'clock'; known tools: BraveSearchTool, "):
        tool_by_name("clock")


def test_fetch_url_is_off_until_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREWDESK_ENABLE_FETCH_URL", raising=False)
    for name in ("fetch_url", "ScrapeWebsiteTool"):
        with pytest.raises(KeyError, match="reaches the network and is off by default"):
            tool_by_name(name)
    assert isinstance(tool_by_name("fetch_url", allow_network=True), FetchUrlTool)
    monkeypatch.setenv("CREWDESK_ENABLE_FETCH_URL", "1")
    assert "fetch_url" in known_tool_names()
    assert isinstance(tool_by_name("ScrapeWebsiteTool"), FetchUrlTool)


@pytest.mark.asyncio
async def test_read_file_reads_lines_and_caps_the_size(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("one\ntwo\nthree\nfour\n", encoding="utf-8")
    reader = FileReadTool(max_chars=5)
    assert await FileReadTool().arun(file_path=str(notes), start_line=2, line_count=2) == "two\nthree\n"
    assert await reader.arun(file_path=str(notes)) == "one\nt\n[cut: the file is longer]"
    with pytest.raises(FileNotFoundError, match="no file at"):
        await reader.arun(file_path=str(tmp_path / "missing.txt"))


@pytest.mark.asyncio
async def test_list_directory_lists_files_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "a.txt").write_text("a")
    listing = await DirectoryReadTool().arun(directory=str(tmp_path))
    assert listing == f"File paths under {tmp_path}:\n- a.txt\n- sub/\n- sub/b.txt"
    assert (await DirectoryReadTool(max_entries=1).arun(directory=str(tmp_path))).endswith(
        "[cut: more than 1 entries]"
    )


@pytest.mark.asyncio
async def test_a_base_dir_keeps_the_file_tools_inside_it(tmp_path: Path) -> None:
    inside = tmp_path / "work"
    inside.mkdir()
    (inside / "a.txt").write_text("kept", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    reader = FileReadTool(base_dir=str(inside))
    assert await reader.arun(file_path="a.txt") == "kept"
    for escape in ("../secret.txt", str(tmp_path / "secret.txt")):
        with pytest.raises(PermissionError, match="outside the folder this tool may read"):
            await reader.arun(file_path=escape)
    lister = DirectoryReadTool(base_dir=str(inside))
    assert (await lister.arun(directory=".")).endswith("- a.txt")
    with pytest.raises(PermissionError):
        await lister.arun(directory="..")


_PAGE = b"<html><head><style>p{}</style><script>var x;</script></head><body><h1>Tides</h1>\n<p>Twice   a day.</p></body></html>"


@pytest_asyncio.fixture
async def web_page() -> AsyncIterator[str]:
    """A one-page HTTP server on loopback."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                     + str(len(_PAGE)).encode() + b"\r\nConnection: close\r\n\r\n" + _PAGE)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/page"


@pytest.mark.asyncio
async def test_fetch_url_returns_the_page_text_within_its_caps(web_page: str) -> None:
    assert await FetchUrlTool().arun(website_url=web_page) == "Tides\nTwice a day."
    assert await FetchUrlTool(max_chars=3).arun(website_url=web_page) == "Tid\n[cut]"
    with pytest.raises(ValueError, match="only http"):
        await FetchUrlTool().arun(website_url="file:///etc/passwd")


@pytest.mark.asyncio
async def test_an_agent_reads_a_file_through_the_simulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, llm_on: Callable[..., LLM]
) -> None:
    monkeypatch.chdir(tmp_path)
    # The simulator calls a tool with the first word of the prompt: "Current" (Task: ...).
    (tmp_path / "Current").write_text("the tide is high", encoding="utf-8")
    agent = Agent(role="Reader", goal="Read", backstory="Careful.", llm=llm_on(),
                  tools=[tool_by_name("read_file")])
    task = Task(description="Read the notes", expected_output="the notes", agent=agent)
    result = await Crew(agents=[agent], tasks=[task]).akickoff()
    assert result.raw.startswith("Result: the tide is high.")


def test_crewdesk_run_builds_the_tools_a_crew_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Current").write_text("forty two", encoding="utf-8")
    crew_file = tmp_path / "reader.crew.yaml"
    crew_file.write_text(
        "schema_version: 1\nname: Reader\nprocess: sequential\nagents:\n"
        "  - key: reader\n    role: Reader\n    goal: Read\n    backstory: Careful.\n"
        "    tools: [read_file]\n"
        "tasks:\n  - key: read\n    description: Read the notes\n"
        "    expected_output: the notes\n    agent: reader\n",
        encoding="utf-8",
    )
    code = cli.main(["run", str(crew_file), "--simulator"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "-> tool read_file(" in out
    assert "Result: forty two." in out
