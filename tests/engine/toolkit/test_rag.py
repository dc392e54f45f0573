"""The toolkit's RAG tools on the engine's knowledge store: fixed sources, sources the model
names, re-indexing, CrewAI's schemas, warnings for settings that are not used."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine.toolkit import (
    CSVSearchTool,
    DirectorySearchTool,
    JSONSearchTool,
    MDXSearchTool,
    PDFSearchTool,
    RagTool,
    TXTSearchTool,
)
from tests.engine.test_knowledge import tiny_pdf


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with one file of each format."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.csv").write_text("name,city\nAda,London\nLinus,Helsinki\n", "utf-8")
    (tmp_path / "ports.json").write_text(json.dumps({"ports": {"Rotterdam": "busiest"}}), "utf-8")
    (tmp_path / "guide.mdx").write_text("# Tides\nTwice a day.\n\n# Moon\nIt pulls water.\n",
                                        "utf-8")
    (tmp_path / "facts.txt").write_text("Saturn has rings.\n\nMars is red.\n", "utf-8")
    (tmp_path / "ports.pdf").write_bytes(tiny_pdf(["Valparaiso is a Chilean port."]))
    return tmp_path


def test_fixed_sources_are_searched_with_the_query_only(folder: Path) -> None:
    csv = CSVSearchTool(csv="people.csv")
    assert csv.name == "Search a CSV's content"
    assert csv.description == (
        "A tool that can be used to semantic search a query the people.csv CSV's content."
    )
    assert list(csv.args_schema.model_fields) == ["search_query"]
    assert "city: Helsinki" in csv.run(search_query="Helsinki")
    assert "Rotterdam: busiest" in JSONSearchTool(json_path="ports.json").run(
        search_query="Rotterdam"
    )
    moon = MDXSearchTool(mdx="guide.mdx").run(search_query="moon")
    assert moon == "Relevant Content:\n# Moon\nIt pulls water."
    assert "Saturn" in TXTSearchTool(txt="facts.txt").run(search_query="rings")
    pdf = PDFSearchTool(pdf="ports.pdf")
    assert list(pdf.args_schema.model_fields) == ["query"]  # CrewAI's PDF tool says "query"
    assert "Valparaiso" in pdf.run(query="Chilean port")


@pytest.mark.asyncio
async def test_the_model_names_the_source_and_the_index_follows_changes(folder: Path) -> None:
    tool = TXTSearchTool()
    assert list(tool.args_schema.model_fields) == ["search_query", "txt"]
    assert "Mars is red" in await tool.arun(search_query="Mars", txt="facts.txt")
    (folder / "facts.txt").write_text("Jupiter is large.\n", "utf-8")
    assert "Jupiter" in await tool.arun(search_query="Jupiter", txt="facts.txt")
    assert await tool.arun(search_query="Mars", txt="facts.txt") == (
        "Relevant Content:\nNo relevant content found."
    )
    with pytest.raises(PermissionError, match="outside the folder"):
        await tool.arun(search_query="x", txt="../elsewhere.txt")
    with pytest.raises(ValueError, match="has nothing to search yet"):
        await TXTSearchTool().arun(search_query="Mars")


@pytest.mark.asyncio
async def test_each_tool_searches_only_its_own_sources(folder: Path) -> None:
    people = CSVSearchTool(csv="people.csv")
    facts = TXTSearchTool(txt="facts.txt")
    await people.arun(search_query="Ada")
    assert "No relevant content found" in await facts.arun(search_query="Ada London")


def test_directory_search_reads_each_file_by_its_format_and_skips_binaries(folder: Path) -> None:
    (folder / "blob.bin").write_bytes(b"\xff\xfe\x00 Helsinki")
    tool = DirectorySearchTool(directory=".")
    assert tool.description.endswith("the . directory's content.")
    found = tool.run(search_query="Helsinki Valparaiso")
    assert "city: Helsinki" in found and "Valparaiso" in found
    with pytest.raises(NotADirectoryError):
        DirectorySearchTool(directory="people.csv")
    with pytest.raises(ValueError, match="download https://example.com/a.pdf and give its path"):
        PDFSearchTool(pdf="https://example.com/a.pdf")


def test_missing_files_and_unused_settings_are_named(folder: Path) -> None:
    with pytest.raises(FileNotFoundError, match="CSVSearchTool: there is no file or folder"):
        CSVSearchTool(csv="missing.csv")
    with pytest.warns(UserWarning, match=r"CSVSearchTool: summarize=True is not supported"):
        CSVSearchTool(summarize=True)
    with pytest.warns(UserWarning, match=r"config\['vectordb'\] is not supported"):
        CSVSearchTool(config={"vectordb": {"provider": "chromadb"}})
    with pytest.raises(ValueError, match=r"config\['embedder'\]: the embedder needs a model"):
        CSVSearchTool(config={"embedder": {"provider": "openai", "config": {}}})


@pytest.mark.asyncio
async def test_an_embedder_in_config_adds_vectors(
    folder: Path, llm_on: Callable[..., LLM]
) -> None:
    base_url = llm_on().base_url
    tool = TXTSearchTool(txt="facts.txt", config={"embedder": {
        "provider": "openai",
        "config": {"model": "text-embedding-3-small", "api_base": base_url, "api_key": "sk-t"},
    }})
    assert "Saturn has rings" in await tool.arun(search_query="Saturn rings")


@pytest.mark.asyncio
async def test_an_agent_searches_a_csv_through_the_simulator(
    folder: Path, llm_on: Callable[..., LLM]
) -> None:
    tool = CSVSearchTool(csv="people.csv")
    script = f"sim-call: {tool.function_name()} " + json.dumps({"search_query": "Linus"})
    agent = Agent(role="Analyst", goal="Find", backstory="Curious.", llm=llm_on(), tools=[tool])
    task = Task(description=script, expected_output="a city", agent=agent)
    result = await Crew(agents=[agent], tasks=[task]).akickoff()
    assert "Helsinki" in result.raw


@pytest.mark.asyncio
async def test_rag_tool_alone_searches_what_code_added(folder: Path) -> None:
    tool = RagTool()
    tool.add("facts.txt", data_type="text_file")
    tool.add("guide.mdx")
    assert set(tool.args_schema.model_fields) == {"query", "similarity_threshold", "limit"}
    found = await tool.arun(query="moon rings", limit=1)
    assert found.count("\n\n") == 0 and found.startswith("Relevant Content:\n")
    assert "pulls water" in tool.run(query="moon")
    tool.add("Refunds are accepted within 30 days.", data_type="text")
    assert "30 days" in tool.run(query="refunds")
