"""Every tool the designer can offer an agent, with what each needs (contract K4).

A crew document lists an agent's tools by name (``agents[].tools``); this catalog says which
names there are and what each tool needs before it works:

- ``builtin``: the engine's own tools (`desktop_app.engine.builtin_tools`: ``read_file``...).
- ``crewai_tools``: the CrewAI-named tools of `desktop_app.engine.toolkit`, by class name
  (``SerperDevTool``...), with the key variable each reads (its module's ``KEY_ENV``).
- ``mcp``: tools of the MCP servers in Settings, named ``mcp:<server>/<tool>`` (`mcp_entry`);
  the caller lists them (connecting to a server is not the catalog's business) and passes them.
- ``project``: ``@tool`` functions in the crew's folder (``tools/*.py``) and in a CrewAI
  project's ``src/<pkg>/tools/*.py``, found by reading the files' syntax trees: no project code
  runs to list them. Each is named ``project:<module path from the folder>.<function>``
  (``project:tools.word_count.word_count``); `desktop_app.documents._project_tools` loads it
  for a run, and only from a folder the user trusts.

A file that cannot be read or parsed gives a warning in `Catalog.warnings`, never an entry and
never an exception: one broken file must not hide the other tools.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "MCP_PREFIX",
    "PROJECT_PREFIX",
    "SOURCE_TITLES",
    "Catalog",
    "ToolEntry",
    "ToolSource",
    "catalog",
    "load_catalog",
    "mcp_entry",
    "project_tool_files",
    "read_tool_file",
    "scan_project_tools",
]

ToolSource = Literal["builtin", "crewai_tools", "mcp", "project"]

PROJECT_PREFIX = "project:"
"""How a project tool's name starts (``project:tools.word_count.word_count``)."""

MCP_PREFIX = "mcp:"
"""How an MCP tool's name starts (``mcp:<server>/<tool>``)."""

SOURCE_TITLES: dict[ToolSource, str] = {
    "builtin": "Built-in tools",
    "crewai_tools": "CrewAI tools",
    "mcp": "MCP servers",
    "project": "This crew's Python tools",
}
"""The heading of each source, in the order the designer shows them."""

MAX_TOOL_FILE_BYTES = 1_000_000
"""A tool file larger than this is not read (a warning names it)."""


@dataclass(frozen=True, slots=True)
class ToolEntry:
    """One tool an agent can be given.

    Attributes:
        name: The name stored in the document's ``agents[].tools``.
        title: What people call it (the tool's own name).
        description: What it does (what the model reads).
        source: Where it comes from.
        needs_key: The environment variable (or Settings tool key) it reads its key from.
        needs_network: It reaches a service or an address over the network.
        needs_files: It reads or writes files.
        runs_code: It runs code the model writes.
        off_by_default: The engine refuses to make it until it is turned on (``note`` says
            how): tools that fetch any address the model gives.
        note: A sentence more, such as how to turn the tool on or where it is defined.
    """

    name: str
    title: str
    description: str
    source: ToolSource
    needs_key: str | None = None
    needs_network: bool = False
    needs_files: bool = False
    runs_code: bool = False
    off_by_default: bool = False
    note: str = ""

    def matches(self, text: str) -> bool:
        """Whether every word of ``text`` is in the name, title or description (any case)."""
        haystack = f"{self.name}\n{self.title}\n{self.description}".casefold()
        return all(word in haystack for word in text.casefold().split())


@dataclass(frozen=True, slots=True)
class Catalog:
    """The tools on offer and what could not be read while listing them.

    Attributes:
        entries: The tools, by source (built-in, CrewAI, MCP, project), then by name.
        warnings: One sentence per file that was skipped (it names the file and why).
    """

    entries: tuple[ToolEntry, ...]
    warnings: tuple[str, ...] = field(default=())

    def entry(self, name: str) -> ToolEntry | None:
        """The entry stored as ``name``, if there is one."""
        return next((entry for entry in self.entries if entry.name == name), None)


def catalog(
    *, mcp_tools: Sequence[ToolEntry] = (), project_dir: Path | None = None
) -> list[ToolEntry]:
    """The tools on offer (contract K4); `load_catalog` also gives the warnings.

    Args:
        mcp_tools: The MCP servers' tools (`mcp_entry`), listed by the caller.
        project_dir: The crew's folder, searched for ``@tool`` functions; None: none.
    """
    return list(load_catalog(mcp_tools=mcp_tools, project_dir=project_dir).entries)


