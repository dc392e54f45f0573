"""A flow's graph and the crews its steps kick off, as its source shows them (read with
`ast`; no code runs).

A step that runs ``ContentCrew().crew().kickoff(...)`` names ``ContentCrew``: the graph shows
it under the step's name. Only names ending in "Crew" (a ``@CrewBase`` class, or ``Crew``
itself) count; a crew made elsewhere and passed in is not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded
from desktop_app.engine.flow import FlowGraph, Step
from desktop_app.engine.flow._dsl import Condition, FlowMark

__all__ = ["crews_by_step", "static_graph"]


def crews_by_step(graph: FlowGraph) -> dict[str, list[str]]:
    """Each step's crew names, in the order its body names them (blocking: reads files)."""
    trees: dict[str, ast.Module | None] = {}
    found: dict[str, list[str]] = {}
    for step in graph.steps.values():
        if step.file is None or step.line is None:
            continue
        if step.file not in trees:
            trees[step.file] = _parse(Path(step.file))
        tree = trees[step.file]
        function = _function_at(tree, step.name, step.line) if tree is not None else None
        if function is not None:
            names = _crew_names(function)
            if names:
                found[step.name] = names
    return found


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(read_text_bounded(path, what="flow source"), str(path))
    except (OSError, SyntaxError, UnsafeFileError, ValueError):
        return None


def _function_at(tree: ast.Module, name: str, line: int
                 ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def called `name` whose decorators or `def` line is `line` (inspect's line)."""
    best: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first == line or node.lineno == line:
                return node
            best = best or node
    return best


def _crew_names(function: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        if name.endswith("Crew") and name not in names:
            names.append(name)
    return names


def static_graph(path: Path) -> FlowGraph | None:
    """The graph of the last Flow class in `path`, read from its source alone (blocking).

    For a project opened without running its code (or whose code failed): `@start`,
    `@listen`, `@router`, `or_`/`and_` and `@human_feedback(emit=...)` are read from the
    decorators, a router's labels from the strings it returns. None when no Flow class with
    a `@start()` is there.
    """
    tree = _parse(path)
    if tree is None:
        return None
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(_base_name(base) == "Flow" for base in node.bases)]
    if not classes:
        return None
    steps: dict[str, Step] = {}
    for node in classes[-1].body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark = _mark(node)
            if mark is not None:
                line = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                takes = len(node.args.args) > 1 or node.args.vararg is not None
                steps[node.name] = Step(node.name, mark, isinstance(node, ast.AsyncFunctionDef),
                                        takes, str(path), line)
    graph = FlowGraph(classes[-1].name, steps)
    return graph if graph.starts else None


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _mark(function: ast.FunctionDef | ast.AsyncFunctionDef) -> FlowMark | None:
    found: dict[str, Any] = {}
    for decorator in function.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        name = _base_name(decorator.func)
        first = _condition(decorator.args[0]) if decorator.args else None
        if name == "start":
            found["start"] = True if first is None else first
        elif name in ("listen", "router") and first is not None:
            found["listen"] = first
            found["router"] = found.get("router", False) or name == "router"
        elif name == "human_feedback":
            emit = next((k.value for k in decorator.keywords if k.arg == "emit"), None)
            labels = _strings(emit) if emit is not None else []
            if labels:
                found.update(router=True, emits=tuple(labels))
    if not found:
        return None
    if found.get("router") and "emits" not in found:
        found["emits"] = tuple(_returned_labels(function))
    return FlowMark(**found)


def _condition(node: ast.expr) -> Condition | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name | ast.Attribute):
        return _base_name(node)
    if isinstance(node, ast.Call) and _base_name(node.func) in ("or_", "and_"):
        parts = [part for part in (_condition(arg) for arg in node.args) if part is not None]
        kind = "OR" if _base_name(node.func) == "or_" else "AND"
        return {"type": kind, "conditions": parts}
    return None


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple):
        return [e.value for e in node.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _returned_labels(function: ast.AST) -> list[str]:
    labels: list[str] = []
    for node in ast.walk(function):
        value = node.value if isinstance(node, ast.Return) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            labels.append(value.value)
        elif isinstance(value, ast.IfExp):
            labels.extend(v.value for v in (value.body, value.orelse)
                          if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return list(dict.fromkeys(labels))
