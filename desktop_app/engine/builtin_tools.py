"""Built-in tools that need no account, and the registry that finds a tool by its name.

`tool_by_name("read_file")` makes a fresh tool; so does a `crewai_tools` class name CrewDesk
has (`"FileReadTool"`, `"SerperDevTool"`...: the CrewAI-named tools of
`desktop_app.engine.toolkit`). Crew documents list tools by these names. `fetch_url` (and
the toolkit's `ScrapeWebsiteTool` and `WebsiteSearchTool`) fetch any address, so they are
off by default: pass `allow_network=True` or set `CREWDESK_ENABLE_FETCH_URL=1`.
File work and HTTP never block the event loop (worker threads, httpx's async client).

In a run, the file tools read from the run's workspace (`_tool_paths`): a path outside it
(and outside the allowed paths) is read only once the user approved that call by name
(`approval_request`, kind "file_read"); `code_interpreter` and `fetch_url` ask before every
call (kinds "code" and "network").
"""

from __future__ import annotations

import os
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from desktop_app.engine._tool_paths import check_readable, outside_request, scoped_path
from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.bounded_read import read_bytes_bounded
from desktop_app.engine.code_execution import CodeInterpreterTool
from desktop_app.engine.tools import BaseTool

__all__ = [
    "CREWAI_TOOL_NAMES",
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
    file_path: str | None = None
    encoding: str = "utf-8"

    def _run(self, **kwargs: Any) -> str:
        given = kwargs.get("file_path")
        path = self._path_to_read(str(given) if given else None)
        if self._confined(given, path):
            check_readable(path.resolve(), self._unscoped_root())
        if not path.exists():
            raise FileNotFoundError(f"no file at '{path}'")
        # Regular files only, at most 8 MB: a FIFO, a device or /proc is refused by name.
        text = read_bytes_bounded(path).decode(self.encoding, errors="replace")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        start = int(kwargs.get("start_line") or 1)
        lines = text.splitlines(keepends=True)
        if start > 1 and start > len(lines):
            raise ValueError(f"start line {start} is past the end of the file ({len(lines)} lines)")
        count = kwargs.get("line_count")
        body = "".join(lines[start - 1 : start - 1 + int(count)] if count else lines[start - 1 :])
        if len(body) > self.max_chars:
            body = body[: self.max_chars] + "\n[cut: the file is longer]"
        return body

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest | None:
        """A "file_read" request when the file is outside the run's workspace (and outside
        the allowed paths); None inside, or when `base_dir` or the code fixed the file."""
        given = arguments.get("file_path")
        path = self._path_to_read(str(given) if given else None)
        if not self._confined(given, path):
            return None
        return outside_request(self.name, path.resolve(), workspace)

    def _path_to_read(self, given: str | None) -> Path:
        """The model's path (kept inside `base_dir`; else from the run's workspace), else
        the tool's own `file_path`.

        Raises:
            ValueError: Neither the model nor the tool named a file.
            PermissionError: The path leads outside `base_dir`.
        """
        if given:
            if self.base_dir is not None:
                return resolve_inside(given, self.base_dir)
            return scoped_path(given)
        if self.file_path is None:
            raise ValueError("no file to read: give its path as file_path")
        return Path(self.base_dir or ".").expanduser() / Path(self.file_path).expanduser()

    def _confined(self, given: object, path: Path) -> bool:
        """Whether reading `path` is limited to the run's workspace: a path the model
        gave, when the tool has no `base_dir` (which confines it itself)."""
        del path
        return bool(given) and self.base_dir is None

    def _unscoped_root(self) -> Path | None:
        """Outside a run, the folder reads must stay in: none (the code calls the tool)."""
        return None


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
    directory: str | None = None

    def _run(self, **kwargs: Any) -> str:
        given = kwargs.get("directory")
        root = self._directory_to_list(str(given) if given else None)
        if self._confined(given):
            check_readable(root.resolve(), self._unscoped_root())
        if not root.is_dir():
            raise NotADirectoryError(f"no directory at '{root}'")
        entries: list[str] = []
        for path in sorted(root.rglob("*")):
            if len(entries) == self.max_entries:
                entries.append(f"[cut: more than {self.max_entries} entries]")
                break
            entry = self._entry(root, path)
            if entry is not None:
                entries.append(f"- {entry}")
        listing = "\n".join(entries) if entries else "(empty)"
        return f"{self._heading(root)}\n{listing}"

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest | None:
        """A "file_read" request when the folder is outside the run's workspace (and the
        allowed paths); None inside, or when `base_dir` or the code fixed the folder."""
        given = arguments.get("directory")
        if not self._confined(given):
            return None
        root = self._directory_to_list(str(given))
        return outside_request(self.name, root.resolve(), workspace, verb="List")

    def _directory_to_list(self, given: str | None) -> Path:
        """The model's directory (kept inside `base_dir`; else from the run's workspace),
        else the tool's own `directory`.

        Raises:
            ValueError: Neither the model nor the tool named a directory.
            PermissionError: The path leads outside `base_dir`.
        """
        if given:
            if self.base_dir is not None:
                return resolve_inside(given, self.base_dir)
            return scoped_path(given)
        if self.directory is None:
            raise ValueError("no directory to list: give its path as directory")
        return Path(self.directory).expanduser()

    def _confined(self, given: object) -> bool:
        """Whether the listing is limited to the run's workspace: only a folder the model
        names, when the tool has no `base_dir`."""
        return bool(given) and self.base_dir is None

    def _unscoped_root(self) -> Path | None:
        """Outside a run, the folder listings must stay in: none (the code calls the tool)."""
        return None

    def _entry(self, root: Path, path: Path) -> str | None:
        """How `path` is listed (None: not listed); folders end with "/"."""
        return path.relative_to(root).as_posix() + ("/" if path.is_dir() else "")

    def _heading(self, root: Path) -> str:
        """The line above the entries."""
        return f"File paths under {root}:"


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

        url = self._url(kwargs)
        if not url.startswith(("http://", "https://")):
            raise ValueError("only http:// and https:// addresses can be fetched")
        client = httpx.AsyncClient(
            timeout=self.timeout_s, follow_redirects=True, **self._client_options()
        )
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
        return self._present(text)

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest:
        """Every fetch asks first: kind "network", naming the address."""
        url = self._url(arguments)
        return ApprovalRequest(
            kind="network", tool_name=self.name, summary=f"GET {url}", detail=f"GET {url}",
            target=url,
        )

    def _url(self, kwargs: dict[str, Any]) -> str:
        """The address to fetch, from the model's arguments."""
        return str(kwargs["website_url"])

    def _client_options(self) -> dict[str, Any]:
        """Extra `httpx.AsyncClient` options (headers, cookies); none by default."""
        return {}

    def _present(self, text: str) -> str:
        """The page's text as the model gets it: at most `max_chars` characters."""
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

CREWAI_TOOL_NAMES = (
    "BraveSearchTool", "CSVSearchTool", "CodeInterpreterTool", "DirectoryReadTool",
    "DirectorySearchTool", "EXASearchTool", "ExaSearchTool", "FileReadTool", "FileWriterTool",
    "JSONSearchTool", "MDXSearchTool", "PDFSearchTool", "ScrapeWebsiteTool", "SerperDevTool",
    "TXTSearchTool", "TavilySearchTool", "WebsiteSearchTool",
)
"""The `crewai_tools` classes CrewDesk has (`desktop_app.engine.toolkit`), by class name."""

_CREWAI_NETWORK_TOOLS = frozenset({"ScrapeWebsiteTool", "WebsiteSearchTool"})
"""Toolkit tools that fetch any address the model gives: off by default, as `fetch_url`.
(The search tools reach one service only, with a key the user set up.)"""


def _toolkit_tool(name: str) -> BaseTool:
    """A fresh `desktop_app.engine.toolkit` tool made with no arguments (imported on first
    use, so `import desktop_app.engine` stays light)."""
    from desktop_app.engine import toolkit

    made = getattr(toolkit, name)()
    assert isinstance(made, BaseTool)
    return made


def _network_allowed(allow_network: bool | None) -> bool:
    if allow_network is not None:
        return allow_network
    return os.environ.get(FETCH_URL_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def known_tool_names(*, allow_network: bool | None = None) -> list[str]:
    """The names `tool_by_name` knows: the built-in tools' names and CrewAI's class names
    of the toolkit (those that fetch any address only when the network is allowed)."""
    allowed = _network_allowed(allow_network)
    names = list(_FACTORIES) + [
        name for name in CREWAI_TOOL_NAMES if allowed or name not in _CREWAI_NETWORK_TOOLS
    ]
    if allowed:
        names += list(_NETWORK_FACTORIES)
    return sorted(names)


def tool_by_name(name: str, *, allow_network: bool | None = None) -> BaseTool:
    """A fresh tool by its built-in name or its `crewai_tools` class name.

    Args:
        name: "read_file", "list_directory", "code_interpreter" or "fetch_url", or a
            `crewai_tools` class name CrewDesk has ("SerperDevTool", "FileReadTool", ...:
            `CREWAI_TOOL_NAMES`), made with no arguments, as CrewAI's YAML tools are.
        allow_network: Registers `fetch_url`, `ScrapeWebsiteTool` and `WebsiteSearchTool`;
            None reads `CREWDESK_ENABLE_FETCH_URL`.

    Raises:
        KeyError: No such tool (the message lists the known names), or a tool that fetches
            any address while the network is off (the message says how to turn it on).
    """
    if name in _FACTORIES:
        return _FACTORIES[name]()
    network = name in _NETWORK_FACTORIES or name in _CREWAI_NETWORK_TOOLS
    if network and not _network_allowed(allow_network):
        raise KeyError(
            f"the tool '{name}' reaches the network and is off by default; set "
            f"{FETCH_URL_ENV}=1 (or pass allow_network=True) to enable it"
        )
    if name in _NETWORK_FACTORIES:
        return _NETWORK_FACTORIES[name]()
    if name in CREWAI_TOOL_NAMES:
        return _toolkit_tool(name)
    known = ", ".join(known_tool_names(allow_network=allow_network))
    raise KeyError(f"CrewDesk has no tool named '{name}'; known tools: {known}")
