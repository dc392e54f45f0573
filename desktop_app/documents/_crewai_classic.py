"""Import of a classic CrewAI project: ``config/agents.yaml``, ``config/tasks.yaml``, ``crew.py``.

The YAML files are the source of truth for agents and tasks. ``crew.py`` and ``main.py`` are
read as text (see `_crewpy`) for what the YAML cannot say: the order of the tasks, literal
keyword arguments that override the YAML (as they do in CrewAI), the process, and the inputs
of ``run()``. ``crewdesk.yaml``, if present, adds CrewDesk's own settings.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from desktop_app.documents._crewpy import (
    CallHints,
    CrewPyHints,
    NestedTooDeeplyError,
    read_crew_py,
    read_main_inputs,
)
from desktop_app.documents._importing import (
    NoticeBook,
    apply_sidecar,
    embedder_setting,
    expect_mapping,
    knowledge_setting,
    llm_fields,
    manager_model,
    read_sidecar,
    split_fields,
)
from desktop_app.documents._locate import Origin, SourceMap
from desktop_app.documents._yaml import MAX_FILE_BYTES, LineIndex, Loc, load_yaml, read_text
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.loaded import LoadedCrew, checked
from desktop_app.documents.model import CrewDocument
from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded

AGENT_FIELDS = frozenset(
    {"role", "goal", "backstory", "llm", "tools", "allow_code_execution", "max_iter", "verbose"}
)
TASK_FIELDS = frozenset(
    {"name", "description", "expected_output", "agent", "context", "human_input", "output_file"}
)
_BY_CODE = "set by code in {file}; not imported"
TOO_DEEP_PYTHON = "not a crew's Python: nested too deeply to read"


@dataclass(frozen=True)
class ClassicLayout:
    """The files of a classic CrewAI project.

    Attributes:
        agents: ``agents.yaml``.
        tasks: ``tasks.yaml``.
        crew_py: ``crew.py`` beside the config folder, if any.
        main_py: ``main.py`` beside it, if any.
        root: The project folder (with ``pyproject.toml`` and ``crewdesk.yaml``).
    """

    agents: Path
    tasks: Path
    crew_py: Path | None
    main_py: Path | None
    root: Path


@dataclass
class _Read:
    layout: ClassicLayout
    agents: dict[str, Any]
    agents_index: LineIndex
    tasks: dict[str, Any]
    tasks_index: LineIndex
    hints: CrewPyHints
    book: NoticeBook


def import_classic(layout: ClassicLayout, known_tools: Collection[str] | None) -> LoadedCrew:
    """Imports a classic CrewAI project; see `import_crewai_project`."""
    read = _read_files(layout)
    agent_keys = list(read.agents)
    task_keys = _task_order(read)
    doc: dict[str, Any] = {
        "name": _project_name(layout),
        "agents": [_agent(read, key, known_tools) for key in agent_keys],
        "tasks": [_task(read, key) for key in task_keys],
    }
    _crew_settings(read, doc)
    _main_inputs(read, doc)
    apply_sidecar(doc, read_sidecar(layout.root), layout.root, read.book)
    source = _source_map(read, agent_keys, task_keys)
    try:
        document = CrewDocument.model_validate(doc)
    except ValidationError as exc:
        raise source.validation_error(exc) from None
    return checked(document, source, read.book.notices())


def _read_files(layout: ClassicLayout) -> _Read:
    agents_data, agents_index = load_yaml(layout.agents)
    tasks_data, tasks_index = load_yaml(layout.tasks)
    read = _Read(layout, {}, agents_index, {}, tasks_index, CrewPyHints(), NoticeBook())
    for path, index, data, target in (
        (layout.agents, agents_index, agents_data, read.agents),
        (layout.tasks, tasks_index, tasks_data, read.tasks),
    ):
        source = SourceMap(Origin(path, index))
        for key, value in expect_mapping(data or {}, source, (), path.name).items():
            target[str(key)] = expect_mapping(value, source, (str(key),), f"'{key}'")
    if layout.crew_py is not None:
        try:
            read.hints = read_crew_py(read_text(layout.crew_py, "Python file"))
        except NestedTooDeeplyError:
            raise CrewFileError(TOO_DEEP_PYTHON, path=layout.crew_py) from None
        except SyntaxError as exc:
            read.book.add(layout.crew_py, f"line {exc.lineno}", message="not valid Python, "
                          "so its settings were not read")
    return read


def _project_name(layout: ClassicLayout) -> str:
    pyproject = layout.root / "pyproject.toml"
    try:
        text = read_text_bounded(pyproject, limit=MAX_FILE_BYTES, what="pyproject.toml")
        name = tomllib.loads(text)["project"]["name"]
    except UnsafeFileError as exc:
        raise CrewFileError(exc.reason, path=pyproject) from None
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        name = None
    if isinstance(name, str) and name:
        return name
    package = layout.crew_py.parent if layout.crew_py is not None else layout.agents.parent
    return package.name if package.name != "config" else package.parent.name


def _task_order(read: _Read) -> list[str]:
    ordered = [hint.config_key for hint in read.hints.tasks if hint.config_key in read.tasks]
    rest = [key for key in read.tasks if key not in ordered]
    if ordered and rest and read.layout.crew_py is not None:
        for key in rest:
            read.book.add(read.layout.tasks, key, message="has no @task method in crew.py; "
                          "CrewDesk runs it after the others")
    return ordered + rest


def _apply_hints(
    entry: dict[str, Any], extra: dict[str, Any], hint: CallHints | None, read: _Read,
    known: frozenset[str],
) -> None:
    """Lays literal keyword arguments from crew.py over the YAML, as CrewAI does."""
    if hint is None or read.layout.crew_py is None:
        return
    crew_py = read.layout.crew_py
    for name, value in hint.literals.items():
        (entry if name in known else extra)[name] = value
        if name not in known:
            read.book.add(crew_py, name, hint.config_key)
    for name in hint.computed:
        read.book.add(crew_py, name, hint.config_key, _BY_CODE.format(file="crew.py"))


def _agent(read: _Read, key: str, known_tools: Collection[str] | None) -> dict[str, Any]:
    mapped, extra = split_fields(read.agents[key], AGENT_FIELDS)
    read.book.add_extras(read.layout.agents, extra, key)
    entry: dict[str, Any] = {"key": key, **mapped}
    if isinstance(entry.get("llm"), dict):
        entry.update(llm_fields(entry["llm"], read.layout.agents, key, read.book))
    hints = [*read.hints.agents, *([read.hints.manager] if read.hints.manager else [])]
    hint = next((h for h in hints if h.config_key == key), None)
    _apply_hints(entry, extra, hint, read, AGENT_FIELDS)
    if hint is not None and hint.tool_classes is not None:
        entry["tools"] = hint.tool_classes
    if hint is not None and hint.llm is not None and read.layout.crew_py is not None:
        entry.update(llm_fields(hint.llm, read.layout.crew_py, key, read.book))
    if hint is not None and hint.knowledge is not None and read.layout.crew_py is not None:
        entry["knowledge_sources"] = knowledge_setting(hint.knowledge, read.layout.crew_py, key,
                                                       read.book)
    if isinstance(entry.get("tools"), list):
        tools = [str(tool) for tool in entry["tools"]]
        read.book.unknown_tools(read.layout.agents, tools, key, known_tools)
    entry["extra"] = extra
    return entry


def _task(read: _Read, key: str) -> dict[str, Any]:
    mapped, extra = split_fields(read.tasks[key], TASK_FIELDS)
    read.book.add_extras(read.layout.tasks, extra, key)
    entry: dict[str, Any] = {"key": key, **mapped}
    _apply_hints(entry, extra, next((h for h in read.hints.tasks if h.config_key == key), None),
                 read, TASK_FIELDS)
    agent_keys = {hint.method: hint.config_key for hint in read.hints.agents}
    task_keys = {hint.method: hint.config_key for hint in read.hints.tasks}
    if isinstance(entry.get("agent"), str):
        entry["agent"] = agent_keys.get(entry["agent"], entry["agent"])
    if isinstance(entry.get("context"), list):
        entry["context"] = [task_keys.get(name, name) if isinstance(name, str) else name
                            for name in entry["context"]]
    entry["extra"] = extra
    return entry


def _crew_settings(read: _Read, doc: dict[str, Any]) -> None:
    hint = read.hints.crew
    if hint is None or read.layout.crew_py is None:
        return
    settings: dict[str, Any] = {"extra": {}}
    if read.hints.manager is not None:
        settings["manager_agent"] = read.hints.manager.config_key
    crew_py = read.layout.crew_py
    for name, value in hint.literals.items():
        if name == "process":
            doc["process"] = value
        elif name in ("verbose", "stream", "memory"):
            settings[name] = value
        elif name == "manager_llm":
            settings[name] = manager_model(value, crew_py, read.book)
        elif name == "embedder":
            settings[name] = embedder_setting(value, crew_py, "crew", read.book)
        else:
            settings["extra"][name] = value
            read.book.add(crew_py, name, "crew")
    if hint.knowledge is not None:
        settings["knowledge_sources"] = knowledge_setting(hint.knowledge, crew_py, "crew",
                                                          read.book)
    for name in hint.computed:
        read.book.add(crew_py, name, "crew", _BY_CODE.format(file="crew.py"))
    doc["settings"] = settings


def _main_inputs(read: _Read, doc: dict[str, Any]) -> None:
    main_py = read.layout.main_py
    if main_py is None:
        return
    try:
        found = read_main_inputs(read_text(main_py, "Python file"))
    except NestedTooDeeplyError:
        raise CrewFileError(TOO_DEEP_PYTHON, path=main_py) from None
    except SyntaxError:
        found = None
    if found is None:
        return
    values, computed = found
    if values:
        doc["input_sets"] = [{"name": "default", "values": values}]
    for name in computed:
        read.book.add(main_py, f"inputs.{name}", message=_BY_CODE.format(file="main.py")
                      + "; give it in an input set")


def _source_map(read: _Read, agent_keys: list[str], task_keys: list[str]) -> SourceMap:
    layout = read.layout
    renames = {"key": (), "extra": ()}
    parts: dict[Loc, Origin] = {
        ("agents",): Origin(layout.agents, read.agents_index),
        ("tasks",): Origin(layout.tasks, read.tasks_index),
        ("settings",): Origin(layout.crew_py or layout.root),
        ("input_sets",): Origin(layout.main_py or layout.root),
    }
    for index, key in enumerate(agent_keys):
        parts[("agents", index)] = Origin(layout.agents, read.agents_index, (key,), key, renames)
    for index, key in enumerate(task_keys):
        parts[("tasks", index)] = Origin(layout.tasks, read.tasks_index, (key,), key, renames)
    return SourceMap(Origin(layout.root), parts)
