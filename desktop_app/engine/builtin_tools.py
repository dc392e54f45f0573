"""Built-in tools that need no account, and the registry that finds a tool by its name.

`tool_by_name("read_file")` (or CrewAI's class name, `"FileReadTool"`) makes a fresh tool;
crew documents list tools by these names. `fetch_url` reaches the network, so it is off by
default: pass `allow_network=True` or set `CREWDESK_ENABLE_FETCH_URL=1` to register it.
File work and HTTP never block the event loop (worker threads, httpx's async client).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine.code_execution import CodeInterpreterTool
from desktop_app.engine.tools import BaseTool

__all__ = [
    "DirectoryReadTool",
    "FetchUrlTool",
    "FileReadTool",
    "known_tool_names",
    "tool_by_name",
]

FETCH_URL_ENV = "CREWDESK_ENABLE_FETCH_URL"


class FileReadArgs(BaseModel):
    """Arguments of `read_file`."""

    file_path: str = Field(description="Path of the text file to read.")
    start_line: int = Field(default=1, ge=1, description="First line to read (1-based).")
    line_count: int | None = Field(default=None, ge=1, description="Lines to read; all if empty.")


def resolve_inside(given: str, base_dir: str | None) -> Path:
    """The path the model gave; with `base_dir`, relative to it and refused outside it.

    Raises:
        PermissionError: The path leads outside `base_dir`.
    """
    path = Path(given).expanduser()
    if base_dir is None:
        return path
    root = Path(base_dir).expanduser().resolve()
    full = (root / path).resolve()
    if not full.is_relative_to(root):
        raise PermissionError(f"'{given}' is outside the folder this tool may read ({root})")
    return full


class FileReadTool(BaseTool):
    """Reads a text file (CrewAI's `FileReadTool`), at most `max_chars` characters of it.

    Attributes:
        max_chars: Characters returned at most.
        base_dir: When set, paths are relative to it and nothing outside it is read.
    """

    name: str = "read_file"
    description: str = (
        "Read the content of a text file. Give its path; optionally the first line and how "
        "many lines to read."
    )
    args_schema: type[BaseModel] = FileReadArgs
    max_chars: int = 100_000
    base_dir: str | None = None

    def _run(self, **kwargs: Any) -> str:
        path = resolve_inside(str(kwargs["file_path"]), self.base_dir)
        if not path.is_file():
            raise FileNotFoundError(f"no file at '{path}'")
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines(keepends=True)[int(kwargs.get("start_line") or 1) - 1 :]
        count = kwargs.get("line_count")
        body = "".join(lines[: int(count)] if count else lines)
        if len(body) > self.max_chars:
            body = body[: self.max_chars] + "\n[cut: the file is longer]"
        return body


class DirectoryArgs(BaseModel):
    """Arguments of `list_directory`."""

    directory: str = Field(description="Path of the directory to list.")


class DirectoryReadTool(BaseTool):
    """Lists the files under a directory (CrewAI's `DirectoryReadTool`), recursively.

    Attributes:
        max_entries: Entries listed at most.
        base_dir: When set, paths are relative to it and nothing outside it is listed.
    """

    name: str = "list_directory"
    description: str = "List the files in a directory and its subdirectories."
    args_schema: type[BaseModel] = DirectoryArgs
    max_entries: int = 500
    base_dir: str | None = None

    def _run(self, **kwargs: Any) -> str:
        root = resolve_inside(str(kwargs["directory"]), self.base_dir)
        if not root.is_dir():
            raise NotADirectoryError(f"no directory at '{root}'")
        entries: list[str] = []
        for path in sorted(root.rglob("*")):
            if len(entries) == self.max_entries:
                entries.append(f"[cut: more than {self.max_entries} entries]")
                break
            suffix = "/" if path.is_dir() else ""
            entries.append(f"- {path.relative_to(root).as_posix()}{suffix}")
        listing = "\n".join(entries) if entries else "(empty)"
        return f"File paths under {root}:\n{listing}"


class FetchUrlArgs(BaseModel):
    """Arguments of `fetch_url`."""

    website_url: str = Field(description="The http(s) address to fetch.")


class FetchUrlTool(BaseTool):
    """Fetches a web page and returns its text (CrewAI's `ScrapeWebsiteTool`).

    Attributes:
        timeout_s: Seconds for the whole request.
        max_bytes: Bytes read at most; the rest is not downloaded.
        max_chars: Characters of text returned at most.
    """

    name: str = "fetch_url"
    description: str = "Fetch a web page (http or https) and return its readable text."
    args_schema: type[BaseModel] = FetchUrlArgs
    is_async_native = True
    timeout_s: float = 15.0
    max_bytes: int = 2_000_000
    max_chars: int = 20_000

    def _run(self, **kwargs: Any) -> str:
        from desktop_app.engine._blocking import run_to_end

        return run_to_end(self._arun(**kwargs), thread_name="crewdesk-tool")

    async def _arun(self, **kwargs: Any) -> str:
        import httpx

        url = str(kwargs["website_url"])
        if not url.startswith(("http://", "https://")):
            raise ValueError("only http:// and https:// addresses can be fetched")
        client = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=True)
        async with client, client.stream("GET", url) as response:
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= self.max_bytes:
                    break
            kind = response.headers.get("content-type", "")
        text = bytes(body[: self.max_bytes]).decode("utf-8", errors="replace")
        if "html" in kind:
            text = html_text(text)
        return text[: self.max_chars] + ("\n[cut]" if len(text) > self.max_chars else "")


class _TextOfHtml(HTMLParser):
    _SKIPPED = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skipping += tag in self._SKIPPED

    def handle_endtag(self, tag: str) -> None:
        self._skipping -= tag in self._SKIPPED and self._skipping > 0

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.parts.append(" ".join(data.split()))


def html_text(html: str) -> str:
    """The readable text of an HTML page, one text run per line."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


_FACTORIES: dict[str, Callable[[], BaseTool]] = {
    "read_file": FileReadTool,
    "list_directory": DirectoryReadTool,
    "code_interpreter": CodeInterpreterTool,
}
_NETWORK_FACTORIES: dict[str, Callable[[], BaseTool]] = {"fetch_url": FetchUrlTool}
_ALIASES = {
    "FileReadTool": "read_file",
    "DirectoryReadTool": "list_directory",
    "CodeInterpreterTool": "code_interpreter",
    "ScrapeWebsiteTool": "fetch_url",
}


def _network_allowed(allow_network: bool | None) -> bool:
    if allow_network is not None:
        return allow_network
    return os.environ.get(FETCH_URL_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def known_tool_names(*, allow_network: bool | None = None) -> list[str]:
    """The names `tool_by_name` knows (CrewAI class names are accepted too)."""
    names = list(_FACTORIES)
    if _network_allowed(allow_network):
        names += list(_NETWORK_FACTORIES)
    return sorted(names)


def tool_by_name(name: str, *, allow_network: bool | None = None) -> BaseTool:
    """A fresh built-in tool by its name or CrewAI class name.

    Args:
        name: "read_file", "list_directory", "code_interpreter" or "fetch_url", or
            "FileReadTool", "DirectoryReadTool", "CodeInterpreterTool", "ScrapeWebsiteTool".
        allow_network: Registers `fetch_url`; None reads `CREWDESK_ENABLE_FETCH_URL`.

    Raises:
        KeyError: No such tool (the message lists the known names), or `fetch_url` while
            the network is off (the message says how to turn it on).
    """
    key = _ALIASES.get(name, name)
    if key in _FACTORIES:
        return _FACTORIES[key]()
    if key in _NETWORK_FACTORIES:
        if _network_allowed(allow_network):
            return _NETWORK_FACTORIES[key]()
        raise KeyError(
            f"the tool '{name}' reaches the network and is off by default; set "
            f"{FETCH_URL_ENV}=1 (or pass allow_network=True) to enable it"
        )
    known = ", ".join(known_tool_names(allow_network=allow_network))
    raise KeyError(f"CrewDesk has no tool named '{name}'; known tools: {known}")
