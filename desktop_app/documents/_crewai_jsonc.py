"""Import of a JSON-first CrewAI project: ``crew.jsonc`` and ``agents/<name>.jsonc``.

``crew.jsonc`` holds the crew: ``name``, ``agents`` (names of files in ``agents/``), ``tasks``
(each with ``name``, ``description``, ``expected_output``, ``agent``, ``context`` naming
earlier tasks, ``human_input`` and ``output_file``), ``process``, ``verbose`` and default ``inputs``. An agent file holds ``role``,
``goal``, ``backstory``, ``llm`` (a model string or settings), ``tools`` and ``settings``,
which CrewAI merges into the agent's fields; so does this import. Files are read with `json5`
(plain JSON with comments and trailing commas through the much faster stdlib parser first).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5
import yaml
from pydantic import ValidationError

from desktop_app.documents._importing import (
    NoticeBook,
    apply_sidecar,
    embedder_setting,
    expect_mapping,
    llm_fields,
    manager_model,
    read_sidecar,
    split_fields,
)
from desktop_app.documents._knowledge import specs_from_json
from desktop_app.documents._locate import Origin, SourceMap
from desktop_app.documents._yaml import TOO_DEEP, LineIndex, load_yaml, read_text
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.loaded import LoadedCrew, checked
from desktop_app.documents.model import CrewDocument

AGENT_FIELDS = frozenset(
    {"role", "goal", "backstory", "llm", "tools", "allow_code_execution", "max_iter", "verbose",
     "knowledge_sources"}
)
TASK_FIELDS = frozenset({"description", "expected_output", "agent", "context", "human_input",
                         "output_file"})
CREW_FIELDS = frozenset({"name", "description", "agents", "tasks", "process", "verbose",
                         "stream", "inputs", "manager_llm", "manager_agent", "memory",
                         "embedder", "knowledge_sources"})
_JSON5_ERROR = re.compile(r"^<string>:(\d+) (.*)$", re.DOTALL)


@dataclass(frozen=True)
class JsoncLayout:
    """The files of a JSON-first CrewAI project.

    Attributes:
        crew: ``crew.jsonc`` (or ``crew.json``).
        agents_dir: The folder of the agent files.
        root: The project folder.
    """

    crew: Path
    agents_dir: Path
    root: Path


def load_jsonc(path: Path) -> tuple[Any, LineIndex]:
    """Reads a JSON or JSONC file, with the lines of its keys where they can be found.

    Raises:
        CrewFileError: The file cannot be read or is not valid JSONC.
    """
    text = read_text(path)
    try:
        # The stdlib parser reads plain JSON (comments and trailing commas blanked) about
        # 100 times faster than json5 (8 s for 100,000 items); json5 reads the rest.
        data = json.loads(_blank_comments(text))
    except (RecursionError, MemoryError):
        raise CrewFileError(TOO_DEEP, path=path) from None
    except ValueError:
        pass
    else:
        return data, _line_index(path, text)
    try:
        data = json5.loads(text)
    except ValueError as exc:
        match = _JSON5_ERROR.match(str(exc))
        line = int(match.group(1)) if match else None
        detail = match.group(2) if match else str(exc)
        raise CrewFileError(f"not valid JSONC: {detail}", path=path, line=line) from None
    except (RecursionError, MemoryError):
        raise CrewFileError(TOO_DEEP, path=path) from None
    return data, _line_index(path, text)


def _line_index(path: Path, text: str) -> LineIndex:
    """Lines of keys, by reading the JSON (comments and trailing commas blanked) as YAML."""
    try:
        return load_yaml(path, _blank_comments(text))[1]
    except (CrewFileError, yaml.YAMLError):
        return LineIndex()


def _blank_comments(text: str) -> str:
    """Replaces JSONC comments and trailing commas with spaces, keeping every line break."""
    pattern = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.DOTALL)

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith('"'):
            return token
        return re.sub(r"[^\n]", " ", token)

    return pattern.sub(blank, text)


def import_jsonc(layout: JsoncLayout, known_tools: Collection[str] | None) -> LoadedCrew:
    """Imports a JSON-first CrewAI project; see `import_crewai_project`."""
    data, index = load_jsonc(layout.crew)
    crew_source = SourceMap(Origin(layout.crew, index))
    crew = expect_mapping(data, crew_source, (), layout.crew.name)
    book = NoticeBook()
    parts: dict[tuple[str | int, ...], Origin] = {}
    names = crew.get("agents")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise crew_source.error([(("agents",), "must be a list of agent names (files in agents/)")])
    agents = [_agent(layout, crew_source, position, name, book, known_tools, parts)
              for position, name in enumerate(names)]
    tasks = _tasks(layout, crew, index, book, parts)
    doc = _crew(layout, crew, book)
    doc.update(agents=agents, tasks=tasks)
    apply_sidecar(doc, read_sidecar(layout.root), layout.root, book)
    source = SourceMap(Origin(layout.crew, index), parts)
    try:
        document = CrewDocument.model_validate(doc)
    except ValidationError as exc:
        raise source.validation_error(exc) from None
    return checked(document, source, book.notices())


def _crew(layout: JsoncLayout, crew: dict[str, Any], book: NoticeBook) -> dict[str, Any]:
    mapped, extra = split_fields(crew, CREW_FIELDS)
    book.add_extras(layout.crew, extra, "")
    settings: dict[str, Any] = {
        name: mapped[name] for name in ("verbose", "stream", "memory") if name in mapped
    }
    if "embedder" in mapped:
        settings["embedder"] = embedder_setting(mapped["embedder"], layout.crew, "crew", book)
    if "knowledge_sources" in mapped:
        _knowledge(mapped["knowledge_sources"], settings, extra, layout.crew, "crew", book)
    if "manager_llm" in mapped:
        settings["manager_llm"] = manager_model(mapped["manager_llm"], layout.crew, book)
    if "manager_agent" in mapped:
        settings["manager_agent"] = mapped["manager_agent"]
    doc: dict[str, Any] = {
        "name": mapped.get("name") or layout.root.name,
        "settings": {**settings, "extra": extra},
    }
    for name in ("description", "process"):
        if name in mapped:
            doc[name] = mapped[name]
    inputs = mapped.get("inputs")
    if inputs:
        doc["input_sets"] = [{"name": "default", "values": inputs}]
    return doc


def _knowledge(
    value: Any, target: dict[str, Any], extra: dict[str, Any], path: Path, place: str,
    book: NoticeBook,
) -> None:
    """Reads ``knowledge_sources`` into ``target``; a form CrewDesk cannot read stays an extra."""
    specs = specs_from_json(value)
    if specs is None:
        extra["knowledge_sources"] = value
        book.add(path, "knowledge_sources", place, "not in a form CrewDesk reads (file names, "
                 "or {kind, content or file_paths}); kept but not used by CrewDesk")
    else:
        target["knowledge_sources"] = specs


def _agent_file(layout: JsoncLayout, name: str) -> Path | None:
    for suffix in (".jsonc", ".json"):
        candidate = layout.agents_dir / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _agent(
    layout: JsoncLayout, crew_source: SourceMap, position: int, name: str, book: NoticeBook,
    known_tools: Collection[str] | None, parts: dict[tuple[str | int, ...], Origin],
) -> dict[str, Any]:
    path = _agent_file(layout, name)
    if path is None:
        raise crew_source.error([(("agents", position), f"agent '{name}' has no file "
                                  f"{layout.agents_dir.name}/{name}.jsonc")])
    data, index = load_jsonc(path)
    definition = expect_mapping(data, SourceMap(Origin(path, index)), (), path.name)
    settings = definition.get("settings") or {}
    flat = {key: value for key, value in definition.items() if key != "settings"}
    if isinstance(settings, dict):
        flat.update(settings)
    else:
        flat["settings"] = settings
    mapped, extra = split_fields(flat, AGENT_FIELDS)
    book.add_extras(path, extra, name)
    entry: dict[str, Any] = {"key": name, **mapped}
    if isinstance(entry.get("llm"), dict):
        entry.update(llm_fields(entry["llm"], path, name, book))
    if "knowledge_sources" in entry:
        _knowledge(entry.pop("knowledge_sources"), entry, extra, path, name, book)
    tools = entry.get("tools")
    if isinstance(tools, list):
        entry["tools"] = [tool for tool in tools if isinstance(tool, str)]
        inline = [tool for tool in tools if not isinstance(tool, str)]
        if inline:
            extra["tool_definitions"] = inline
            book.add(path, "tools", name, "inline tool definitions are " + "kept but not used "
                     "by CrewDesk")
        book.unknown_tools(path, entry["tools"], name, known_tools)
    entry["extra"] = extra
    renames: dict[str, tuple[str | int, ...]] = {"key": (), "extra": ()}
    if isinstance(settings, dict):
        renames.update({str(key): ("settings", str(key)) for key in settings})
    parts[("agents", position)] = Origin(path, index, (), "", renames)
    return entry


def _tasks(
    layout: JsoncLayout, crew: dict[str, Any], index: LineIndex, book: NoticeBook,
    parts: dict[tuple[str | int, ...], Origin],
) -> list[dict[str, Any]]:
    source = SourceMap(Origin(layout.crew, index))
    items = crew.get("tasks")
    if not isinstance(items, list):
        raise source.error([(("tasks",), "must be a list of tasks")])
    tasks: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        task = expect_mapping(item, source, ("tasks", position), f"tasks[{position}]")
        mapped, extra = split_fields({k: v for k, v in task.items() if k != "name"}, TASK_FIELDS)
        key = task.get("name") or f"task_{position + 1}"
        book.add_extras(layout.crew, (f"tasks.{name}" for name in extra), str(key))
        tasks.append({"key": key, **mapped, "extra": extra})
        parts[("tasks", position)] = Origin(
            layout.crew, index, ("tasks", position), f"tasks[{position}]",
            {"key": ("name",), "extra": ()},
        )
    return tasks
