"""A crew's own Python tools: writing a new one, and loading one for a run.

A project tool is a ``@tool`` function in the crew's folder (``tools/<module>.py``, or a
CrewAI project's ``src/<pkg>/tools/<module>.py``), named in the document as
``project:<module path from the folder>.<function>`` (see `desktop_app.documents.tool_catalog`,
which lists them without running anything). Loading one runs its file's code in this process,
so `load_project_tool` is only called for a folder the user trusts (``Settings.project_trust``
in the app; the CLI trusts what it is told to run unless ``--static``); `project_tool_problem`
says, without running anything, why a name cannot be loaded.

`new_tool_file` writes the template of a new tool (CrewAI's ``from crewai.tools import tool``,
a docstring and typed arguments) and never overwrites a file.
"""

from __future__ import annotations

import keyword
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.documents.tool_catalog import (
    MCP_PREFIX,
    PROJECT_PREFIX,
    project_tool_files,
    read_tool_file,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from desktop_app.engine import BaseTool
    from desktop_app.engine.mcp import McpServerSpec

__all__ = [
    "ProjectToolError",
    "catalog_tool_factory",
    "catalog_tool_problem",
    "load_project_tool",
    "new_tool_file",
    "project_tool_name",
    "project_tool_problem",
    "tool_template",
]

_TEMPLATE = '''"""The NAME tool of this crew: a CrewAI @tool function.

CrewDesk lists it in the designer's tool picker and runs it only when this folder is trusted.
"""

from crewai.tools import tool


@tool
def NAME(text: str) -> str:
    """Say here what this tool does and when an agent should use it: the model reads this.

    Args:
        text: What the agent gives the tool.
    """
    return f"NAME received: {text}"
'''


class ProjectToolError(LookupError):
    """A project tool cannot be made; the message names the tool and says why."""


def tool_template(name: str) -> str:
    """The source of a new ``@tool`` function called ``name``."""
    return _TEMPLATE.replace("NAME", name)


def project_tool_name(module: str, function: str) -> str:
    """The document's name of function ``function`` of module ``module`` (dotted path)."""
    return f"{PROJECT_PREFIX}{module}.{function}"


def new_tool_file(folder: Path, name: str) -> tuple[Path, str]:
    """Writes ``tools/<name>.py`` in ``folder`` with the template of tool ``name``.

    Returns:
        The file written and the tool's name for the document.

    Raises:
        ValueError: ``name`` is not a Python identifier, or the file exists (named).
        OSError: The file cannot be written.
    """
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(
            f"'{name}' cannot be a tool's name: use letters, digits and _ (not first), "
            "such as word_count")
    path = folder / "tools" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as stream:
            stream.write(tool_template(name))
    except FileExistsError:
        raise ValueError(f"{path} already exists: pick another name or edit that file") from None
    return path, project_tool_name(f"tools.{name}", name)


def _split(name: str, folder: Path | None) -> tuple[Path, str]:
    """The file and function a project tool's name points at.

    Raises:
        ProjectToolError: The name is malformed, there is no folder, or no such tool file.
    """
    parts = name.removeprefix(PROJECT_PREFIX).split(".")
    if len(parts) < 3 or not all(part.isidentifier() for part in parts):
        raise ProjectToolError(
            f"'{name}' is not a project tool's name (project:<module path>.<function>, "
            "such as project:tools.word_count.word_count)")
    if folder is None:
        raise ProjectToolError(
            f"the tool '{name}' is in the crew's folder, and this crew has none yet: save it")
    path = folder.joinpath(*parts[:-1]).with_suffix(".py")
    if path not in project_tool_files(folder):
        raise ProjectToolError(f"the tool '{name}' needs the file {path}, which is not there")
    return path, parts[-1]


def project_tool_problem(name: str, folder: Path | None, *, trusted: bool) -> str | None:
    """Why ``name`` cannot be loaded (read nothing but the folder's listing), or None."""
    try:
        path, _function = _split(name, folder)
    except ProjectToolError as exc:
        return str(exc)
    if not trusted:
        return (f"the tool '{name}' is Python code in {path}, and the folder {folder} is not "
                "trusted: trust it (the designer's tool picker) to run its tools")
    return None


def load_project_tool(name: str, folder: Path | None, *, trusted: bool) -> BaseTool:
    """Runs the tool's file and returns its ``@tool`` function's tool (a fresh one per call).

    Raises:
        ProjectToolError: The folder is not trusted, the file or function is missing, the
            file fails to run (file:line), or the function is not a ``@tool``.
    """
    from desktop_app.engine import BaseTool

    problem = project_tool_problem(name, folder, trusted=trusted)
    if problem is not None:
        raise ProjectToolError(problem)
    path, function = _split(name, folder)
    namespace = _run_file(path, name)
    made = namespace.get(function)
    if made is None:
        raise ProjectToolError(f"the tool '{name}': {path} has no function '{function}'")
    if not isinstance(made, BaseTool):
        raise ProjectToolError(
            f"the tool '{name}': {function} in {path} is not a tool; decorate it with @tool "
            "(from crewai.tools import tool)")
    return made


def _run_file(path: Path, name: str) -> dict[str, object]:
    """The globals of ``path`` after running it as a fresh module (the compat hook on, so
    ``from crewai.tools import tool`` works).

    Raises:
        ProjectToolError: It cannot be read, is not valid Python, or raised (file:line).
    """
    from desktop_app.compat import installed

    try:
        code = compile(read_tool_file(path), str(path), "exec")
    except (OSError, ValueError, SyntaxError) as exc:
        raise ProjectToolError(f"the tool '{name}': {path} cannot be loaded: {exc}") from None
    module_name = f"crewdesk_project_tool_{abs(hash(str(path)))}"
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    previous = sys.modules.get(module_name)
    sys.modules[module_name] = module  # pydantic resolves the arguments' types through it
    try:
        with installed():
            exec(code, module.__dict__)  # noqa: S102 - the trusted folder's own tool code
    except Exception as exc:  # noqa: BLE001 - any error of the file is reported with its line
        raise ProjectToolError(
            f"the tool '{name}': {path}:{_line_of(exc, path)}: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if previous is not None:
            sys.modules[module_name] = previous
        else:
            sys.modules.pop(module_name, None)
    return dict(module.__dict__)


def _line_of(exc: BaseException, path: Path) -> int:
    """The last line of ``path`` the traceback of ``exc`` passed through (0: none)."""
    line = 0
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == str(path):
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def catalog_tool_problem(
    name: str, folder: Path | None, *, trusted: bool,
    mcp_servers: Mapping[str, McpServerSpec] | None = None,
) -> str | None:
    """Why the default factory cannot make ``name`` (nothing is run), or None when it can.

    Project tools are checked by `project_tool_problem`; MCP tools need their server among
    ``mcp_servers`` (the servers in Settings, which a plain build does not have); other
    names by the engine's registry.
    """
    from desktop_app.engine.builtin_tools import tool_by_name

    if name.startswith(PROJECT_PREFIX):
        return project_tool_problem(name, folder, trusted=trusted)
    if name.startswith(MCP_PREFIX) and mcp_servers is not None:
        return _mcp_problem(name, mcp_servers)
    if name.startswith(MCP_PREFIX):
        return (f"the MCP tool '{name}' is served by an MCP server from Settings; this build "
                "was given no MCP tools (run the crew from the app, with the server set up)")
    try:
        tool_by_name(name)
    except KeyError as exc:
        return str(exc.args[0])
    return None


def _mcp_problem(name: str, servers: Mapping[str, McpServerSpec]) -> str | None:
    from desktop_app.engine.mcp import tool_from_reference

    try:
        tool_from_reference(name, servers)
    except ValueError as exc:
        return str(exc)
    return None


def catalog_tool_factory(
    folder: Path | None, *, trusted: bool,
    mcp_servers: Mapping[str, McpServerSpec] | None = None,
) -> Callable[[str], BaseTool]:
    """Makes any catalog name's tool: the engine's registry, the folder's project tools
    (loaded only when ``trusted``), or an MCP server's tool (``mcp:<server>/<tool>``, its
    server among ``mcp_servers``); raises `LookupError` (a `ProjectToolError` says why)."""
    from desktop_app.engine.builtin_tools import tool_by_name

    def make(name: str) -> BaseTool:
        if name.startswith(PROJECT_PREFIX):
            return load_project_tool(name, folder, trusted=trusted)
        if name.startswith(MCP_PREFIX) and mcp_servers is not None:
            from desktop_app.engine.mcp import tool_from_reference

            try:
                return tool_from_reference(name, mcp_servers)
            except ValueError as exc:
                raise ProjectToolError(str(exc)) from None
        return tool_by_name(name)

    return make
