"""A CrewAI project opened for editing: which values live in its YAML and which in its code.

The designer edits a project's crew as a `CrewDocument` made by the static import (the
project's ``agents.yaml`` / ``tasks.yaml``, or ``crew.jsonc``). What the project's code adds
(tools, output models, callbacks, keyword arguments given in ``crew.py``) is read, once its
code is trusted and loaded, from the `Provenance` the compat layer keeps on each agent and
task: those fields are shown read-only with their file and line.

Edits of YAML-backed fields go back into the project's own files (`save_project_crew`: only
the changed values, see `writeback`), and a run of the project gets them without a save
(`configs_for`: the YAML mappings with the edits laid over them, for
``desktop_app.compat.project_configs``). Changes that only code could make (adding or removing
agents and tasks, a field set in code) are refused by name, never dropped silently.

Everything here blocks (files, project code): the app calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.documents._crewai_classic import ClassicLayout
from desktop_app.documents._crewai_jsonc import JsoncLayout, _agent_file, load_jsonc
from desktop_app.documents._yaml import Loc, load_yaml
from desktop_app.documents.crewai_import import find_crewai_layout, import_crewai_project
from desktop_app.documents.loaded import LoadedCrew
from desktop_app.documents.model import AgentSpec, CrewDocument, TaskSpec
from desktop_app.documents.writeback import REMOVE, write_all
from desktop_app.engine.errors import IgnoredSettingWarning

if TYPE_CHECKING:
    from desktop_app.compat.projects import LoadedProject

__all__ = [
    "AGENT_YAML_FIELDS",
    "TASK_YAML_FIELDS",
    "CodeField",
    "ProjectCrew",
    "SaveResult",
    "configs_for",
    "from_code",
    "pending_refusals",
    "read_project_crew",
    "reread",
    "save_project_crew",
    "with_code",
]

AGENT_YAML_FIELDS = ("role", "goal", "backstory", "llm", "max_iter", "verbose",
                     "allow_code_execution")
"""Agent fields the designer may write back into ``agents.yaml``."""

TASK_YAML_FIELDS = ("description", "expected_output", "agent", "context", "human_input",
                    "output_file")
"""Task fields the designer may write back into ``tasks.yaml``."""

Part = tuple[str, str]
"""("agents" or "tasks", the key in the document)."""


@dataclass(frozen=True)
class CodeField:
    """A field of an agent or task that the project's code sets.

    Attributes:
        name: The keyword argument (``tools``, ``output_pydantic``, ``callback`` ...), or
            ``"*"`` for an agent or task made wholly in code.
        file: The file of the method that sets it.
        line: The line of that method.
        detail: What it is set to, for people (tool names, a class name ...).
    """

    name: str
    file: Path
    line: int
    detail: str = ""

    def where(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SaveResult:
    """What a save wrote, and what it could not write (one sentence each)."""

    written: tuple[Path, ...] = ()
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectCrew:
    """A CrewAI project's crew as the designer edits it.

    Attributes:
        loaded: The static import (document, notices, where each part came from).
        layout: The project's files.
        agents_data: ``agents.yaml`` as read (key -> fields); {} for a ``crew.jsonc``.
        tasks_data: ``tasks.yaml`` as read.
        code: Fields set in code, by part; empty until `with_code` read the project.
        code_only: Agents and tasks made wholly in code (not in the YAML).
        trusted: The project's code was loaded (`with_code`).
        ignored: Settings of the crew the engine ignores (one message each; every run
            reports them too, as warnings).
        made_by_code: The document was made from the crew the code built (`from_code`),
            its files alone not being a complete crew.
    """

    loaded: LoadedCrew
    layout: ClassicLayout | JsoncLayout
    agents_data: dict[str, Any] = field(default_factory=dict)
    tasks_data: dict[str, Any] = field(default_factory=dict)
    code: dict[Part, tuple[CodeField, ...]] = field(default_factory=dict)
    code_only: tuple[tuple[str, CodeField], ...] = ()
    trusted: bool = False
    ignored: tuple[str, ...] = ()
    made_by_code: bool = False

    @property
    def document(self) -> CrewDocument:
        """The crew as the project's files say it."""
        return self.loaded.document

    @property
    def root(self) -> Path:
        """The project's folder."""
        return self.layout.root

    def code_fields(self, part: Part) -> tuple[CodeField, ...]:
        """The fields the code sets for an agent (``("agents", key)``) or a task."""
        return self.code.get(part, ())

    def files(self) -> tuple[Path, ...]:
        """The files a save may write."""
        if isinstance(self.layout, JsoncLayout):
            return (self.layout.crew,)
        return (self.layout.agents, self.layout.tasks)


