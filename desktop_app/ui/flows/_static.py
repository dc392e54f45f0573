"""The crews a flow's step kicks off, as its source shows them (read with `ast`; no code runs).

A step that runs ``ContentCrew().crew().kickoff(...)`` names ``ContentCrew``: the graph shows
it under the step's name. Only names ending in "Crew" (a ``@CrewBase`` class, or ``Crew``
itself) count; a crew made elsewhere and passed in is not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path

from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded
from desktop_app.engine.flow import FlowGraph

__all__ = ["crews_by_step"]


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
