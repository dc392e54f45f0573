"""docs/COMPATIBILITY.md is kept true: each row's status is what CrewDesk really does.

The page lists every CrewAI 1.15 parameter of `Agent`, `Task`, `Crew` and `LLM`, the methods,
module paths and `crewai_tools` tools projects use, each `supported`, `warned` or
`not supported (error)`. This test reads the page and checks, row by row:

- every parameter listed exists on CrewDesk's class, and the lists are the engine's copy of
  CrewAI's `model_fields` (`_crewai_surface.CREWAI_FIELDS`);
- a `warned` row warns (`IgnoredSettingWarning` naming the parameter) for a value other than
  CrewAI's default, and is in the engine's table of ignored settings (`IGNORED`), and every
  entry of that table is a `warned` row;
- a `supported` row does not warn for a real value, and its proof column names a test that
  exists (the Tools rows, `BaseTool` fields, are checked the same way on a subclass);
- an import, method or tool row behaves as its status says (imports under the hook; an error
  names what it is about).

CrewAI itself is not needed: the page is the record of CrewAI 1.15.30's surface.
"""

from __future__ import annotations

import ast
import importlib
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from desktop_app.engine import LLM, Agent, Crew, KnowledgeConfig, Process, Task, UsageMetrics
from desktop_app.engine._crewai_surface import CREWAI_FIELDS, IGNORED, crewai_default
from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.engine.tools import BaseTool, tool

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "COMPATIBILITY.md"
STATUSES = {"supported", "warned", "not supported (error)"}
PARAMETER_SECTIONS = ("Agent", "Task", "Crew", "LLM")
PROOF = re.compile(r"^`(tests/[\w/]+\.py)::(test_\w+)`$")


@dataclass(frozen=True)
class Row:
    """One row of a table of the page.

    Attributes:
        section: The ``## `` heading above it.
        name: The first cell, without its backticks.
        status: supported, warned or not supported (error).
        note: The note cell.
        proof: The proof cell as written (``—`` when none).
    """

    section: str
    name: str
    status: str
    note: str
    proof: str


@cache
def rows() -> tuple[Row, ...]:
    """Every row of every table, in page order."""
    found: list[Row] = []
    section = ""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            assert len(cells) == 4, f"{section}: a row needs 4 cells: {line}"
            found.append(Row(section, cells[0].strip("`"), cells[1], cells[2], cells[3]))
    return tuple(found)


def rows_of(section: str, status: str | None = None) -> list[Row]:
    """The rows of one section (with one status)."""
    return [r for r in rows() if r.section == section and status in (None, r.status)]


def ids(selected: list[Row]) -> list[str]:
    """Test ids naming each row."""
    return [f"{r.section}.{r.name}"[:80] for r in selected]


def test_every_row_has_a_known_status() -> None:
    assert rows()
    assert {r.status for r in rows()} <= STATUSES, {r.status for r in rows()} - STATUSES


@pytest.mark.parametrize("section", PARAMETER_SECTIONS)
def test_the_parameters_listed_are_crewais(section: str) -> None:
    listed = [r.name for r in rows_of(section)]
    assert len(listed) == len(set(listed))
    assert set(listed) == CREWAI_FIELDS[section]


# --- objects with one parameter set ---------------------------------------------------------


class Answer(BaseModel):
    """An output model."""

    text: str


@tool
def lookup(query: str) -> str:
    """Looks a word up."""
    return query


def _hook(value: Any) -> Any:
    return value


def _guardrail(output: Any) -> tuple[bool, Any]:
    return True, output


def base_kwargs(section: str) -> dict[str, Any]:
    """The keywords every object of the section needs."""
    if section == "Agent":
        return {"role": "Writer", "goal": "Write", "backstory": "Writes."}
    if section == "Task":
        return {"description": "Write a line", "expected_output": "A line"}
    if section == "Crew":
        agent = Agent(role="Writer", goal="Write", backstory="Writes.")
        return {"agents": [agent], "tasks": [Task(description="d", expected_output="e",
                                                  agent=agent)]}
    if section == "Tools":
        return {}
    return {"model": "openai/gpt-4o"}