def read_project_crew(path: Path) -> ProjectCrew:
    """Reads a CrewAI project's crew from its files, without running its code (blocking).

    Raises:
        CrewFileError: No project there, or its files have problems.
    """
    layout = find_crewai_layout(path)
    loaded = import_crewai_project(path)
    if isinstance(layout, JsoncLayout):
        return ProjectCrew(loaded, layout)
    agents, _ = load_yaml(layout.agents)
    tasks, _ = load_yaml(layout.tasks)
    return ProjectCrew(loaded, layout, dict(agents or {}), dict(tasks or {}))


def with_code(crew: ProjectCrew, project: LoadedProject) -> ProjectCrew:
    """Reads what the project's code sets, from a crew built by its ``@CrewBase`` class.

    Runs the project's code (blocking): call it in a worker thread, for a trusted project.

    Raises:
        ProjectError: The project's code failed (file:line: message).
    """
    from desktop_app.compat import project_configs, provenance_of

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IgnoredSettingWarning)
        with project_configs(crew.agents_data or None, crew.tasks_data or None):
            built = project.build_crew()
    ignored = []
    for warning in caught:
        if issubclass(warning.category, IgnoredSettingWarning):
            ignored.append(str(warning.message))
        else:  # not ours to keep: on to the usual handling
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    keys = {"agents": [a.key for a in crew.document.agents],
            "tasks": [t.key for t in crew.document.tasks]}
    code: dict[Part, tuple[CodeField, ...]] = {}
    code_only: list[tuple[str, CodeField]] = []
    for kind, objects in (("agents", built.agents), ("tasks", built.tasks)):
        for position, obj in enumerate(objects):
            origin = provenance_of(obj)
            if origin is None:
                continue
            key = _key_of(origin.method, position, keys[kind], bool(origin.config_keys))
            fields = tuple(CodeField(name, origin.file, origin.line, _detail(obj, name))
                           for name in sorted(origin.code_keys))
            if key is None:
                label = f"{kind[:-1]} '{origin.method}'"
                code_only.append((label, CodeField("*", origin.file, origin.line)))
            else:
                code[(kind, key)] = fields
    return replace(crew, code=code, code_only=tuple(code_only), trusted=True,
                   ignored=tuple(dict.fromkeys(ignored)))


def from_code(path: Path, project: LoadedProject) -> ProjectCrew:
    """The crew of a trusted project as its code builds it, for a project whose files alone
    are not a complete crew (a task's agent given in code, ``agent=self.researcher()``)
    (blocking: runs the project's code).

    The document is made from the built agents and tasks (their text as written, with the
    placeholders); the YAML files are still where the designer's edits are saved.

    Raises:
        CrewFileError: The project's files cannot be read.
        ProjectError: The project's code failed (file:line: message).
    """
    from desktop_app.compat import provenance_of

    layout = find_crewai_layout(path)
    agents_data: dict[str, Any] = {}
    tasks_data: dict[str, Any] = {}
    if isinstance(layout, ClassicLayout):
        agents_data = dict(load_yaml(layout.agents)[0] or {})
        tasks_data = dict(load_yaml(layout.tasks)[0] or {})
    built = project.build_crew()
    names: dict[int, str] = {}
    agents = []
    for position, agent in enumerate(built.agents):
        origin = provenance_of(agent)
        key = origin.method if origin is not None else f"agent_{position + 1}"
        names[id(agent)] = key
        model = getattr(agent.llm, "model", None)
        agents.append(AgentSpec(key=key, role=agent.role, goal=agent.goal,
                                backstory=agent.backstory, llm=model if isinstance(model, str)
                                else None, max_iter=agent.max_iter, verbose=bool(agent.verbose),
                                allow_code_execution=agent.allow_code_execution))
    tasks = []
    for position, task in enumerate(built.tasks):
        origin = provenance_of(task)
        key = origin.method if origin is not None else f"task_{position + 1}"
        names[id(task)] = key
        context = task.context if isinstance(task.context, list) else None
        tasks.append(TaskSpec(
            key=key, description=task.description, expected_output=task.expected_output,
            agent=names.get(id(task.agent)) if task.agent is not None else None,
            context=[names.get(id(t), "?") for t in context] if context is not None else None,
            human_input=task.human_input, output_file=task.output_file))
    document = CrewDocument(name=project.spec.name, agents=agents, tasks=tasks,
                            process=built.process.value)
    loaded = LoadedCrew(document, layout.root)
    return ProjectCrew(loaded, layout, agents_data, tasks_data, made_by_code=True)


