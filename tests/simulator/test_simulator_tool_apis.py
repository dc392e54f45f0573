"""The search and scrape endpoints for web tools, driven with plain httpx."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from desktop_app.simulator import Simulator

pytestmark = pytest.mark.asyncio

SERPER_KEY = {"X-API-KEY": "serper-test"}


@pytest_asyncio.fixture
async def web(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the simulator's root URL."""
    async with httpx.AsyncClient(base_url=sim.root_url, timeout=10.0) as http:
        yield http


async def test_serper_answers_in_serpers_shape(sim: Simulator, web: httpx.AsyncClient) -> None:
    body = {"q": "tides in Brest", "num": 3, "gl": "fr"}
    response = await web.post("/serper/search", json=body, headers=SERPER_KEY)
    assert response.status_code == 200
    data = response.json()
    assert data["searchParameters"] == {"q": "tides in Brest", "type": "search", "num": 3,
                                        "engine": "google", "gl": "fr"}
    assert [r["position"] for r in data["organic"]] == [1, 2, 3]
    first = data["organic"][0]
    assert set(first) == {"title", "link", "snippet", "position"}
    assert first["title"] == "Tides in Brest - Overview"
    assert first["link"] == f"{sim.root_url}/web/tides-in-brest/result-1"
    assert "tides in Brest" in first["snippet"]
    assert first["snippet"].endswith(".")
    assert data["knowledgeGraph"]["title"] == "tides in Brest"
    assert data["peopleAlsoAsk"][0]["question"] == "What is tides in Brest?"
    again = await web.post("/serper/search", json=body, headers=SERPER_KEY)
    assert again.json() == data
    other = await web.post("/serper/search", json={"q": "rye bread"}, headers=SERPER_KEY)
    assert len(other.json()["organic"]) == 10
    assert other.json()["organic"][0]["snippet"] != first["snippet"]
    assert sim.stats.tool_requests["serper"] == 3
    assert sim.stats.requests[0].path == "/serper/search"
    assert sim.stats.requests[0].body == body


async def test_serper_news_and_batches(web: httpx.AsyncClient) -> None:
    news = (await web.post("/serper/news", json={"q": "tides", "num": 2},
                           headers=SERPER_KEY)).json()
    assert news["searchParameters"]["type"] == "news"
    assert {"title", "link", "snippet", "date", "source"} <= set(news["news"][0])
    batch = await web.post("/serper/search", json=[{"q": "a b"}, {"q": "c d"}],
                           headers=SERPER_KEY)
    assert [r["searchParameters"]["q"] for r in batch.json()] == ["a b", "c d"]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("POST", "/serper/search", {"q": "x"}, {}),
        ("POST", "/serper/search", {"q": "x"}, {"X-API-KEY": ""}),
        ("POST", "/tavily/search", {"query": "x"}, {}),
        ("POST", "/tavily/search", {"query": "x", "api_key": ""}, {"Authorization": "Bearer"}),
        ("POST", "/exa/search", {"query": "x"}, {"Authorization": "Bearer k"}),
        ("GET", "/brave/res/v1/web/search?q=x", None, {"X-API-KEY": "k"}),
    ],
)
async def test_search_without_its_key_is_a_401(sim: Simulator, web: httpx.AsyncClient,
                                              method: str, path: str, body: Any,
                                              headers: dict[str, str]) -> None:
    response = await web.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()
    assert sum(sim.stats.tool_requests.values()) == 1


async def test_tavily_takes_a_bearer_or_a_body_key(sim: Simulator,
                                                   web: httpx.AsyncClient) -> None:
    body = {"query": "tides", "max_results": 2, "include_answer": True,
            "include_raw_content": True}
    data = (await web.post("/tavily/search", json=body,
                           headers={"Authorization": "Bearer tvly-test"})).json()
    assert data["query"] == "tides"
    assert data["answer"].startswith("In short: ")
    assert "tides" in data["answer"]
    assert len(data["results"]) == 2
    assert set(data["results"][0]) == {"title", "url", "content", "score", "raw_content"}
    assert data["results"][0]["score"] > data["results"][1]["score"]
    assert data["results"][0]["raw_content"].startswith("Tides - Overview. ")
    plain = (await web.post("/tavily/search", json={"query": "tides", "api_key": "tvly-k"})).json()
    assert len(plain["results"]) == 5
    assert plain["answer"] is None and plain["results"][0]["raw_content"] is None
    assert sim.stats.requests[-1].body == {"query": "tides"}  # the key is not kept