class Counter(BaseTool):
    """A tool as projects subclass it (CrewAI's ``BaseTool`` is the engine's)."""

    name: str = "Word counter"
    description: str = "Counts the words of a text."

    def _run(self, text: str) -> str:  # type: ignore[override]  # CrewAI's style: named args
        return str(len(text.split()))


def make(section: str, **kwargs: Any) -> Any:
    """An object of the section with these keywords."""
    classes: dict[str, Callable[..., Any]] = {"Agent": Agent, "Task": Task, "Crew": Crew,
                                              "LLM": LLM, "Tools": Counter}
    return classes[section](**{**base_kwargs(section), **kwargs})


def _source() -> Any:
    from desktop_app.engine.knowledge import StringKnowledgeSource

    return [StringKnowledgeSource(content="Facts.")]


def _agent() -> Agent:
    return Agent(role="Manager", goal="Manage", backstory="Manages.")


def _examples() -> dict[str, Callable[[], dict[str, Any]]]:
    """Real values of supported parameters, by ``Section.parameter`` (keywords to add)."""
    return {
        "Agent.config": lambda: {"config": {"max_iter": 3}},
        "Agent.tools": lambda: {"tools": [lookup]},
        "Agent.guardrail": lambda: {"guardrail": _guardrail},
        "Agent.step_callback": lambda: {"step_callback": _hook},
        "Agent.knowledge_sources": lambda: {"knowledge_sources": _source()},
        "Agent.knowledge_config": lambda: {"knowledge_config": KnowledgeConfig()},
        "Agent.date_format": lambda: {"date_format": "%d/%m/%Y"},
        "Agent.function_calling_llm": lambda: {"function_calling_llm": "openai/gpt-4o-mini"},
        "Agent.llm": lambda: {"llm": "openai/gpt-4o-mini"},
        "Agent.verbose": lambda: {"verbose": 2},
        "Agent.mcps": lambda: {"mcps": ["https://mcp.example.com/api"]},
        "Task.agent": lambda: {"agent": _agent()},
        "Task.callback": lambda: {"callback": _hook},
        "Task.config": lambda: {"config": {"name": "from_yaml"}},
        "Task.context": lambda: {"context": [Task(description="d", expected_output="e")]},
        "Task.guardrail": lambda: {"guardrail": _guardrail},
        "Task.guardrails": lambda: {"guardrails": [_guardrail, "Answers in one line."]},
        "Task.output_file": lambda: {"output_file": "out/answer.md"},
        "Task.output_json": lambda: {"output_json": Answer},
        "Task.output_pydantic": lambda: {"output_pydantic": Answer},
        "Task.tools": lambda: {"tools": [lookup]},
        "Task.output": lambda: {"output": None},
        "Crew.agents": lambda: {},
        "Crew.tasks": lambda: {},
        "Crew.process": lambda: {"process": Process.hierarchical, "manager_llm": "openai/gpt-4o"},
        "Crew.manager_agent": lambda: {"process": Process.hierarchical,
                                       "manager_agent": _agent()},
        "Crew.manager_llm": lambda: {"process": Process.hierarchical,
                                     "manager_llm": "openai/gpt-4o"},
        "Crew.config": lambda: {"config": {}},
        "Crew.after_kickoff_callbacks": lambda: {"after_kickoff_callbacks": [_hook]},
        "Crew.before_kickoff_callbacks": lambda: {"before_kickoff_callbacks": [_hook]},
        "Crew.step_callback": lambda: {"step_callback": _hook},
        "Crew.task_callback": lambda: {"task_callback": _hook},
        "Crew.knowledge_sources": lambda: {"knowledge_sources": _source()},
        "Crew.embedder": lambda: {"embedder": {"provider": "openai",
                                               "config": {"model": "text-embedding-3-small"}}},
        "Crew.function_calling_llm": lambda: {"function_calling_llm": "openai/gpt-4o-mini"},
        "Crew.planning_llm": lambda: {"planning": True, "planning_llm": "openai/gpt-4o-mini"},
        "Crew.usage_metrics": lambda: {"usage_metrics": UsageMetrics(total_tokens=1)},
        "Crew.name": lambda: {"name": "Research crew"},
        "Crew.output_log_file": lambda: {"output_log_file": "run.log"},
        "Crew.verbose": lambda: {"verbose": 2},
        "LLM.model": lambda: {"model": "gpt-4o-mini"},
        "LLM.api_key": lambda: {"api_key": "sk-table-test-key"},
        "LLM.base_url": lambda: {"base_url": "http://127.0.0.1:9/v1"},
        "LLM.api_base": lambda: {"api_base": "http://127.0.0.1:9/v1"},
        "LLM.api_version": lambda: {"api_version": "2024-10-21"},
        "LLM.provider": lambda: {"model": "gpt-4o-mini", "provider": "openai"},
        "Tools.name": lambda: {"name": "Line counter"},
        "Tools.description": lambda: {"description": "Counts lines."},
        "Tools.args_schema": lambda: {"args_schema": Answer},
        "Tools.result_as_answer": lambda: {"result_as_answer": True},
        "Tools.max_usage_count": lambda: {"max_usage_count": 2},
    }