def reread(crew: ProjectCrew, saved: CrewDocument | None = None) -> ProjectCrew:
    """The project's files read again (after a save), keeping what was read from its code.

    Args:
        crew: The project as it was.
        saved: The document just saved; it becomes the crew's for a crew made by its code
            (whose files alone are not a crew).

    Raises:
        CrewFileError: Its files have problems now.
    """
    if crew.made_by_code:
        layout = crew.layout
        assert isinstance(layout, ClassicLayout)  # from_code reads YAML projects only
        loaded = replace(crew.loaded, document=saved or crew.document)
        return replace(crew, loaded=loaded,
                       agents_data=dict(load_yaml(layout.agents)[0] or {}),
                       tasks_data=dict(load_yaml(layout.tasks)[0] or {}))
    fresh = read_project_crew(crew.root if isinstance(crew.layout, ClassicLayout)
                              else crew.layout.crew)
    return replace(fresh, code=crew.code, code_only=crew.code_only, trusted=crew.trusted,
                   ignored=crew.ignored)


def _key_of(method: str, position: int, keys: list[str], from_yaml: bool) -> str | None:
    """The document key of a built agent or task: its method's name, else (when it was
    configured from YAML) the key at its position."""
    if method in keys:
        return method
    return keys[position] if from_yaml and position < len(keys) else None


def _detail(obj: object, name: str) -> str:
    value = getattr(obj, name, None)
    if isinstance(value, list | tuple):
        return ", ".join(_name_of(item) for item in value)
    return "" if value is None else _name_of(value)


def _name_of(value: object) -> str:
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    own = getattr(value, "__name__", None)
    if isinstance(own, str):
        return own
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


# -- edits ---------------------------------------------------------------------------------


