"""CrewAI Flow projects (``crewai create flow``): found, and run as ``crewai run`` runs them.

The layout: ``pyproject.toml`` with ``[tool.crewai] type = "flow"`` and
``[project.scripts] kickoff = "<pkg>.main:kickoff"``, ``src/<pkg>/main.py`` holding the Flow
class and ``kickoff()``/``plot()``, crews under ``src/<pkg>/crews/<name>/`` with their own
``config/`` YAML. Running the project calls ``kickoff()`` (its ``run_crew`` script); with
inputs, CrewDesk makes the Flow class itself and calls ``kickoff(inputs=...)``.
"""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path
from typing import Any

from desktop_app.compat._project_errors import ProjectError

__all__ = ["defines_flow", "flow_class", "flow_setup_code", "flow_spec_parts", "is_flow_project",
           "kickoff_to_end"]

_FLOW_CLASS = re.compile(r"^\s*class\s+\w+\s*\(\s*Flow\b", re.MULTILINE)
_KICKOFFS = frozenset({"kickoff", "kickoff_async", "akickoff", "plot"})


def is_flow_project(pyproject: dict[str, Any]) -> bool:
    """Whether ``pyproject.toml`` says ``[tool.crewai] type = "flow"``."""
    tool = pyproject.get("tool", {})
    crewai = tool.get("crewai", {}) if isinstance(tool, dict) else {}
    return isinstance(crewai, dict) and crewai.get("type") == "flow"


def flow_spec_parts(root: Path, entry: tuple[str, str] | None
                    ) -> tuple[Path, str, Path, str, str]:
    """``(main_py, name, source_dir, main_module, function)`` of the flow project at ``root``.

    Args:
        root: The project's folder.
        entry: The ``(module, function)`` its scripts run (``kickoff``), when it has one.

    Raises:
        ProjectError: No ``main.py`` is there.
    """
    if entry is not None:
        module, function = entry
        for base in (root / "src", root):
            main_py = (base / Path(*module.split("."))).with_suffix(".py")
            if main_py.is_file():
                return main_py, module.split(".")[0], base, module, function
    mains = sorted(root.glob("src/*/main.py")) or sorted(root.glob("*/main.py"))
    if not mains:
        raise ProjectError(root / "pyproject.toml", None, "a Flow project without "
                           "src/<name>/main.py (where crewai create flow puts the Flow)")
    main_py = mains[0]
    package = main_py.parent
    return main_py, package.name, package.parent, f"{package.name}.main", "kickoff"


def flow_class(namespace: dict[str, Any], module_name: str, path: Path) -> type:
    """The Flow class a flow project's ``main.py`` defines (the last one, if several).

    Raises:
        ProjectError: It defines none.
    """
    from desktop_app.engine.flow import Flow

    found = [value for value in namespace.values()
             if isinstance(value, type) and issubclass(value, Flow) and value is not Flow
             and getattr(value, "__module__", None) == module_name]
    if not found:
        raise ProjectError(path, None, "defines no Flow class (a subclass of "
                           "crewai.flow.Flow with @start() methods)")
    return found[-1]


def defines_flow(source: str) -> bool:
    """Whether a script's source defines a Flow class (``class X(Flow...)``)."""
    return bool(_FLOW_CLASS.search(source))


def flow_setup_code(source: str, path: Path) -> types.CodeType:
    """A flow script without its top-level statements that kick something off or plot
    (steps may kick crews off inside their methods: those are kept), nor those that use what
    such a statement made (`for frame in streaming:` after `streaming = flow.kickoff()`), so
    CrewDesk can make the Flow class and kick it off with the given inputs."""
    tree = ast.parse(source, str(path))
    body: list[ast.stmt] = []
    made: set[str] = set()
    for statement in tree.body:
        if _kicks_off_here(statement) or _uses(statement, made):
            made |= _bound(statement)
        else:
            body.append(statement)
    module = ast.Module(body=body, type_ignores=[])
    code: types.CodeType = compile(module, str(path), "exec",
                                   flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    return code


def kickoff_to_end(flow: Any, inputs: dict[str, Any] | None) -> object:
    """Kicks `flow` off with `inputs` and returns its result; a streaming flow's session
    (`stream = True`) is read to its end first (its steps and crews print from the bus)."""
    from desktop_app.engine.flow import StreamSession

    outcome = flow.kickoff(inputs=inputs)
    if isinstance(outcome, StreamSession):
        for _frame in outcome:
            pass
        return outcome.result
    return outcome


def _bound(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds."""
    return {target.id for target in ast.walk(node)
            if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store)}


def _uses(node: ast.stmt, names: set[str]) -> bool:
    """Whether a statement (not a def or class: those may reuse a name locally) reads any
    of `names`."""
    if not names or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return False
    return any(isinstance(child, ast.Name) and child.id in names
               and isinstance(child.ctx, ast.Load) for child in ast.walk(node))


def _kicks_off_here(node: ast.AST) -> bool:
    """A call of ``.kickoff(...)`` (or ``.plot``) in ``node`` outside any def or class."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
        return False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
            node.func.attr in _KICKOFFS):
        return True
    return any(_kicks_off_here(child) for child in ast.iter_child_nodes(node))
