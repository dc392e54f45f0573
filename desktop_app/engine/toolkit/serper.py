"""CrewAI's `SerperDevTool`: Google results through serper.dev.

Address: the tool's `base_url` when given, else `CREWDESK_SERPER_URL`, else serper.dev; the
search type ("search" or "news") is the last part of the path. Key: `SERPER_API_KEY`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from desktop_app.engine.toolkit._http import Request, ServiceTool, save_results, service_url
from desktop_app.engine.toolkit._keys import require_key

__all__ = ["SerperDevTool"]

KEY_ENV = "SERPER_API_KEY"
URL_ENV = "CREWDESK_SERPER_URL"
DEFAULT_URL = "https://google.serper.dev"
_SEARCH_TYPES = ("search", "news")

# What CrewAI keeps of each part of the answer: (fields, fields without which it is dropped).
_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "organic": (("title", "link", "snippet", "position", "sitelinks"), ("title", "link")),
    "peopleAlsoAsk": (("question", "snippet", "title", "link"), ("question",)),
    "relatedSearches": (("query",), ("query",)),
    "news": (("title", "link", "snippet", "date", "source", "imageUrl"), ("title", "link")),
}
_KNOWLEDGE_GRAPH = ("title", "type", "website", "imageUrl", "description",
                    "descriptionSource", "descriptionLink", "attributes")


class SerperDevToolSchema(BaseModel):
    """Input for SerperDevTool."""

    search_query: str = Field(
        ..., description="Mandatory search query you want to use to search the internet"
    )


class SerperDevTool(ServiceTool):
    """CrewAI's `SerperDevTool` (name, description, arguments and settings).

    Attributes:
        base_url: Serper's address (the search type is added to it).
        n_results: Results asked for and kept, per part.
        save_file: Also writes the results to `search_results_<time>.txt`.
        search_type: "search" or "news".
        country: Serper's `gl`.
        location: Serper's `location`.
        locale: Serper's `hl`.
    """

    name: str = "Search the internet with Serper"
    description: str = (
        "A tool that can be used to search the internet with a search_query. "
        "Supports different search types: 'search' (default), 'news'"
    )
    args_schema: type[BaseModel] = SerperDevToolSchema
    base_url: str = DEFAULT_URL
    n_results: int = 10
    save_file: bool = False
    search_type: str = "search"
    country: str | None = ""
    location: str | None = ""
    locale: str | None = ""

    def _endpoint(self, search_type: str) -> str:
        if search_type not in _SEARCH_TYPES:
            raise ValueError(f"Invalid search type: {search_type}. Must be one of: search, news")
        base = self.base_url if "base_url" in self.model_fields_set else service_url(
            URL_ENV, DEFAULT_URL
        )
        base = base.rstrip("/")
        if base.rsplit("/", 1)[-1] in _SEARCH_TYPES:  # an address given up to the type
            base = base.rsplit("/", 1)[0]
        return f"{base}/{search_type}"

    service: ClassVar[str] = "Serper"

    def _address(self, kwargs: dict[str, Any]) -> str:
        return self._endpoint(str(kwargs.get("search_type") or self.search_type).lower())

    def _request(self, kwargs: dict[str, Any]) -> Request:
        query = kwargs.get("search_query") or kwargs.get("query")
        if not query:
            raise ValueError("search_query is required")
        search_type = str(kwargs.get("search_type") or self.search_type).lower()
        payload: dict[str, Any] = {"q": str(query), "num": self.n_results}
        for key, value in (("gl", self.country), ("location", self.location),
                           ("hl", self.locale)):
            if value:
                payload[key] = value
        key = require_key(KEY_ENV, "SerperDevTool")
        return Request(
            "Serper", "POST", self._endpoint(search_type), KEY_ENV,
            headers={"X-API-KEY": key, "content-type": "application/json"},
            json=payload, timeout_s=10.0,
        )

    def _result(self, data: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data, dict) or not data:
            raise ValueError("Empty response from Serper API")
        query = kwargs.get("search_query") or kwargs.get("query")
        search_type = str(kwargs.get("search_type") or self.search_type).lower()
        shaped: dict[str, Any] = {
            "searchParameters": {"q": query, "type": search_type,
                                 **(data.get("searchParameters") or {})},
        }
        if search_type == "search" and isinstance(data.get("knowledgeGraph"), dict):
            graph = data["knowledgeGraph"]
            shaped["knowledgeGraph"] = {name: graph.get(name, "") for name in _KNOWLEDGE_GRAPH}
        parts = ("news",) if search_type == "news" else ("organic", "peopleAlsoAsk",
                                                          "relatedSearches")
        for part in parts:
            if isinstance(data.get(part), list):
                shaped[part] = self._kept(data[part], *_PARTS[part])
        shaped["credits"] = data.get("credits", 1)
        if kwargs.get("save_file", self.save_file):
            save_results(json.dumps(shaped, indent=2))
        return shaped

    def _kept(
        self, items: list[Any], fields: tuple[str, ...], needed: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        kept = []
        for item in items[: self.n_results]:
            if isinstance(item, dict) and all(name in item for name in needed):
                kept.append({name: item.get(name, "") for name in fields
                             if name in item or name != "sitelinks"})
        return kept
