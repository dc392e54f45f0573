"""The crew inside a project's code: its ``@CrewBase`` class, ``@crew`` method, inputs, keys.

Read from the objects the project's code made (the markers CrewAI's decorators set:
``is_crew_class`` on the class, ``is_crew`` on the method), so any way of writing them works.
"""

from __future__ import annotations

import ast
import datetime
import inspect
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.compat._project_errors import ProjectError, ProjectWarning
from desktop_app.compat._project_locate import read_project_text

if TYPE_CHECKING:
    from desktop_app.engine import Crew, MissingInputError


def crew_classes(namespace: dict[str, object], module_name: str) -> list[type]:
    """The ``@CrewBase`` classes of a module, those defined in it first, in source order."""
    classes = [value for value in namespace.values()
               if isinstance(value, type) and getattr(value, "is_crew_class", False)]
    own = [cls for cls in classes if cls.__module__ == module_name]
    return sorted(own, key=_source_line) + [cls for cls in classes if cls not in own]


def _source_line(cls: type) -> int:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return 0


def crew_method(cls: type, path: Path) -> str:
    """The name of the class's ``@crew`` method.

    Raises:
        ProjectError: It has none.
    """
    for name in dir(cls):
        if getattr(getattr(cls, name, None), "is_crew", False):
            return name
    raise ProjectError(path, _source_line(cls) or None,
                       f"@CrewBase class {cls.__name__} has no @crew method")


def config_path(cls: type, crew_py: Path, attribute: str, default: str) -> Path | None:
    """The YAML file a ``@CrewBase`` class reads (``agents_config = "config/agents.yaml"``)."""
    value = getattr(cls, attribute, default)
    if not isinstance(value, str | Path):
        value = default
    path = crew_py.parent / value
    return path if path.is_file() else None


def is_crew(value: object) -> bool:
    """True for an engine `Crew` (what ``crewai.Crew`` is under the hook)."""
    from desktop_app.engine import Crew

    return isinstance(value, Crew)


def main_inputs(main_py: Path) -> dict[str, Any]:
    """The ``inputs = {...}`` dict of a ``main.py`` (its ``run`` function's, else the first),
    else those of its first ``kickoff(inputs={...})`` call.

    Values are evaluated alone with only ``datetime`` and builtins at hand (the template's
    ``str(datetime.now().year)``); a value that needs more is left out with a warning.
    """
    try:
        source = read_project_text(main_py, "Python file")
        tree = ast.parse(source, str(main_py))
    except (ProjectError, SyntaxError, RecursionError, MemoryError):
        return {}  # the run itself says what is wrong with main.py
    found = _inputs_dict(tree)
    return script_inputs(source, main_py) if found is None else _evaluate(found, main_py)


def script_inputs(source: str, path: Path) -> dict[str, Any]:
    """The inputs of a script's (or notebook's) first ``kickoff(inputs={...})`` call."""
    try:
        tree = ast.parse(source, str(path))
    except (SyntaxError, RecursionError, MemoryError):
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "").startswith(
                ("kickoff", "akickoff")):
            for keyword in node.keywords:
                if keyword.arg == "inputs" and isinstance(keyword.value, ast.Dict):
                    return _evaluate(keyword.value, path)
    return {}


def _evaluate(found: ast.Dict, path: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    namespace = {"datetime": datetime.datetime, "date": datetime.date}
    for key_node, value_node in zip(found.keys, found.values, strict=True):
        if not isinstance(key_node, ast.Constant) or not isinstance(key_node.value, str):
            continue
        try:
            code = compile(ast.Expression(value_node), str(path), "eval")
            values[key_node.value] = eval(code, namespace)  # noqa: S307 - the project's own
        except Exception as exc:  # noqa: BLE001 - any failure leaves this input out
            warnings.warn(ProjectWarning(
                f"{path}:{value_node.lineno}: input {key_node.value!r} could not be "
                f"worked out without running {path.name} ({type(exc).__name__}); left out"),
                stacklevel=3)
    return values


def _inputs_dict(tree: ast.Module) -> ast.Dict | None:
    functions = [node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name == "run"]
    for scope in [*functions, tree]:
        for node in ast.walk(scope):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                    and any(isinstance(t, ast.Name) and t.id == "inputs" for t in node.targets)):
                return node.value
    return None


