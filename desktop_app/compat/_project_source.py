"""Scripts and notebooks: their code, compiled with the file's name, and run as a module.

A notebook's code cells are joined in order into one program. IPython's ``%magic`` and
``!shell`` lines mean nothing to Python; each is replaced by ``pass`` with a `ProjectWarning`
naming its cell, and a ``%%cell magic`` cell is skipped whole. Top-level ``await`` (which
notebooks allow) is compiled too and run on a fresh event loop. Errors name the cell and its
line, since a notebook's own lines are JSON.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import json
import sys
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_app.compat._project_errors import ProjectError, ProjectWarning, from_exception
from desktop_app.compat._project_ipython import ipython_stand_in
from desktop_app.compat._project_locate import read_project_text

TOO_DEEP = "Python nested too deeply to read (the parser gives up)"
"""What CPython's RecursionError or MemoryError on deeply nested source means."""


@dataclass(frozen=True)
class Program:
    """The code of a script or notebook, compiled.

    Attributes:
        path: The script or notebook.
        code: Its compiled code (file name: ``path``).
        cells: For a notebook, the (cell number, line in cell) of each line of the joined
            code (index 0 is line 1); empty for a script.
    """

    path: Path
    code: types.CodeType
    cells: tuple[tuple[int, int], ...] = ()
    source: str = ""

    def setup_code(self) -> types.CodeType:
        """The program up to its first top-level statement that kicks a crew off.

        What builds a crew from a script: its agents, tasks and crew are made before its
        ``crew.kickoff(...)``, which must not run when CrewDesk kicks the crew off itself.
        """
        tree = ast.parse(self.source, str(self.path))
        body: list[ast.stmt] = []
        for statement in tree.body:
            if _kicks_off(statement):
                break
            body.append(statement)
        module = ast.Module(body=body, type_ignores=[])
        code: types.CodeType = compile(module, str(self.path), "exec",
                                       flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        return code

    def error(self, exc: BaseException, root: Path) -> ProjectError:
        """The `ProjectError` for ``exc`` raised by this program, its cell named."""
        error = from_exception(exc, root, self.path)
        if not self.cells or error.path != self.path or error.line is None:
            return error
        return self.problem_at(error.line, error.message)

    def problem_at(self, line: int, message: str) -> ProjectError:
        """A `ProjectError` at ``line`` of the program: a notebook's cell and line named."""
        if not self.cells:
            return ProjectError(self.path, line, message)
        if not 1 <= line <= len(self.cells):
            return ProjectError(self.path, None, message)
        cell, in_cell = self.cells[line - 1]
        return ProjectError(self.path, None, f"cell {cell}, line {in_cell}: {message}")


_KICKOFFS = frozenset({"kickoff", "kickoff_async", "akickoff", "kickoff_for_each",
                       "kickoff_for_each_async", "akickoff_for_each"})


def _kicks_off(statement: ast.stmt) -> bool:
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr in _KICKOFFS for node in ast.walk(statement))


def read_program(path: Path) -> Program:
    """Reads and compiles a ``.py`` script or an ``.ipynb`` notebook.

    Raises:
        ProjectError: The file cannot be read, is not a notebook, or has a syntax error.
    """
    text = read_project_text(path, "script" if path.suffix == ".py" else "notebook")
    source, cells = (_notebook_source(path, text) if path.suffix == ".ipynb" else (text, ()))
    try:
        code = compile(source, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                       dont_inherit=True)
    except (RecursionError, MemoryError):
        raise ProjectError(path, None, TOO_DEEP) from None
    except SyntaxError as exc:
        raise Program(path, compile("", str(path), "exec"), cells).error(exc, path.parent) from None
    return Program(path, code, cells, source)


def _notebook_source(path: Path, text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
        assert isinstance(cells, list)
    except (RecursionError, MemoryError):
        raise ProjectError(path, None, "not a notebook: nested too deeply to read") from None
    except (ValueError, KeyError, TypeError, AssertionError):
        raise ProjectError(path, None, "not a Jupyter notebook (no list of cells)") from None
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        body = cell.get("source", "")
        cell_lines = ("".join(body) if isinstance(body, list) else str(body)).splitlines()
        for line_number, line in enumerate(_strip_magics(path, number, cell_lines), 1):
            lines.append(line)
            where.append((number, line_number))
    return "\n".join(lines) + "\n", tuple(where)


def _strip_magics(path: Path, cell: int, lines: list[str]) -> list[str]:
    if lines and lines[0].lstrip().startswith("%%"):
        warnings.warn(ProjectWarning(
            f"{path}: cell {cell}: cell magic {lines[0].split()[0]} is IPython, not Python; "
            "the cell is skipped"), stacklevel=4)
        return ["pass"] * len(lines)
    kept: list[str] = []
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) and not stripped.startswith("!="):
            warnings.warn(ProjectWarning(
                f"{path}: cell {cell}, line {number}: {stripped.split()[0]} is an IPython "
                "command, not Python; skipped"), stacklevel=4)
            kept.append(line[: len(line) - len(stripped)] + "pass")
        else:
            kept.append(line)
    return kept


@contextlib.contextmanager
def _module(name: str, path: Path) -> Iterator[types.ModuleType]:
    """A fresh module registered in ``sys.modules`` as ``name`` while the block runs.

    Registered because pydantic and dataclasses look classes' modules up there (a script's
    output model must resolve its annotations), and restored after, as ``runpy`` does.
    """
    module = types.ModuleType(name)
    module.__file__ = str(path)
    module.__dict__["__builtins__"] = __builtins__
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        yield module
    finally:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)


def execute(
    program: Program, name: str, root: Path, code: types.CodeType | None = None
) -> dict[str, object]:
    """Runs ``program`` (or ``code`` of it) as module ``name`` (``"__main__"`` for its own run).

    Returns:
        The module's globals after the run.

    Raises:
        ProjectError: The program raised (``SystemExit`` and ``KeyboardInterrupt`` pass).
    """
    stand_in: contextlib.AbstractContextManager[dict[str, object]] = (
        ipython_stand_in() if program.cells else contextlib.nullcontext({}))
    with _module(name, program.path) as module, stand_in as notebook_names:
        module.__dict__.update(notebook_names)  # `display` without an import, as in Jupyter
        try:
            result = eval(code or program.code, module.__dict__)  # noqa: S307 - the user's own
            if inspect.iscoroutine(result):  # a notebook's top-level await
                asyncio.run(result)
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - any error of the program is reported
            raise program.error(exc, root) from exc
        return dict(module.__dict__)
