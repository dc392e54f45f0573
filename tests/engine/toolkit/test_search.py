"""The toolkit's network tools against the simulator's Serper, Tavily, Exa, Brave and /web/
endpoints (contract C7): addresses from constructor arguments or CREWDESK_*_URL (C8), keys
from the environment or the installed key source (C4), both the blocking and async paths."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio

from desktop_app.engine import LLM, Agent, Crew, Task
from desktop_app.engine import events as ev
from desktop_app.engine.toolkit import (
    BraveSearchTool,
    EXASearchTool,
    ScrapeWebsiteTool,
    SerperDevTool,
    TavilySearchTool,
    WebsiteSearchTool,
)
from desktop_app.engine.toolkit._http import ServiceError
from desktop_app.engine.toolkit._keys import MissingKeyError, set_key_source
from desktop_app.engine.toolkit.simulated import simulated_services
from desktop_app.simulator import SimulatorThread
from tests.engine.conftest import make_llm

_KEYS = ("SERPER_API_KEY", "TAVILY_API_KEY", "EXA_API_KEY", "BRAVE_API_KEY", "EXA_BASE_URL")


@pytest.fixture
def root(sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The simulator's root URL, every service pointed at it, no key set."""
    base = sim_thread.root_url
    for name in _KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CREWDESK_SERPER_URL", f"{base}/serper/search")
    monkeypatch.setenv("CREWDESK_TAVILY_URL", f"{base}/tavily/search")
    monkeypatch.setenv("CREWDESK_EXA_URL", f"{base}/exa/search")
    monkeypatch.setenv("CREWDESK_BRAVE_URL", f"{base}/brave/res/v1/web/search")
    yield base
    set_key_source(None)


