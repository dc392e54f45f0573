"""CrewAI's `BraveSearchTool`: web results through the Brave Search API.

Address: the tool's `search_url` when given, else `CREWDESK_BRAVE_URL`, else Brave's. Key:
`BRAVE_API_KEY` (crewai-tools refuses to make the tool without it; CrewDesk lets the project
load and says so when the tool runs).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field
from pydantic.types import StringConstraints

from desktop_app.engine.toolkit._http import Request, ServiceTool, save_results, service_url
from desktop_app.engine.toolkit._keys import require_key

__all__ = ["BraveSearchTool"]

KEY_ENV = "BRAVE_API_KEY"
URL_ENV = "CREWDESK_BRAVE_URL"
DEFAULT_URL = "https://api.search.brave.com/res/v1/web/search"

Freshness = (
    Literal["pd", "pw", "pm", "py"]
    | Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}to\d{4}-\d{2}-\d{2}$")]
)
ResultFilter = list[
    Literal["discussions", "faq", "infobox", "news", "query", "summarizer", "videos", "web",
            "locations"]
]


class WebSearchParams(BaseModel):
    """Parameters for Brave Web Search endpoint."""

    q: str = Field(description="Search query to perform", min_length=1, max_length=400)
    country: str | None = Field(
        default=None, description="Country code for geo-targeting (e.g., 'US', 'BR').",
        pattern=r"^[A-Z]{2}$",
    )
    search_lang: str | None = Field(
        default=None, description="Language code for the search results (e.g., 'en', 'es').",
        pattern=r"^[a-z]{2}$",
    )
    ui_lang: str | None = Field(
        default=None,
        description="Language code for the user interface (e.g., 'en-US', 'es-AR').",
        pattern=r"^[a-z]{2}-[A-Z]{2}$",
    )
    count: int | None = Field(
        default=None,
        description="The maximum number of results to return. Actual number may be less.",
        ge=1, le=20,
    )
    offset: int | None = Field(
        default=None, description="Skip the first N result sets/pages. Max is 9.", ge=0, le=9
    )
    safesearch: Literal["off", "moderate", "strict"] | None = Field(
        default=None, description="Filter out explicit content. Options: off/moderate/strict"
    )
    spellcheck: bool | None = Field(
        default=None, description="Attempt to correct spelling errors in the search query."
    )
    freshness: Freshness | None = Field(
        default=None,
        description="Enforce freshness of results. Options: pd/pw/pm/py, or YYYY-MM-DDtoYYYY-MM-DD",
    )
    text_decorations: bool | None = Field(
        default=None, description="Include markup to highlight search terms in the results."
    )
    extra_snippets: bool | None = Field(
        default=None, description="Include up to 5 text snippets for each page if possible."
    )
    result_filter: ResultFilter | None = Field(
        default=None,
        description=(
            "Filter the results by type. Options: discussions/faq/infobox/news/query/"
            "summarizer/videos/web/locations. Note: The `count` parameter is applied only to "
            "the `web` results."
        ),
    )
    units: Literal["metric", "imperial"] | None = Field(
        default=None, description="The units to use for the results. Options: metric/imperial"
    )
    goggles: str | list[str] | None = Field(
        default=None,
        description="Goggles act as a custom re-ranking mechanism. Goggle source or URLs.",
    )
    summary: bool | None = Field(
        default=None, description="Whether to generate a summarizer ID for the results."
    )
    enable_rich_callback: bool | None = Field(
        default=None,
        description=(
            "Whether to enable rich callbacks for the results. Requires Pro level subscription."
        ),
    )
    include_fetch_metadata: bool | None = Field(
        default=None,
        description="Whether to include fetch metadata (e.g., last fetch time) in the results.",
    )
    operators: bool | None = Field(
        default=None,
        description="Whether to apply search operators (e.g., site:example.com).",
    )


_PASSED = ("country", "offset", "safesearch", "freshness", "spellcheck", "text_decorations",
           "extra_snippets", "operators")


class BraveSearchTool(ServiceTool):
    """CrewAI's `BraveSearchTool` (name, description, arguments and settings).

    Attributes:
        search_url: Brave's web search address.
        n_results: Results asked for when the model gives no `count`.
        save_file: Also writes the results to `search_results_<time>.txt`.
        country: The country code sent when the model gives none (crewai-tools' Brave
            tools have it; its docs show `BraveSearchTool(country="US")`).
    """

    name: str = "Brave Search"
    description: str = (
        "A tool that performs web searches using the Brave Search API. "
        "Results are returned as structured JSON data."
    )
    args_schema: type[BaseModel] = WebSearchParams
    search_url: str = DEFAULT_URL
    n_results: int = 10
    save_file: bool = False
    country: str | None = None

    service: ClassVar[str] = "Brave Search"

    def _address(self, kwargs: dict[str, Any]) -> str:
        if "search_url" in self.model_fields_set:
            return self.search_url
        return service_url(URL_ENV, DEFAULT_URL)

    def _request(self, kwargs: dict[str, Any]) -> Request:
        query = kwargs.get("q") or kwargs.get("query") or kwargs.get("search_query")
        if not query:
            raise ValueError("Query is required")
        params: dict[str, Any] = {"q": str(query)}
        params.update({name: kwargs[name] for name in _PASSED if kwargs.get(name) is not None})
        if self.country and "country" not in params:
            params["country"] = self.country
        if search_lang := kwargs.get("search_lang") or kwargs.get("search_language"):
            params["search_lang"] = search_lang
        count = kwargs.get("count")
        params["count"] = count if count is not None else self.n_results
        params["result_filter"] = "web"
        for name, value in list(params.items()):
            if isinstance(value, bool):
                params[name] = str(value).lower()
        key = require_key(KEY_ENV, "BraveSearchTool")
        return Request(
            "Brave Search", "GET", self._address(kwargs), KEY_ENV,
            headers={"X-Subscription-Token": key, "Accept": "application/json"},
            params=params,
        )

    def _result(self, data: Any, kwargs: dict[str, Any]) -> str:
        web = data.get("web") if isinstance(data, dict) else None
        items = []
        for result in (web or {}).get("results") or []:
            if not isinstance(result, dict) or not result.get("url") or not result.get("title"):
                continue
            item = {"url": result["url"], "title": result["title"]}
            if result.get("description"):
                item["description"] = result["description"]
            if result.get("extra_snippets"):
                item["snippets"] = result["extra_snippets"]
            items.append(item)
        content = json.dumps(items)
        if kwargs.get("save_file", self.save_file):
            save_results(content)
            return f"\nSearch results: {content}\n"
        return content