CANDIDATES: tuple[Callable[[], Any], ...] = (
    lambda: True, lambda: 2, lambda: 0.5, lambda: "x", lambda: ["x"], lambda: {"x": "y"},
    lambda: uuid.uuid4(), lambda: object(),
)


def values_for(section: str, name: str) -> Iterator[dict[str, Any]]:
    """Keywords that set the parameter to a value other than CrewAI's default."""
    example = _examples().get(f"{section}.{name}")
    if example is not None:
        yield example()
        return
    default = crewai_default(section, name)
    for candidate in CANDIDATES:
        value = candidate()
        if value != default:
            yield {name: value}


def build(section: str, name: str) -> tuple[Any, list[warnings.WarningMessage]]:
    """The first object that takes a non-default value of the parameter, and its warnings."""
    problems: list[str] = []
    for kwargs in values_for(section, name):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                made = make(section, **kwargs)
            except (ValidationError, TypeError, ValueError) as exc:
                problems.append(f"{kwargs!r}: {str(exc).splitlines()[0]}")
                continue
        return made, list(caught)
    raise AssertionError(f"{section}.{name}: no value is taken: {problems}")


def ignored_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """The texts of the IgnoredSettingWarnings among the caught warnings."""
    return [str(w.message) for w in caught if issubclass(w.category, IgnoredSettingWarning)]


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["Agent", "Task", "Crew"])
def test_every_crewai_parameter_exists_on_our_class(section: str) -> None:
    made = make(section)
    missing = [r.name for r in rows_of(section) if not hasattr(made, r.name)]
    assert not missing


CONSTRUCTED = (*PARAMETER_SECTIONS, "Tools")
WARNED = [r for s in CONSTRUCTED for r in rows_of(s, "warned")]
SUPPORTED = [r for s in CONSTRUCTED for r in rows_of(s, "supported")]


@pytest.mark.parametrize("row", WARNED, ids=ids(WARNED))
def test_a_warned_parameter_warns_naming_itself(row: Row) -> None:
    made, caught = build(row.section, row.name)
    texts = ignored_warnings(caught)
    assert any(row.name in text for text in texts), texts
    if row.section == "Tools":
        return
    assert row.name in IGNORED[row.section], "not in _crewai_surface.IGNORED"
    assert row.name in {item.setting for item in made.ignored_settings()}


@pytest.mark.parametrize("section", PARAMETER_SECTIONS)
def test_the_engines_ignored_settings_are_warned_rows(section: str) -> None:
    assert set(IGNORED[section]) == {r.name for r in rows_of(section, "warned")}


@pytest.mark.parametrize("row", SUPPORTED, ids=ids(SUPPORTED))
def test_a_supported_parameter_does_not_warn(row: Row) -> None:
    made, caught = build(row.section, row.name)
    assert ignored_warnings(caught) == []
    if row.section != "Tools":
        assert made.ignored_settings() == []