def load_catalog(
    *, mcp_tools: Sequence[ToolEntry] = (), project_dir: Path | None = None
) -> Catalog:
    """The tools on offer with the warnings met while listing them (blocking: reads files).

    Args:
        mcp_tools: The MCP servers' tools (`mcp_entry`), listed by the caller.
        project_dir: The crew's folder, searched for ``@tool`` functions; None: none.
    """
    project: list[ToolEntry] = []
    warnings: list[str] = []
    if project_dir is not None:
        project, warnings = scan_project_tools(project_dir)
    entries = [*_builtin_entries(), *_toolkit_entries(), *sorted(mcp_tools, key=_by_name),
               *project]
    return Catalog(tuple(entries), tuple(warnings))


def _by_name(entry: ToolEntry) -> str:
    return entry.name.casefold()


def mcp_entry(
    server: str,
    tool: str,
    description: str,
    *,
    key_name: str | None = None,
    network: bool = False,
) -> ToolEntry:
    """The entry of tool ``tool`` of the MCP server named ``server`` in Settings.

    Args:
        server: The server's name in Settings.
        tool: The tool's name on that server.
        description: The tool's description, as the server gives it.
        key_name: The server's key in the keychain (``mcp:<server>``), if it has one.
        network: The server is reached over HTTP (or its stdio process may use the network).
    """
    return ToolEntry(
        name=f"{MCP_PREFIX}{server}/{tool}", title=tool, description=description,
        source="mcp", needs_key=key_name, needs_network=network,
        note=f"from the MCP server '{server}'",
    )


# -- built-in and toolkit tools -----------------------------------------------------------

_BUILTINS = (
    ToolEntry("read_file", "Read a file", "Read the content of a text file.", "builtin",
              needs_files=True),
    ToolEntry("list_directory", "List a folder",
              "List the files in a directory and its subdirectories.", "builtin",
              needs_files=True),
    ToolEntry("code_interpreter", "Run Python code",
              "Run Python code the model writes, in a sandbox, and return what it prints.",
              "builtin", runs_code=True),
    ToolEntry("fetch_url", "Fetch a web page",
              "Fetch a web page (http or https) and return its text.", "builtin",
              needs_network=True),
)
"""The engine's own tools (`desktop_app.engine.builtin_tools`)."""

_TOOLKIT_FILES = frozenset({
    "CSVSearchTool", "DirectoryReadTool", "DirectorySearchTool", "FileReadTool",
    "FileWriterTool", "JSONSearchTool", "MDXSearchTool", "PDFSearchTool", "TXTSearchTool",
})
"""Toolkit tools that read or write the user's files."""

_TOOLKIT_NETWORK_ANY = frozenset({"ScrapeWebsiteTool", "WebsiteSearchTool"})
"""Toolkit tools that fetch any address the model gives (no key, no fixed service)."""


def _builtin_entries() -> list[ToolEntry]:
    return [_gated(entry) for entry in _BUILTINS]


def _gated(entry: ToolEntry) -> ToolEntry:
    """``entry`` marked off by default when the engine's registry makes it only with the
    network allowed (``CREWDESK_ENABLE_FETCH_URL``)."""
    from desktop_app.engine.builtin_tools import FETCH_URL_ENV, known_tool_names

    if entry.name in known_tool_names(allow_network=False):
        return entry
    return dataclasses.replace(
        entry, off_by_default=True,
        note=f"off unless {FETCH_URL_ENV}=1 is set (it reaches any address the model gives)")


@functools.cache
def _toolkit_entries() -> tuple[ToolEntry, ...]:
    """One entry per CrewAI tool class CrewDesk has, read from the class (none is made;
    kept: the classes do not change while the process runs)."""
    from desktop_app.engine import toolkit
    from desktop_app.engine.builtin_tools import CREWAI_TOOL_NAMES
    from desktop_app.engine.toolkit._http import ServiceTool

    entries = []
    for name in sorted(CREWAI_TOOL_NAMES):
        cls = getattr(toolkit, name)
        key = getattr(importlib.import_module(cls.__module__), "KEY_ENV", None)
        entries.append(ToolEntry(
            name=name,
            title=str(cls.model_fields["name"].default),
            description=str(cls.model_fields["description"].default),
            source="crewai_tools",
            needs_key=key if isinstance(key, str) else None,
            needs_network=issubclass(cls, ServiceTool) or name in _TOOLKIT_NETWORK_ANY,
            needs_files=name in _TOOLKIT_FILES,
            runs_code=name == "CodeInterpreterTool",
        ))
    return tuple(_gated(entry) for entry in entries)


