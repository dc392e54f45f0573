"""CrewAI's `TavilySearchTool`: web search through Tavily's API.

Address: `CREWDESK_TAVILY_URL`, else api.tavily.com. Key: the tool's `api_key`, else
`TAVILY_API_KEY`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from desktop_app.engine.toolkit._http import Request, ServiceTool, service_url
from desktop_app.engine.toolkit._keys import require_key
from desktop_app.engine.toolkit._warn import warn_ignored

__all__ = ["TavilySearchTool"]

KEY_ENV = "TAVILY_API_KEY"
URL_ENV = "CREWDESK_TAVILY_URL"
DEFAULT_URL = "https://api.tavily.com/search"


class TavilySearchToolSchema(BaseModel):
    """Input schema for TavilySearchTool."""

    query: str = Field(..., description="The search query string.")


class TavilySearchTool(ServiceTool):
    """CrewAI's `TavilySearchTool` (name, description, arguments and settings); see
    crewai-tools for each setting's meaning. `proxies` is accepted with a warning."""

    name: str = "Tavily Search"
    description: str = (
        "A tool that performs web searches using the Tavily Search API. "
        "It returns a JSON object containing the search results."
    )
    args_schema: type[BaseModel] = TavilySearchToolSchema
    api_key: str | None = None
    proxies: dict[str, str] | None = None
    search_depth: Literal["basic", "advanced"] = "basic"
    topic: Literal["general", "news", "finance"] = "general"
    time_range: Literal["day", "week", "month", "year"] | None = None
    days: int = 7
    max_results: int = 5
    include_domains: Sequence[str] | None = None
    exclude_domains: Sequence[str] | None = None
    include_answer: bool | Literal["basic", "advanced"] = False
    include_raw_content: bool = False
    include_images: bool = False
    timeout: int = 60
    max_content_length_per_result: int = 1000

    def model_post_init(self, context: Any, /) -> None:
        """Warns about `proxies`, which CrewDesk does not use."""
        super().model_post_init(context)
        if self.proxies:
            warn_ignored("TavilySearchTool", "proxies", "set HTTPS_PROXY in the environment")

    service: ClassVar[str] = "Tavily"

    def _address(self, kwargs: dict[str, Any]) -> str:
        return service_url(URL_ENV, DEFAULT_URL)

    def _request(self, kwargs: dict[str, Any]) -> Request:
        query = kwargs.get("query")
        if not query:
            raise ValueError("query is required")
        key = require_key(KEY_ENV, "TavilySearchTool", self.api_key)
        payload: dict[str, Any] = {
            "query": str(query),
            "search_depth": self.search_depth,
            "topic": self.topic,
            "time_range": self.time_range,
            "days": self.days,
            "max_results": self.max_results,
            "include_domains": list(self.include_domains or []),
            "exclude_domains": list(self.exclude_domains or []),
            "include_answer": self.include_answer,
            "include_raw_content": self.include_raw_content,
            "include_images": self.include_images,
        }
        return Request(
            "Tavily", "POST", service_url(URL_ENV, DEFAULT_URL), KEY_ENV,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            json=payload, timeout_s=float(self.timeout),
        )

    def _result(self, data: Any, kwargs: dict[str, Any]) -> str:
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            cap = self.max_content_length_per_result
            for item in data["results"]:
                content = item.get("content") if isinstance(item, dict) else None
                if isinstance(content, str) and len(content) > cap:
                    item["content"] = content[:cap] + "..."
        return json.dumps(data, indent=2)