def test_serper_searches_with_crewais_shape(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = SerperDevTool(n_results=3, country="us")
    assert (tool.name, list(tool.args_schema.model_fields)) == (
        "Search the internet with Serper", ["search_query"]
    )
    with pytest.raises(MissingKeyError, match="SERPER_API_KEY"):
        tool.run(search_query="tides")
    monkeypatch.setenv("SERPER_API_KEY", "sk-serper")
    found = tool.run(search_query="tides")
    assert found["searchParameters"]["q"] == "tides"
    assert found["searchParameters"]["gl"] == "us"
    assert [hit["position"] for hit in found["organic"]] == [1, 2, 3]
    assert found["organic"][0]["link"].startswith(f"{root}/web/tides/")
    assert found["knowledgeGraph"]["title"] == "tides"
    news = SerperDevTool(search_type="news", n_results=2).run(search_query="tides")
    assert len(news["news"]) == 2 and "organic" not in news


@pytest.mark.asyncio
async def test_serper_async_with_a_base_url_and_a_key_from_the_source(root: str) -> None:
    set_key_source({"SERPER_API_KEY": "from-keychain"}.get)
    tool = SerperDevTool(base_url=f"{root}/serper")
    found = await tool.arun(search_query="moon phases")
    assert len(found["organic"]) == 10


@pytest.mark.asyncio
async def test_a_refused_key_names_the_variable(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWDESK_SERPER_URL", f"{root}/serper/nowhere")
    monkeypatch.setenv("SERPER_API_KEY", "sk-serper")
    with pytest.raises(ServiceError, match="Serper answered HTTP 404: .*Unknown URL"):
        await SerperDevTool().arun(search_query="x")
    with pytest.raises(ValueError, match="Invalid search type: images"):
        await SerperDevTool(search_type="images").arun(search_query="x")
    # Exa's endpoint wants its own key header, so it refuses what Tavily sends.
    monkeypatch.setenv("CREWDESK_TAVILY_URL", f"{root}/exa/search")
    with pytest.raises(ServiceError, match=r"Tavily refused the API key \(HTTP 401\); check "
                       "TAVILY_API_KEY"):
        await TavilySearchTool(api_key="tvly-test").arun(query="x")


@pytest.mark.asyncio
async def test_tavily_answers_json_with_content_cut(
    root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MissingKeyError, match="TAVILY_API_KEY"):
        await TavilySearchTool().arun(query="tides")
    tool = TavilySearchTool(api_key="tvly-test", max_results=2, max_content_length_per_result=10)
    data = json.loads(await tool.arun(query="tides"))
    assert len(data["results"]) == 2
    assert all(len(item["content"]) <= 13 for item in data["results"])
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-env")
    assert json.loads(TavilySearchTool().run(query="tides"))["query"] == "tides"


def test_exa_sends_contents_and_dates(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXA_API_KEY", "exa-test")
    tool = EXASearchTool(content=True)
    assert tool.name == "ExaSearchTool"
    data = json.loads(tool.run(search_query="tides", start_published_date="2024-01-01"))
    assert data["results"][0]["text"] and data["results"][0]["highlights"]
    assert json.loads(EXASearchTool(base_url=f"{root}/exa").run(search_query="x"))["results"]


@pytest.mark.asyncio
async def test_brave_returns_crewais_result_list(
    root: str, sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAVE_API_KEY", "brave-test")
    tool = BraveSearchTool(n_results=4)
    assert tool.name == "Brave Search"
    items = json.loads(await tool.arun(q="tides", spellcheck=True))
    assert len(items) == 4
    assert set(items[0]) == {"url", "title", "description"}
    assert len(json.loads(tool.run(q="tides", count=2))) == 2
    before = len(sim_thread.stats.requests)
    BraveSearchTool(country="US").run(q="tides")
    assert sim_thread.stats.requests[before].body["country"] == "US"


@pytest.mark.asyncio
async def test_scrape_website_reads_a_page_as_text(root: str) -> None:
    fixed = ScrapeWebsiteTool(website_url=f"{root}/web/harbour-tides")
    assert fixed.args_schema.model_fields == {}
    text = await fixed.arun()
    assert text.startswith("The following text is scraped website content:\n\n")
    assert "Harbour tides" in text and "<h1>" not in text
    assert "Moon" in ScrapeWebsiteTool().run(website_url=f"{root}/web/moon")


@pytest.mark.asyncio
async def test_website_search_fetches_a_page_once_and_searches_it(root: str) -> None:
    tool = WebsiteSearchTool(website=f"{root}/web/harbour-tides")
    found = await tool.arun(search_query="harbour tides facts")
    assert found.startswith("Relevant Content:\n") and "Harbour tides" in found
    other = WebsiteSearchTool()
    assert "Moon" in await other.arun(search_query="moon", website=f"{root}/web/moon")
    with pytest.raises(ValueError, match="not an http"):
        await other.arun(search_query="x", website="file:///etc/passwd")


def test_an_agent_searches_then_scrapes_on_the_blocking_path(
    root: str, sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERPER_API_KEY", "sk-serper")
    search, scrape = SerperDevTool(n_results=1), ScrapeWebsiteTool()
    script = (
        f"sim-call: {search.function_name()} {json.dumps({'search_query': 'tides'})}\n"
        f"sim-call: {scrape.function_name()} "
        + json.dumps({"website_url": f"{root}/web/tides/result-1"})
    )
    agent = Agent(role="Researcher", goal="Find", backstory="Thorough.",
                  llm=make_llm(sim_thread.base_url), tools=[search, scrape])
    task = Task(description=script, expected_output="facts", agent=agent)
    result = Crew(agents=[agent], tasks=[task]).kickoff()
    assert "scraped website content" in result.raw
    assert sim_thread.stats.tool_requests["serper"] == 1


@pytest.mark.asyncio
async def test_a_missing_key_reaches_the_model_and_the_panel_as_a_tool_error(
    root: str, llm_on: Callable[..., LLM]
) -> None:
    search = SerperDevTool()
    script = f"sim-call: {search.function_name()} " + json.dumps({"search_query": "tides"})
    agent = Agent(role="Researcher", goal="Find", backstory="Thorough.", llm=llm_on(),
                  tools=[search])
    task = Task(description=script, expected_output="facts", agent=agent)
    finished = [event async for event in Crew(agents=[agent], tasks=[task]).stream_events()
                if isinstance(event, ev.ToolCallFinished)]
    assert finished[0].is_error
    assert "set the environment variable SERPER_API_KEY" in finished[0].output


@pytest.mark.asyncio
async def test_simulated_services_point_every_search_tool_at_the_simulator(
    sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*_KEYS, "CREWDESK_SERPER_URL", "CREWDESK_TAVILY_URL", "CREWDESK_EXA_URL",
                 "CREWDESK_BRAVE_URL"):
        monkeypatch.delenv(name, raising=False)
    with simulated_services(sim_thread.root_url), pytest.raises(MissingKeyError):
        await SerperDevTool().arun(search_query="tides")  # keys stay the project's
    with simulated_services(sim_thread.root_url, stand_in_keys=True):
        assert (await SerperDevTool().arun(search_query="tides"))["organic"]
        assert json.loads(await TavilySearchTool().arun(query="tides"))["results"]
        assert json.loads(await EXASearchTool().arun(search_query="tides"))["results"]
        assert json.loads(await BraveSearchTool().arun(q="tides"))
    assert "CREWDESK_SERPER_URL" not in os.environ and "SERPER_API_KEY" not in os.environ
    assert sim_thread.stats.tool_requests["brave"] == 1


@pytest_asyncio.fixture
async def busy_then_ok() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback service that answers 429 (Retry-After: 0), then Serper's JSON; it records
    the status of each answer."""
    answers: list[str] = []
    body = json.dumps({"organic": [{"title": "T", "link": "http://x", "snippet": "s"}]})

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head.lower())
        await reader.readexactly(int(length.group(1)) if length else 0)
        status = "429 Too Many Requests" if not answers else "200 OK"
        answers.append(status)
        payload = b"{}" if answers[-1].startswith("429") else body.encode()
        writer.write(f"HTTP/1.1 {status}\r\nRetry-After: 0\r\nContent-Type: application/json"
                     f"\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                     + payload)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", answers


@pytest.mark.asyncio
async def test_a_rate_limited_request_is_sent_again(
    busy_then_ok: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, answers = busy_then_ok
    monkeypatch.setenv("SERPER_API_KEY", "sk-serper")
    found = await SerperDevTool(base_url=url).arun(search_query="tides")
    assert answers == ["429 Too Many Requests", "200 OK"]
    assert found["organic"][0]["title"] == "T"


def test_a_run_can_route_its_search_tools_without_touching_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app's dry runs send their tools to the simulator through the run's context; the
    process's environment (which a real run beside it reads) is left alone."""
    import contextvars

    from desktop_app.engine.toolkit._http import service_url
    from desktop_app.engine.toolkit.simulated import simulated_services_here

    monkeypatch.delenv("CREWDESK_SERPER_URL", raising=False)
    outside = contextvars.copy_context()
    with simulated_services_here("http://127.0.0.1:9/"):
        assert service_url("CREWDESK_SERPER_URL", "real") == "http://127.0.0.1:9/serper/search"
        assert "CREWDESK_SERPER_URL" not in os.environ
        assert outside.run(service_url, "CREWDESK_SERPER_URL", "real") == "real"
    assert service_url("CREWDESK_SERPER_URL", "real") == "real"