# -- project tools (static) ---------------------------------------------------------------

_NETWORK_MODULES = frozenset({"httpx", "requests", "urllib", "aiohttp", "socket", "http"})
_FILE_CALLS = frozenset({"open", "read_text", "write_text", "read_bytes", "write_bytes"})


def project_tool_files(folder: Path) -> list[Path]:
    """The Python files project tools are looked for in: ``tools/*.py`` and a CrewAI
    project's ``src/<pkg>/tools/*.py`` (sorted; ``__init__.py``, hidden files and folders
    left out). Special files stay in, for the reader to refuse by name."""
    found = [*folder.glob("tools/*.py"), *folder.glob("src/*/tools/*.py")]
    return sorted(path for path in found
                  if not path.is_dir() and not path.name.startswith(("_", ".")))


def scan_project_tools(folder: Path) -> tuple[list[ToolEntry], list[str]]:
    """The ``@tool`` functions of ``folder``'s tool files, read without running them.

    Returns:
        The entries, and one warning per file that could not be read or parsed.
    """
    entries: list[ToolEntry] = []
    warnings: list[str] = []
    for path in project_tool_files(folder):
        try:
            tree = ast.parse(read_tool_file(path), filename=str(path))
        except SyntaxError as exc:
            warnings.append(f"{path}:{exc.lineno or 0}: not valid Python ({exc.msg}); "
                            "its tools are not listed")
            continue
        except (OSError, ValueError) as exc:
            warnings.append(f"{path}: cannot be read ({exc}); its tools are not listed")
            continue
        module = ".".join(path.relative_to(folder).with_suffix("").parts)
        entries += _tools_in(tree, module, path)
    return entries, warnings


def read_tool_file(path: Path) -> bytes:
    """The bytes of a tool file (Python source; its coding line is honoured by the parser),
    through the bounded reader: special files and files over `MAX_TOOL_FILE_BYTES` refused.

    Raises:
        UnsafeFileError: Not a regular file, or too large (a `ValueError` naming the file).
        OSError: It cannot be read.
    """
    from desktop_app.engine.bounded_read import read_bytes_bounded

    return read_bytes_bounded(path, limit=MAX_TOOL_FILE_BYTES, what="tool file")


def _tools_in(tree: ast.Module, module: str, path: Path) -> list[ToolEntry]:
    """The entries of the module-level ``@tool`` functions of one file."""
    imports = _imported_modules(tree)
    network = bool(imports & _NETWORK_MODULES)
    entries = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        title = next((found for deco in node.decorator_list
                      if (found := _tool_title(deco, node.name)) is not None), None)
        if title is None:
            continue
        entries.append(ToolEntry(
            name=f"{PROJECT_PREFIX}{module}.{node.name}",
            title=title,
            description=ast.get_docstring(node) or "(no docstring: the tool will not load)",
            source="project",
            needs_key=_key_read(node),
            needs_network=network,
            needs_files=_uses_files(node),
            note=f"{path.name}:{node.lineno}",
        ))
    return entries


def _tool_title(decorator: ast.expr, function: str) -> str | None:
    """The tool's name when ``decorator`` is ``@tool``/``@tool("Name")`` (any module
    prefix), else None."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call is not None else decorator
    named = target.id if isinstance(target, ast.Name) else (
        target.attr if isinstance(target, ast.Attribute) else None)
    if named != "tool":
        return None
    if call is not None and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value)
    return function


def _imported_modules(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _key_read(function: ast.AST) -> str | None:
    """The first ``*_KEY``/``*_TOKEN`` variable the function reads (``os.environ[...]``,
    ``os.getenv(...)``, ``os.environ.get(...)``), if any."""
    for text in _string_constants(ast.walk(function)):
        if text.isupper() and text.endswith(("_KEY", "_TOKEN")):
            return text
    return None


def _string_constants(nodes: Iterable[ast.AST]) -> Iterable[str]:
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def _uses_files(function: ast.AST) -> bool:
    """Whether the function calls ``open`` or a path's read/write methods."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in _FILE_CALLS:
                return True
    return False
