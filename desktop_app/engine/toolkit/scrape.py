"""CrewAI's `ScrapeWebsiteTool`: a page's readable text, on the engine's `fetch_url`.

The page is fetched with httpx's async client (the loop is never blocked) and its HTML is
turned into text by the engine's own extraction (`builtin_tools.html_text`).
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine.builtin_tools import FetchUrlTool
from desktop_app.engine.toolkit._face import CrewAIToolFace

__all__ = ["ScrapeWebsiteTool"]

_PREFIX = "The following text is scraped website content:\n\n"


class FixedScrapeWebsiteToolSchema(BaseModel):
    """Input for ScrapeWebsiteTool."""


class ScrapeWebsiteToolSchema(FixedScrapeWebsiteToolSchema):
    """Input for ScrapeWebsiteTool."""

    website_url: str = Field(..., description="Mandatory website url to read the file")


def _default_headers() -> dict[str, str]:
    return {
        "User-Agent": (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/96.0.4664.110 Safari/537.36"
        ),
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "en-US,en;q=0.9",
    }


class ScrapeWebsiteTool(CrewAIToolFace, FetchUrlTool):
    """CrewAI's `ScrapeWebsiteTool` (name, description, arguments, `website_url`, `cookies`,
    `headers`).

    Attributes:
        website_url: The page read when the model gives none (the model then gives none).
        cookies: Sent with the request.
        headers: Sent with the request (a browser's, by default, as CrewAI).
    """

    name: str = "Read website content"
    description: str = "A tool that can be used to read a website content."
    args_schema: type[BaseModel] = ScrapeWebsiteToolSchema
    website_url: str | None = None
    cookies: dict[str, str] | None = None
    headers: dict[str, str] | None = Field(default_factory=_default_headers)

    def __init__(
        self, website_url: str | None = None, cookies: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        """Makes the tool, as CrewAI's.

        Args:
            website_url: Fixes the page; the model then passes no address.
            cookies: CrewAI's shape, `{"name": cookie_name, "value": ENV_VAR_NAME}`: the
                cookie's value is read from that environment variable.
            **kwargs: Other fields (`headers`, `name`, `description`...).
        """
        if website_url is not None:
            kwargs.setdefault(
                "description", f"A tool that can be used to read {website_url}'s content."
            )
            kwargs.setdefault("args_schema", FixedScrapeWebsiteToolSchema)
            if cookies is not None and {"name", "value"} <= set(cookies):
                cookies = {cookies["name"]: os.getenv(cookies["value"]) or ""}
        kwargs.update(website_url=website_url, cookies=cookies)
        super().__init__(**kwargs)

    def _url(self, kwargs: dict[str, Any]) -> str:
        url = kwargs.get("website_url") or self.website_url
        if not url:
            raise ValueError("Website URL must be provided.")
        return str(url)

    def _client_options(self) -> dict[str, Any]:
        return {"headers": self.headers or {}, "cookies": self.cookies or {}}

    def _present(self, text: str) -> str:
        return super()._present(_PREFIX + text)