@dataclass
class _Edits:
    files: dict[Path, dict[Loc, Any]] = field(default_factory=dict)
    values: dict[Part, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


def _item(document: CrewDocument, kind: str, key: str) -> AgentSpec | TaskSpec:
    items: list[AgentSpec] | list[TaskSpec] = document.agents if kind == "agents" else document.tasks
    return next(i for i in items if i.key == key)


def _yaml_value(document: CrewDocument, kind: str, key: str, name: str) -> Any:
    return getattr(_item(document, kind, key), name)


def _changes(crew: ProjectCrew, edited: CrewDocument) -> _Edits:
    """The YAML-backed values that differ between the project's files and ``edited``."""
    edits = _Edits()
    original = crew.document
    _refuse_structure(edits, original, edited)
    if edited.name != original.name:
        edits.refused.append("The crew's name comes from the project (pyproject.toml); "
                             "it was not changed.")
    for name in ("description", "process", "settings", "input_sets"):
        if getattr(edited, name) != getattr(original, name):
            edits.refused.append(f"The crew's {name.replace('_', ' ')} come from the "
                                 "project's code; not saved into its files.")
    for kind, names in (("agents", AGENT_YAML_FIELDS), ("tasks", TASK_YAML_FIELDS)):
        before = {i.key for i in (original.agents if kind == "agents" else original.tasks)}
        after = {i.key for i in (edited.agents if kind == "agents" else edited.tasks)}
        for key in sorted(before & after):
            _part_changes(crew, edits, (kind, key), names, original, edited)
    return edits


def _part_changes(
    crew: ProjectCrew, edits: _Edits, part: Part, names: tuple[str, ...],
    original: CrewDocument, edited: CrewDocument,
) -> None:
    kind, key = part
    in_code = {f.name: f for f in crew.code_fields(part)}
    before = _item(original, kind, key).model_dump(exclude=set(names))
    after = _item(edited, kind, key).model_dump(exclude=set(names))
    other = sorted(n for n in before if before[n] != after[n])
    if other:
        edits.refused.append(f"{kind[:-1]} '{key}': {', '.join(other)} not in the project's "
                             "YAML files; not saved.")
    for name in names:
        old = _yaml_value(original, kind, key, name)
        new = _yaml_value(edited, kind, key, name)
        if new == old:
            continue
        if name in in_code:
            edits.refused.append(f"{kind[:-1]} '{key}': {name} is set in code at "
                                 f"{in_code[name].where()}; change it there.")
            continue
        if name == "llm" and not isinstance(_raw(crew, part).get("llm", ""), str):
            edits.refused.append(f"agent '{key}': its llm is written as settings in the "
                                 "project's file; change it there.")
            continue
        edits.values.setdefault(part, {})[name] = new
        path, loc = _place(crew, part, name)
        edits.files.setdefault(path, {})[loc] = REMOVE if new is None else new


def _refuse_structure(edits: _Edits, original: CrewDocument, edited: CrewDocument) -> None:
    for kind in ("agents", "tasks"):
        before = [i.key for i in getattr(original, kind)]
        after = [i.key for i in getattr(edited, kind)]
        added = [k for k in after if k not in before]
        removed = [k for k in before if k not in after]
        if added or removed:
            what = ", ".join([*(f"+{k}" for k in added), *(f"-{k}" for k in removed)])
            edits.refused.append(f"{kind.capitalize()} added or removed ({what}): a project's "
                                 "agents and tasks are made by its code; change crew.py.")
        elif before != after:
            edits.refused.append(f"The order of the {kind} comes from the project's code; "
                                 "it was not changed.")


def _raw(crew: ProjectCrew, part: Part) -> dict[str, Any]:
    data = crew.agents_data if part[0] == "agents" else crew.tasks_data
    value = data.get(part[1])
    return value if isinstance(value, dict) else {}


def _place(crew: ProjectCrew, part: Part, name: str) -> tuple[Path, Loc]:
    """The file and place of a field of an agent or task."""
    kind, key = part
    layout = crew.layout
    if isinstance(layout, ClassicLayout):
        return (layout.agents if kind == "agents" else layout.tasks), (key, name)
    if kind == "tasks":
        position = [t.key for t in crew.document.tasks].index(key)
        return layout.crew, ("tasks", position, name)
    path = _agent_file(layout, key) or layout.agents_dir / f"{key}.jsonc"
    data, _ = load_jsonc(path)
    settings = data.get("settings") if isinstance(data, dict) else None
    if isinstance(settings, dict) and name in settings:
        return path, ("settings", name)
    return path, (name,)


def configs_for(
    crew: ProjectCrew, edited: CrewDocument
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``agents.yaml`` and ``tasks.yaml`` as mappings, with the designer's edits laid over
    them (what ``project_configs`` gives the project's ``@CrewBase`` class for a run)."""
    agents = copy.deepcopy(crew.agents_data)
    tasks = copy.deepcopy(crew.tasks_data)
    for (kind, key), values in _changes(crew, edited).values.items():
        target = agents if kind == "agents" else tasks
        entry = target.setdefault(key, {})
        for name, value in values.items():
            if value is None:
                entry.pop(name, None)
            else:
                entry[name] = value
    return agents, tasks


def pending_refusals(crew: ProjectCrew, edited: CrewDocument) -> tuple[str, ...]:
    """What of ``edited`` a save would not write into the project (one sentence each)."""
    return tuple(_changes(crew, edited).refused)


def save_project_crew(crew: ProjectCrew, edited: CrewDocument) -> SaveResult:
    """Writes the changed YAML-backed values of ``edited`` into the project's files.

    Only the changed values are replaced; comments, other keys and their order stay. A
    problem in any file writes none.

    Raises:
        CrewFileError: A file cannot be read, edited or written.
    """
    edits = _changes(crew, edited)
    return SaveResult(write_all(edits.files), tuple(edits.refused))