# --- proofs -----------------------------------------------------------------------------------


@cache
def defined_tests(path: str) -> frozenset[str]:
    """The test functions a file defines (none when it does not exist)."""
    file = ROOT / path
    if not file.is_file():
        return frozenset()
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return frozenset(node.name for node in tree.body
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


ALL_SUPPORTED = [r for r in rows() if r.status == "supported"]
WITH_PROOF = [r for r in rows() if r.proof != "—"]


@pytest.mark.parametrize("row", ALL_SUPPORTED, ids=ids(ALL_SUPPORTED))
def test_a_supported_row_names_a_proof(row: Row) -> None:
    assert PROOF.match(row.proof), f"{row.section}.{row.name}: no proof test named ({row.proof})"


@pytest.mark.parametrize("row", WITH_PROOF, ids=ids(WITH_PROOF))
def test_a_proof_test_exists(row: Row) -> None:
    found = PROOF.match(row.proof)
    assert found is not None, row.proof
    assert found[2] in defined_tests(found[1]), f"{row.proof} does not exist"


# --- imports, methods, tools -------------------------------------------------------------------


def names_of(statement: str) -> tuple[str, list[str]]:
    """``from m import a, b`` -> ("m", ["a", "b"]); ``import m`` -> ("m", [])."""
    if statement.startswith("import "):
        return statement.removeprefix("import ").strip(), []
    module, _, names = statement.removeprefix("from ").partition(" import ")
    return module.strip(), [name.strip() for name in names.split(",")]


def run_import(statement: str) -> None:
    """Executes an import statement of the page under the import hook."""
    import desktop_app.compat

    with desktop_app.compat.installed():
        module, names = names_of(statement)
        imported = importlib.import_module(module)
        for name in names:
            getattr(imported, name)


IMPORTS = rows_of("Module paths")


@pytest.mark.parametrize("row", IMPORTS, ids=ids(IMPORTS))
def test_an_import_behaves_as_its_status_says(row: Row) -> None:
    if row.status == "supported":
        run_import(row.name)
        return
    module, names = names_of(row.name)
    try:
        run_import(row.name)
    except ImportError as exc:
        assert (names[-1] if names else module.split(".")[-1]) in str(exc), str(exc)
        return
    assert PROOF.match(row.proof), f"{row.name} imports: its proof must show the error"


TOOLS = rows_of("crewai_tools")


@pytest.mark.parametrize("row", TOOLS, ids=ids(TOOLS))
def test_a_crewai_tools_name_behaves_as_its_status_says(row: Row) -> None:
    statement = f"from crewai_tools import {row.name}"
    if row.status == "supported":
        run_import(statement)
        return
    with pytest.raises(ImportError) as raised:
        run_import(statement)
    assert row.name in str(raised.value) and "@tool" in str(raised.value)


METHODS = rows_of("Methods")
_CALLS: dict[str, Callable[[Any], Any]] = {
    "Crew.train": lambda crew: crew.train(n_iterations=1, filename="trained.pkl", inputs={}),
    "Crew.test": lambda crew: crew.test(n_iterations=1, eval_llm="openai/gpt-4o", inputs={}),
    "Agent.kickoff": lambda agent: agent.kickoff("Hello"),
    "Agent.kickoff_async": lambda agent: agent.kickoff_async("Hello"),
}


@pytest.mark.parametrize("row", METHODS, ids=ids(METHODS))
def test_a_method_behaves_as_its_status_says(row: Row) -> None:
    from desktop_app.engine import CrewOutput

    owner, _, method = row.name.partition(".")
    classes: dict[str, type] = {"Crew": Crew, "Agent": Agent, "CrewOutput": CrewOutput}
    assert callable(getattr(classes[owner], method, None)), f"{row.name} does not exist"
    if row.status != "not supported (error)":
        return
    with pytest.raises(NotImplementedError) as raised:
        _CALLS[row.name](make(owner))
    assert method in str(raised.value)