async def test_exa_adds_text_when_contents_ask_for_it(web: httpx.AsyncClient) -> None:
    headers = {"x-api-key": "exa-test"}
    bare = (await web.post("/exa/search", json={"query": "tides", "numResults": 2},
                           headers=headers)).json()
    assert [set(r) for r in bare["results"]] == [
        {"id", "title", "url", "publishedDate", "author", "score"}] * 2
    rich = (await web.post("/exa/search", json={"query": "tides", "type": "auto",
                                                "contents": {"text": True}},
                           headers=headers)).json()
    assert len(rich["results"]) == 10
    assert rich["results"][0]["text"].startswith("Tides - Overview. ")
    assert rich["results"][0]["id"] == rich["results"][0]["url"]


async def test_brave_reads_its_query_string(sim: Simulator, web: httpx.AsyncClient) -> None:
    headers = {"X-Subscription-Token": "brave-test", "Accept": "application/json"}
    params = {"q": "tides & moons", "count": "4", "result_filter": "web"}
    response = await web.get("/brave/res/v1/web/search", params=params, headers=headers)
    data = response.json()
    assert data["query"]["original"] == "tides & moons"
    results = data["web"]["results"]
    assert len(results) == 4
    assert {"title", "url", "description"} <= set(results[0])
    assert sim.stats.requests[-1].body == params
    missing = await web.get("/brave/res/v1/web/search", headers=headers)
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "VALIDATION"
    assert sim.stats.tool_requests["brave"] == 2


async def test_web_pages_name_their_path(sim: Simulator, web: httpx.AsyncClient) -> None:
    response = await web.get("/web/reports/tides-2024?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<title>Reports tides 2024 - CrewDesk simulator</title>" in page
    assert "<h1>Reports tides 2024</h1>" in page
    assert "/web/reports/tides-2024?lang=en" in page
    assert re.findall(r'href="([^"]+)"', page) == [
        "/web/reports/tides-2024/details", "/web/reports/tides-2024/sources"]
    assert (await web.get("/web/")).status_code == 200
    assert (await web.post("/web/x")).status_code == 405
    assert sim.stats.tool_requests["web"] == 3
    assert sim.stats.counters()["web_requests"] == 3
    sim.reset()
    assert sim.stats.tool_requests == dict.fromkeys(
        ("serper", "tavily", "exa", "brave", "web"), 0)


async def test_a_search_result_can_be_scraped(web: httpx.AsyncClient) -> None:
    found = await web.post("/serper/search", json={"q": "tides"}, headers=SERPER_KEY)
    page = await web.get(found.json()["organic"][1]["link"])
    assert page.status_code == 200
    assert "<h1>Tides result 2</h1>" in page.text


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "/serper/nope", b"{}", 404, "message"),
        ("GET", "/serper/search", None, 405, "message"),
        ("POST", "/serper/search", b"{not json", 400, "message"),
        ("POST", "/serper/search", b'{"num": 2}', 400, "message"),
        ("POST", "/tavily/search", b"{}", 400, "detail"),
        ("POST", "/exa/search", b"{}", 400, "error"),
    ],
)
async def test_bad_search_requests_get_the_services_errors(
        web: httpx.AsyncClient, method: str, path: str, body: bytes | None, status: int,
        field: str) -> None:
    headers = {"X-API-KEY": "k", "x-api-key": "k", "Authorization": "Bearer k"}
    response = await web.request(method, path, content=body, headers=headers)
    assert response.status_code == status
    assert field in response.json()

