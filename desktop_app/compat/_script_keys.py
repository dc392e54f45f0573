"""The tool keys a script or notebook needs, checked before it runs, from its source.

A project's crew is built first and its tools checked (`_project_crew.check_tool_keys`). A
script's crew is made by the script's own top-level code, which may ask questions
(``input()``), print, write files or call services before its ``kickoff``: building it once
more only to check it would run that code twice. So its source is read instead: a tool of
``crewai_tools`` whose key is nowhere (environment, ``.env``, Settings) is refused at the line
that makes it. Only what is certain is refused: a call that passes ``api_key=`` (or
``**options``), a key named anywhere in the source (``os.environ["SERPER_API_KEY"] = ...``),
and a script that loads variables itself (``load_dotenv(path)``, ``os.environ.update``) are
left to the run; ``load_dotenv()`` reads the ``.env`` beside the script, which CrewDesk read.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator

from desktop_app.compat._project_source import Program

__all__ = ["check_script_tool_keys"]

_TOOLS_MODULE = "crewai_tools"


def check_script_tool_keys(program: Program) -> None:
    """Refuses a script whose ``crewai_tools`` tools need a key that is nowhere.

    Raises:
        ProjectError: A required key is missing; names the tool, the variable and the line
            that makes the tool (a notebook's cell and line).
    """
    from desktop_app.compat._project_crew import key_problem
    from desktop_app.engine.toolkit._keys import key_for

    try:
        tree = ast.parse(program.source, str(program.path))
    except SyntaxError:
        return
    imported = _tool_names(tree)
    if not imported or _loads_variables(tree, (program.path.parent / ".env").is_file()):
        return
    named = {node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    for call, class_name in _tool_calls(tree, imported):
        if any(k.arg in (None, "api_key") for k in call.keywords):
            continue
        for key in _toolkit_keys(class_name):
            if key not in named and key_for(key) is None:
                raise program.problem_at(call.lineno, key_problem(class_name, key))


def _tool_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> ``crewai_tools`` name, for ``from crewai_tools import X [as Y]``, and
    ``crewai_tools`` itself for ``import crewai_tools [as t]``."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == _TOOLS_MODULE:
            names.update({alias.asname or alias.name: alias.name for alias in node.names})
        elif isinstance(node, ast.Import):
            names.update({alias.asname or alias.name: _TOOLS_MODULE for alias in node.names
                          if alias.name == _TOOLS_MODULE})
    return names


def _tool_calls(tree: ast.Module, imported: dict[str, str]) -> Iterator[tuple[ast.Call, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and imported.get(func.id, _TOOLS_MODULE) != _TOOLS_MODULE:
            yield node, imported[func.id]
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
              and imported.get(func.value.id) == _TOOLS_MODULE):
            yield node, func.attr


def _loads_variables(tree: ast.Module, env_read: bool) -> bool:
    """Whether the script sets variables in ways its source does not spell out: ``dotenv``
    (but ``load_dotenv()`` of the ``.env`` beside it, which CrewDesk read: ``env_read``),
    ``os.putenv``, ``os.environ.update(...)``, ``os.environ[name] = ...`` with a computed name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dotenv":
            if any(alias.asname for alias in node.names):
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id
            on_environ = isinstance(func, ast.Attribute) and _is_environ(func.value)
            if name == "putenv" or (on_environ and name == "update"):
                return True
            if name == "load_dotenv" and (not env_read or node.args or any(
                    k.arg in (None, "dotenv_path", "stream") for k in node.keywords)):
                return True
        elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
              and _is_environ(node.value) and not isinstance(node.slice, ast.Constant)):
            return True
    return False


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def _toolkit_keys(class_name: str) -> list[str]:
    """The key variable of a ``crewai_tools`` tool (the toolkit module's ``KEY_ENV``)."""
    from desktop_app.compat import crewai_tools

    try:
        cls = getattr(crewai_tools, class_name)
    except (AttributeError, ImportError):
        return []
    if not isinstance(cls, type):
        return []
    for base in cls.__mro__:
        key = getattr(sys.modules.get(base.__module__), "KEY_ENV", None)
        if isinstance(key, str) and base.__module__.startswith("desktop_app.engine.toolkit"):
            return [key]
    return []
