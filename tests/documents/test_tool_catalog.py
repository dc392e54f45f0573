"""The tool catalog (K4): every tool on offer with its needs, project tools found statically,
and every catalog name buildable (project tools only from a trusted folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_app.documents import AgentSpec, CrewDocument, CrewFileError, TaskSpec, build_crew
from desktop_app.documents._project_tools import (
    ProjectToolError,
    catalog_tool_factory,
    load_project_tool,
    new_tool_file,
)
from desktop_app.documents.tool_catalog import catalog, load_catalog, mcp_entry
from desktop_app.engine import BaseTool
from desktop_app.engine.builtin_tools import CREWAI_TOOL_NAMES, known_tool_names, tool_by_name
from desktop_app.engine.toolkit._keys import TOOL_KEY_NAMES


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def test_every_builtin_and_toolkit_tool_is_listed_once_with_its_source() -> None:
    entries = catalog()
    names = [entry.name for entry in entries]
    assert len(names) == len(set(names))
    builtin = {entry.name for entry in entries if entry.source == "builtin"}
    toolkit = {entry.name for entry in entries if entry.source == "crewai_tools"}
    everything = set(known_tool_names(allow_network=True))
    assert builtin == everything - set(CREWAI_TOOL_NAMES)
    assert toolkit == set(CREWAI_TOOL_NAMES)
    assert all(entry.title and entry.description for entry in entries)


def test_the_needs_of_each_tool_are_right() -> None:
    by_name = {entry.name: entry for entry in catalog()}
    keys = {name: entry.needs_key for name, entry in by_name.items() if entry.needs_key}
    assert keys == {
        "SerperDevTool": "SERPER_API_KEY", "TavilySearchTool": "TAVILY_API_KEY",
        "EXASearchTool": "EXA_API_KEY", "ExaSearchTool": "EXA_API_KEY",
        "BraveSearchTool": "BRAVE_API_KEY",
    }
    assert set(keys.values()) == set(TOOL_KEY_NAMES)
    network = {name for name, entry in by_name.items() if entry.needs_network}
    assert network == {"fetch_url", "ScrapeWebsiteTool", "WebsiteSearchTool", *keys}
    files = {name for name, entry in by_name.items() if entry.needs_files}
    assert {"read_file", "list_directory", "FileReadTool", "FileWriterTool",
            "DirectoryReadTool", "CSVSearchTool", "PDFSearchTool"} <= files
    assert not files & network
    assert {name for name, entry in by_name.items() if entry.runs_code} == {
        "code_interpreter", "CodeInterpreterTool"}


def test_the_tools_off_by_default_say_so_and_are_the_ones_the_registry_refuses() -> None:
    for entry in catalog():
        try:
            tool_by_name(entry.name, allow_network=False)
            refused = False
        except KeyError as exc:
            assert "reaches the network" in str(exc)
            refused = True
        assert refused == entry.off_by_default, entry.name
        assert refused == ("CREWDESK_ENABLE_FETCH_URL=1" in entry.note), entry.name
    off = {entry.name for entry in catalog() if entry.off_by_default}
    assert off == {"fetch_url", "ScrapeWebsiteTool", "WebsiteSearchTool"}


def test_every_builtin_and_toolkit_name_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWDESK_ENABLE_FETCH_URL", "1")
    make = catalog_tool_factory(None, trusted=False)
    for entry in catalog():
        assert isinstance(make(entry.name), BaseTool), entry.name


def test_search_matches_every_word_in_name_title_or_description() -> None:
    serper = next(entry for entry in catalog() if entry.name == "SerperDevTool")
    assert serper.matches("serper") and serper.matches("INTERNET search")
    assert serper.matches("")
    assert not serper.matches("serper pdf")


def test_mcp_tools_are_passed_in_and_named_by_server_and_tool() -> None:
    entry = mcp_entry("files", "list", "Lists files.", key_name="mcp:files", network=True)
    assert entry.name == "mcp:files/list" and entry.source == "mcp"
    assert entry.needs_key == "mcp:files" and entry.needs_network
    listed = catalog(mcp_tools=[entry])
    assert [e.name for e in listed if e.source == "mcp"] == ["mcp:files/list"]


PROJECT_TOOLS = '''
import os
import httpx
import os
from pathlib import Path
from crewai.tools import tool

Path(os.environ["MARKER"]).write_text("ran")  # listing must never run this


@tool("Weather now")
def weather(city: str) -> str:
    """Tells the weather of a city."""
    key = os.environ["WEATHER_API_KEY"]
    return httpx.get("https://example.invalid", params={"q": city, "k": key}).text


@tool
async def notes(topic: str) -> str:
    """Reads the notes about a topic."""
    return open(topic).read()


def helper() -> str:
    return "not a tool"
'''


def test_project_tools_are_found_statically_with_their_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    folder = write(tmp_path / "crew", {
        "tools/web.py": PROJECT_TOOLS,
        "tools/__init__.py": "",
        "src/research/tools/custom_tool.py":
            'from crewai.tools import tool\n\n@tool\ndef lookup(q: str) -> str:\n'
            '    """Looks a word up."""\n    return q\n',
    })
    found = load_catalog(project_dir=folder)
    project = {entry.name: entry for entry in found.entries if entry.source == "project"}
    assert set(project) == {"project:tools.web.weather", "project:tools.web.notes",
                            "project:src.research.tools.custom_tool.lookup"}
    weather = project["project:tools.web.weather"]
    assert (weather.title, weather.description) == ("Weather now", "Tells the weather of a city.")
    assert weather.needs_key == "WEATHER_API_KEY" and weather.needs_network
    assert project["project:tools.web.notes"].needs_files
    assert not project["project:src.research.tools.custom_tool.lookup"].needs_network
    assert found.warnings == ()
    assert not marker.exists()


def test_a_file_that_does_not_parse_gives_a_warning_and_no_entry(tmp_path: Path) -> None:
    folder = write(tmp_path / "crew", {
        "tools/broken.py": "from crewai.tools import tool\n\n@tool\ndef oops(:\n",
        "tools/good.py": 'from crewai.tools import tool\n\n@tool\ndef fine(x: str) -> str:\n'
                         '    """Fine."""\n    return x\n',
    })
    found = load_catalog(project_dir=folder)
    assert [e.name for e in found.entries if e.source == "project"] == ["project:tools.good.fine"]
    [warning] = found.warnings
    assert "broken.py:4" in warning and "not valid Python" in warning


def one_agent(tools: list[str]) -> CrewDocument:
    return CrewDocument(
        name="Tools", agents=[AgentSpec(key="a", role="R", goal="G", backstory="B",
                                        tools=tools)],
        tasks=[TaskSpec(key="t", description="Do it", expected_output="It", agent="a")])


def test_a_project_tool_builds_only_from_a_trusted_folder(tmp_path: Path) -> None:
    folder = tmp_path / "crew"
    _path, name = new_tool_file(folder, "word_count")
    assert name == "project:tools.word_count.word_count"
    with pytest.raises(CrewFileError) as refused:
        build_crew(one_agent([name]), base_dir=folder)
    assert name in str(refused.value) and "not trusted" in str(refused.value)
    crew = build_crew(one_agent([name]), base_dir=folder, trust_project_tools=True)
    [tool] = crew.agents[0].tools
    assert tool.name == "word_count" and tool.run(text="hi") == "word_count received: hi"


@pytest.mark.parametrize(("source", "expected"), [
    ("raise RuntimeError('boom')\n", "broken.py:1: RuntimeError: boom"),
    ("def broken(x: str) -> str:\n    return x\n", "is not a tool; decorate it with @tool"),
    ("x = 1\n", "has no function 'broken'"),
])
def test_a_project_tool_that_cannot_be_made_is_a_clear_error(
    tmp_path: Path, source: str, expected: str
) -> None:
    folder = write(tmp_path / "crew", {"tools/broken.py": source})
    with pytest.raises(CrewFileError) as error:
        build_crew(one_agent(["project:tools.broken.broken"]), base_dir=folder,
                   trust_project_tools=True)
    assert expected in str(error.value) and "project:tools.broken.broken" in str(error.value)


def test_project_tool_names_cannot_leave_the_tools_folders(tmp_path: Path) -> None:
    folder = write(tmp_path / "crew", {"evil.py": "", "tools/ok.py": ""})
    for name in ("project:evil.run", "project:tools..ok.run", "project:..tools.ok.run"):
        with pytest.raises(ProjectToolError):
            load_project_tool(name, folder, trusted=True)
    with pytest.raises(ProjectToolError, match="has none yet"):
        load_project_tool("project:tools.ok.run", None, trusted=True)


def test_new_tool_file_never_overwrites_and_wants_a_python_name(tmp_path: Path) -> None:
    path, _name = new_tool_file(tmp_path, "summarize")
    path.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"summarize\.py already exists"):
        new_tool_file(tmp_path, "summarize")
    assert path.read_text(encoding="utf-8") == "# mine\n"
    for bad in ("2fast", "with space", "class", "../up", "_hidden"):
        with pytest.raises(ValueError, match="cannot be a tool's name"):
            new_tool_file(tmp_path, bad)


def test_an_mcp_name_without_mcp_tools_is_a_clear_build_error() -> None:
    with pytest.raises(CrewFileError, match="MCP tool 'mcp:files/list'"):
        build_crew(one_agent(["mcp:files/list"]))


def test_special_tool_files_are_refused_without_hanging(tmp_path: Path) -> None:
    folder = write(tmp_path / "crew", {"tools/good.py": "x = 1\n"})
    os.mkfifo(folder / "tools" / "pipe.py")
    (folder / "tools" / "zero.py").symlink_to("/dev/zero")
    found = load_catalog(project_dir=folder)
    warnings = "\n".join(found.warnings)
    assert "pipe.py" in warnings and "zero.py" in warnings
    assert len(found.warnings) == 2
    with pytest.raises(ProjectToolError, match="zero.py"):
        load_project_tool("project:tools.zero.run", folder, trusted=True)
