"""CrewAI's `EXASearchTool` (and its newer name `ExaSearchTool`): web search through Exa.

Address: the tool's `base_url` (or `EXA_BASE_URL`, as crewai-tools), else
`CREWDESK_EXA_URL`, else api.exa.ai; the request goes to its `/search`. Key: the tool's
`api_key`, else `EXA_API_KEY`.
"""

from __future__ import annotations

import json
import os
from builtins import type as type_
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from desktop_app.engine.toolkit._http import Request, ServiceTool, service_url
from desktop_app.engine.toolkit._keys import require_key

__all__ = ["EXASearchTool", "ExaSearchTool"]

KEY_ENV = "EXA_API_KEY"
URL_ENV = "CREWDESK_EXA_URL"
DEFAULT_URL = "https://api.exa.ai"


class ExaBaseToolSchema(BaseModel):
    """Input for ExaSearchTool."""

    search_query: str = Field(
        ..., description="Mandatory search query you want to use to search the internet"
    )
    start_published_date: str | None = Field(None, description="Start date for the search")
    end_published_date: str | None = Field(None, description="End date for the search")
    include_domains: list[str] | None = Field(
        None, description="List of domains to include in the search"
    )


class ExaSearchTool(ServiceTool):
    """CrewAI's `ExaSearchTool` (name, description, arguments and settings).

    Attributes:
        content: Ask for each page's text (True, or Exa's text options).
        summary: Ask for a summary of each page.
        highlights: Ask for highlights of each page.
        type: Exa's search type ("auto", "neural", "keyword"...).
        api_key: The key; None: `EXA_API_KEY`.
        base_url: Exa's address; None: `EXA_BASE_URL`, else `CREWDESK_EXA_URL`, else Exa's.
    """

    name: str = "ExaSearchTool"
    description: str = "Search the web with Exa, the fastest and most accurate web search API."
    args_schema: type_[BaseModel] = ExaBaseToolSchema
    content: bool | dict[str, Any] | None = False
    summary: bool | dict[str, Any] | None = False
    highlights: bool | dict[str, Any] | None = True
    type: str | None = "auto"
    api_key: str | None = None
    base_url: str | None = Field(default_factory=lambda: os.getenv("EXA_BASE_URL"))

    def __init__(
        self,
        content: bool | dict[str, Any] | None = False,
        summary: bool | dict[str, Any] | None = False,
        highlights: bool | dict[str, Any] | None = True,
        type: str | None = "auto",  # noqa: A002 - CrewAI's parameter name
        **kwargs: Any,
    ) -> None:
        """Makes the tool, as CrewAI's (`content`, `summary`, `highlights`, `type`)."""
        kwargs.update(content=content, summary=summary, highlights=highlights, type=type)
        super().__init__(**kwargs)

    def _endpoint(self) -> str:
        base = (self.base_url or service_url(URL_ENV, DEFAULT_URL)).rstrip("/")
        return base if base.endswith("/search") else f"{base}/search"

    service: ClassVar[str] = "Exa"

    def _address(self, kwargs: dict[str, Any]) -> str:
        return self._endpoint()

    def _request(self, kwargs: dict[str, Any]) -> Request:
        query = kwargs.get("search_query")
        if not query:
            raise ValueError("search_query is required")
        key = require_key(KEY_ENV, type_(self).__name__, self.api_key)
        payload: dict[str, Any] = {"query": str(query), "type": self.type}
        for name, field in (("start_published_date", "startPublishedDate"),
                            ("end_published_date", "endPublishedDate"),
                            ("include_domains", "includeDomains")):
            if kwargs.get(name):
                payload[field] = kwargs[name]
        contents = {name: value for name, value in (("text", self.content),
                    ("highlights", self.highlights), ("summary", self.summary)) if value}
        if contents:
            payload["contents"] = contents
        return Request(
            "Exa", "POST", self._endpoint(), KEY_ENV,
            headers={"x-api-key": key, "Content-Type": "application/json",
                     "x-exa-integration": "crewai"},
            json=payload,
        )

    def _result(self, data: Any, kwargs: dict[str, Any]) -> str:
        return json.dumps(data, indent=2)


class EXASearchTool(ExaSearchTool):
    """CrewAI's older name of `ExaSearchTool`, still what most projects import."""
