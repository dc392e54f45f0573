"""Hints read from a classic CrewAI project's ``crew.py`` and ``main.py``, as text only.

The code is parsed with `ast`, never imported or run. From ``crew.py`` we learn the order of
the ``@task`` methods, which config key each ``@agent``/``@task`` method uses, keyword arguments
written as literals (``verbose=True``, ``output_file='report.md'``), the tool classes given as
``tools=[SerperDevTool()]``, an ``llm=LLM(model=..., base_url=...)``, and the crew's
``process``, ``manager_llm`` (a string or an ``LLM(...)``) and ``manager_agent`` (an
``Agent(config=self.agents_config[...])`` written inline, in a variable of the ``@crew``
method, or in a method of its own), and ``knowledge_sources=[...]`` of knowledge source calls
with literal arguments (written inline, or assigned to a name in the module or the method).
From ``main.py`` we learn the literal ``inputs`` of ``run()``. Anything computed by code is
listed so that the import can say it was not taken over.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallHints:
    """What one ``Agent(...)``, ``Task(...)`` or ``Crew(...)`` call says.

    Attributes:
        method: The decorated method's name.
        config_key: The key of ``self.agents_config[...]``/``self.tasks_config[...]``.
        literals: Keyword arguments whose values are literals.
        tool_classes: Class names called in a ``tools=[...]`` list.
        llm: Literal keyword arguments of an ``llm=LLM(...)`` call.
        knowledge: The class name and literal keyword arguments of each knowledge source
            of ``knowledge_sources=[...]``.
        computed: Names of keyword arguments computed by code.
    """

    method: str
    config_key: str
    literals: dict[str, Any] = field(default_factory=dict)
    tool_classes: list[str] | None = None
    llm: dict[str, Any] | None = None
    knowledge: list[tuple[str, dict[str, Any]]] | None = None
    computed: list[str] = field(default_factory=list)


@dataclass
class CrewPyHints:
    """What a ``crew.py`` says, in the order of its methods.

    Attributes:
        agents: One entry per ``@agent`` method.
        tasks: One entry per ``@task`` method, in definition order (the order tasks run).
        crew: The ``Crew(...)`` call of the ``@crew`` method, if found.
        manager: The ``Agent(...)`` call given as the crew's ``manager_agent``, if found.
    """

    agents: list[CallHints] = field(default_factory=list)
    tasks: list[CallHints] = field(default_factory=list)
    crew: CallHints | None = None
    manager: CallHints | None = None


_SKIPPED = {"config", "agents", "tasks", "manager_agent"}
_LLM_CALLS = {"llm", "manager_llm"}
_NOT_LITERAL = (ValueError, TypeError, SyntaxError, RecursionError, MemoryError)


class NestedTooDeeplyError(SyntaxError):
    """Python nested more deeply than the parser can read (``not not ... x`` 100,000 times).

    CPython's parser answers such text with a `RecursionError` or a `MemoryError` (its stack
    overflows), neither of which says what is wrong; this says it, as a `SyntaxError`.
    """


def parse_python(text: str) -> ast.Module:
    """Parses Python text, never running it.

    Raises:
        NestedTooDeeplyError: It is nested too deeply for the parser.
        SyntaxError: It is not Python.
    """
    try:
        return ast.parse(text)
    except (RecursionError, MemoryError):
        raise NestedTooDeeplyError("nested too deeply to read") from None


def read_crew_py(text: str) -> CrewPyHints:
    """Reads hints from the text of a ``crew.py``.

    Raises:
        NestedTooDeeplyError: The text is nested too deeply to parse.
        SyntaxError: The text is not Python.
    """
    hints = CrewPyHints()
    module = parse_python(text)
    functions = [node for node in ast.walk(module) if isinstance(node, ast.FunctionDef)]
    module_names = _assigned(module.body)
    for node in functions:
        names = {**module_names, **_assigned(ast.walk(node))}
        decorators = {_name_of(decorator) for decorator in node.decorator_list}
        for kind, target in (("agent", hints.agents), ("task", hints.tasks)):
            if kind in decorators:
                target.append(_call_hints(node, kind.capitalize(), names))
        if "crew" in decorators:
            hints.crew = _call_hints(node, "Crew", names)
            hints.manager = _manager_hints(node, {f.name: f for f in functions}, hints.crew,
                                           names)
    return hints


def _assigned(nodes: Iterable[ast.AST]) -> dict[str, ast.expr]:
    """The value last assigned to each plain name among ``nodes`` (``x = ...``)."""
    found: dict[str, ast.expr] = {}
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
    return found


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _first_call(node: ast.AST, class_name: str) -> ast.Call | None:
    return next(
        (
            child
            for child in ast.walk(node)
            if isinstance(child, ast.Call) and _name_of(child.func) == class_name
        ),
        None,
    )


def _call_hints(
    method: ast.FunctionDef, class_name: str, names: dict[str, ast.expr]
) -> CallHints:
    return _hints_of(_first_call(method, class_name), method.name, names)


def _hints_of(call: ast.Call | None, method: str, names: dict[str, ast.expr]) -> CallHints:
    hints = CallHints(method=method, config_key=method)
    for keyword in call.keywords if call is not None else []:
        if keyword.arg is not None:
            _read_keyword(hints, keyword.arg, keyword.value, names)
    return hints


def _manager_hints(
    crew_method: ast.FunctionDef, functions: dict[str, ast.FunctionDef], crew: CallHints,
    names: dict[str, ast.expr],
) -> CallHints | None:
    """The ``Agent(...)`` behind ``Crew(manager_agent=...)``: written inline, assigned to a
    variable in the ``@crew`` method, or returned by ``self.<method>()``."""
    call = _first_call(crew_method, "Crew")
    value = next((k.value for k in call.keywords if k.arg == "manager_agent"), None) if call else None
    if value is None:
        return None
    if isinstance(value, ast.Name):
        value = next(
            (
                node.value
                for node in ast.walk(crew_method)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
            ),
            value,
        )
    if isinstance(value, ast.Call) and _name_of(value.func) != "Agent":
        method = functions.get(_name_of(value.func))
        value = _first_call(method, "Agent") if method is not None else value
    if not (isinstance(value, ast.Call) and _name_of(value.func) == "Agent"):
        crew.computed.append("manager_agent")
        return None
    hints = _hints_of(value, "manager_agent", names)
    if hints.config_key == "manager_agent":  # no config=self.agents_config[...]
        crew.computed.append("manager_agent")
        return None
    return hints


def _read_keyword(
    hints: CallHints, name: str, value: ast.expr, assigned: dict[str, ast.expr]
) -> None:
    if name == "config":
        key = _config_key(value)
        if key is not None:
            hints.config_key = key
        return
    if name in _SKIPPED:
        return
    if name == "process" and isinstance(value, ast.Attribute):
        hints.literals[name] = value.attr
    elif name == "tools" and isinstance(value, ast.List):
        names = [_name_of(item) for item in value.elts if isinstance(item, ast.Call)]
        if len(names) == len(value.elts) and all(names):
            hints.tool_classes = names
        else:
            hints.computed.append(name)
    elif name == "knowledge_sources" and isinstance(value, ast.List):
        sources = [_source_call(item, assigned) for item in value.elts]
        if all(source is not None for source in sources):
            hints.knowledge = [source for source in sources if source is not None]
        else:
            hints.computed.append(name)
    elif name in _LLM_CALLS and isinstance(value, ast.Call) and _name_of(value.func) == "LLM":
        options = _literal_keywords(value)
        if options is None:
            hints.computed.append(name)
        elif name == "llm":
            hints.llm = options
        else:
            hints.literals[name] = options
    else:
        try:
            hints.literals[name] = ast.literal_eval(value)
        except _NOT_LITERAL:
            hints.computed.append(name)


def _source_call(
    item: ast.expr, names: dict[str, ast.expr]
) -> tuple[str, dict[str, Any]] | None:
    """A knowledge source call's class name and literal arguments (through one name)."""
    if isinstance(item, ast.Name):
        item = names.get(item.id, item)
    if not isinstance(item, ast.Call) or item.args:
        return None
    options = _literal_keywords(item)
    class_name = _name_of(item.func)
    if options is None or not class_name.endswith("Source"):
        return None
    return class_name, options