def check_tool_keys(crew: Crew, fallback: Path) -> None:
    """Refuses a crew whose tools need a key that is nowhere (environment, .env, Settings).

    A tool asks for its key only when it runs, and then the model gets the error while the
    run goes on; a project run checks first, so the user hears it at once, with the line of
    the agent that has the tool.

    Raises:
        ProjectError: A required key is missing; it names the tool, the variable and where.
    """
    from desktop_app.engine.toolkit._keys import key_for

    for owner, tools in _tools_of(crew):
        for tool in tools:
            if getattr(tool, "api_key", None):
                continue
            for name in _required_keys(tool):
                if key_for(name) is None:
                    path, line = _where(owner, tool, fallback)
                    raise ProjectError(path, line, key_problem(type(tool).__name__, name))


def key_problem(tool_name: str, key: str) -> str:
    """What to say of a tool whose key is nowhere: where to put it."""
    return (f"{tool_name} needs the key {key}: set the environment variable {key} (or put it "
            f"in the project's .env, or add {key} in CrewDesk's Settings, under tool keys)")


def missing_inputs(crew: Crew, inputs: Mapping[str, object]) -> list[MissingInputError]:
    """The placeholders of the crew's tasks and their agents that `inputs` has no value for,
    as the errors the engine's run would raise (its locations), before any run starts.

    None when the crew has ``@before_kickoff`` callbacks: they may add the values.
    """
    from desktop_app.engine import MissingInputError
    from desktop_app.engine._interpolate import missing_inputs as missing

    if crew.before_kickoff_callbacks:
        return []
    texts: list[tuple[str, str]] = []
    for index, task in enumerate(crew.tasks):
        label = f"task '{task.name}'" if task.name else f"task {index + 1}"
        texts += [(task.description, f"{label} description"),
                  (task.expected_output, f"{label} expected_output"),
                  (task.output_file or "", f"{label} output_file")]
        agent = crew.agent_for(task)
        where = f"agent '{agent.role}'"
        texts += [(agent.role, f"{where} role"), (agent.goal, f"{where} goal"),
                  (agent.backstory, f"{where} backstory")]
    first: dict[str, str] = {}  # each placeholder once, where the run would meet it first
    for name, location in missing(texts, inputs):
        first.setdefault(name, location)
    return [MissingInputError(name, location) for name, location in first.items()]


def _required_keys(tool: object) -> list[str]:
    """The variables a tool cannot run without: its CrewAI-style ``env_vars`` (required, no
    default), else the ``KEY_ENV`` its toolkit module names (Serper, Tavily, Exa, Brave)."""
    declared = getattr(tool, "env_vars", None) or ()
    names = [variable.name for variable in declared
             if isinstance(getattr(variable, "name", None), str)
             and getattr(variable, "required", True) and not getattr(variable, "default", None)]
    if names:
        return names
    for cls in type(tool).__mro__:
        key = getattr(sys.modules.get(cls.__module__), "KEY_ENV", None)
        if isinstance(key, str) and cls.__module__.startswith("desktop_app.engine.toolkit"):
            return [key]
    return []


def _tools_of(crew: Crew) -> Iterable[tuple[object, list[object]]]:
    for agent in crew.agents:
        yield agent, list(getattr(agent, "tools", None) or ())
    for task in crew.tasks:
        yield task, list(getattr(task, "tools", None) or ())


def _where(owner: object, tool: object, fallback: Path) -> tuple[Path, int | None]:
    """The line that made ``tool``: its call in the ``@agent``/``@task`` method that built
    ``owner`` (else elsewhere in that file), else the method's own line."""
    from desktop_app.compat import provenance_of

    provenance = provenance_of(owner)
    if provenance is None:
        return fallback, None
    line = _call_line(provenance.file, provenance.line, type(tool).__name__)
    return provenance.file, line or provenance.line


def _call_line(path: Path, method_line: int, class_name: str) -> int | None:
    try:
        tree = ast.parse(read_project_text(path, "Python file"), str(path))
    except (ProjectError, SyntaxError, RecursionError, MemoryError):
        return None
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    methods = [node for node in ast.walk(tree) if isinstance(node, functions)
               and method_line in (node.lineno, *(d.lineno for d in node.decorator_list))]
    for scope in [*methods, tree]:
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and _called_name(node.func) == class_name:
                return node.lineno
    return None


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None