def _config_key(value: ast.expr) -> str | None:
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant):
        key = value.slice.value
        return key if isinstance(key, str) else None
    return None


def _literal_keywords(call: ast.Call) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        try:
            values[keyword.arg] = ast.literal_eval(keyword.value)
        except _NOT_LITERAL:
            return None
    return values


def read_main_inputs(text: str) -> tuple[dict[str, Any], list[str]] | None:
    """Reads the ``inputs = {...}`` of ``run()`` in a ``main.py``.

    Returns:
        The literal values and the names of values computed by code, or None when ``run()``
        sets no inputs mapping.

    Raises:
        SyntaxError: The text is not Python.
    """
    for node in ast.walk(parse_python(text)):
        if isinstance(node, ast.FunctionDef) and node.name == "run":
            for statement in ast.walk(node):
                inputs = _inputs_dict(statement)
                if inputs is not None:
                    return _literal_items(inputs)
    return None


def _inputs_dict(statement: ast.AST) -> ast.Dict | None:
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict):
        names = [target.id for target in statement.targets if isinstance(target, ast.Name)]
        if "inputs" in names:
            return statement.value
    return None


def _literal_items(node: ast.Dict) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    computed: list[str] = []
    for key_node, value_node in zip(node.keys, node.values, strict=True):
        if not isinstance(key_node, ast.Constant) or not isinstance(key_node.value, str):
            continue
        try:
            values[key_node.value] = ast.literal_eval(value_node)
        except _NOT_LITERAL:
            computed.append(key_node.value)
    return values, computed
