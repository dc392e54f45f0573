"""Export of a crew document as a classic CrewAI project folder.

The folder is what ``crewai create crew --classic`` makes, filled in::

    <folder>/pyproject.toml, README.md, .gitignore, crewdesk.yaml
    <folder>/src/<package>/__init__.py, crew.py, main.py
    <folder>/src/<package>/config/agents.yaml, tasks.yaml

``agents.yaml`` and ``tasks.yaml`` use CrewAI's keys, followed by the fields kept from an
import; a task's ``output_file`` is written in ``crew.py`` instead, where CrewAI's own template
puts it (see `_codegen`). ``crewdesk.yaml`` keeps what CrewAI has no place for (the crew's name, streaming, input
sets, credential names), so that importing the folder again gives an equal document. Knowledge
files inside the crew's folder are copied into ``<folder>/knowledge/``, where CrewAI looks for
them; a file outside it (``~/.ssh/id_rsa`` named by a shared crew file), even one the user
allowed this crew to read, is not copied into a project meant to be shared: ``crew.py`` still
names it, the README lists it, and a `KnowledgeNotCopiedWarning` names each (see
`export_crewai_project_report`). Every file is written atomically.
"""

from __future__ import annotations

import keyword
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.documents._checks import knowledge_file_issues
from desktop_app.documents._codegen import (
    crew_py,
    main_py,
    one_line,
    package_name,
    pyproject_toml,
    readme,
)
from desktop_app.documents._importing import SIDECAR_NAME
from desktop_app.documents._knowledge import (
    CREWAI_KNOWLEDGE_DIR,
    ExportedFile,
    confinement,
    export_plan,
)
from desktop_app.documents._locate import Origin, SourceMap
from desktop_app.documents._yaml import Loc, dump_yaml, label_of
from desktop_app.documents.crewdesk_file import atomic_write_text
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CURRENT_SCHEMA_VERSION, AgentSpec, CrewDocument, TaskSpec

RESERVED_NAMES = frozenset(
    {"crew", "agents", "tasks", "agents_config", "tasks_config", "base_directory",
     "load_configurations", "load_yaml", "map_all_agent_variables", "map_all_task_variables",
     "get_mcp_tools", "close_mcp_server", "mcp_server_params", "is_crew_class"}
)
"""Names a ``@CrewBase`` class already uses, so no agent, task or tool may take them."""


class KnowledgeNotCopiedWarning(UserWarning):
    """A knowledge file an export did not copy, because it is outside the crew's folder."""


@dataclass(frozen=True)
class NotCopied:
    """A knowledge file left out of an export.

    Attributes:
        loc: Its source's place in the document.
        source: The file (resolved).
        name: Where ``crew.py`` looks for it, under ``knowledge/``.
    """

    loc: Loc
    source: Path
    name: str

    def __str__(self) -> str:
        return (f"{label_of(self.loc)}: the knowledge file {self.source} is outside the crew's "
                f"folder, so it was not copied; copy it to knowledge/{self.name} yourself if "
                "it may be shared")


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote.

    Attributes:
        package: The package folder, ``<folder>/src/<package>``.
        not_copied: Knowledge files outside the crew's folder, left out.
    """

    package: Path
    not_copied: tuple[NotCopied, ...] = ()


def export_crewai_project(
    document: CrewDocument,
    folder: Path | str,
    *,
    overwrite: bool = False,
    base_dir: Path | None = None,
) -> Path:
    """Writes ``document`` as a CrewAI project; see `export_crewai_project_report`.

    Each knowledge file left out is named by a `KnowledgeNotCopiedWarning`.

    Returns:
        The package folder, ``<folder>/src/<package>``.
    """
    report = export_crewai_project_report(document, folder, overwrite=overwrite,
                                          base_dir=base_dir)
    for item in report.not_copied:
        warnings.warn(KnowledgeNotCopiedWarning(str(item)), stacklevel=2)
    return report.package


def export_crewai_project_report(
    document: CrewDocument,
    folder: Path | str,
    *,
    overwrite: bool = False,
    base_dir: Path | None = None,
) -> ExportReport:
    """Writes ``document`` as a CrewAI project, saying which knowledge files it left out.

    Args:
        document: The crew; it must have no problems.
        folder: The project folder to make.
        overwrite: Write into a folder that already holds files (ours are replaced, others
            are left alone).
        base_dir: The folder relative knowledge paths start from (the crew file's folder);
            None: the working folder.

    Returns:
        The package folder, and the knowledge files outside the crew's folder (its
        ``settings.workspace``, else ``base_dir``), which are not copied.

    Raises:
        CrewFileError: The document has problems, a key cannot be a CrewAI method name, a
            knowledge file is missing, the folder is not empty (without ``overwrite``), or a
            file cannot be written.
    """
    folder = Path(folder)
    source = SourceMap(Origin(folder))
    issues = [(issue.loc, issue.message) for issue in document.problems()]
    issues += list(_name_issues(document))
    issues += knowledge_file_issues(document, base_dir)
    if issues:
        raise source.error(issues)
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise CrewFileError("folder is not empty; choose an empty one", path=folder)
    return _write_project(document, folder, base_dir)


def _write_project(document: CrewDocument, folder: Path, base_dir: Path | None) -> ExportReport:
    """Writes the checked ``document``'s files, and copies the knowledge files inside its
    folder."""
    package = package_name(document.name)
    config = folder / "src" / package / "config"
    try:
        config.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CrewFileError(f"cannot make folder: {exc.strerror or exc}", path=config) from None
    plan = export_plan(document, base_dir)
    left_out = knowledge_left_out(document, base_dir)
    for path, text in _files(document, folder, package, plan, left_out).items():
        atomic_write_text(path, text)
    skipped = {item.loc for item in left_out}
    for exported in plan:
        if exported.loc not in skipped:
            _copy_file(exported.source, folder / CREWAI_KNOWLEDGE_DIR / exported.name)
    return ExportReport(config.parent, left_out)


def knowledge_left_out(document: CrewDocument, base_dir: Path | None) -> tuple[NotCopied, ...]:
    """The knowledge files an export of ``document`` leaves out: those outside the crew's
    folder (blocking: it resolves paths). The app says so before it exports."""
    fence = confinement(document, base_dir)
    return tuple(NotCopied(item.loc, item.source.resolve(), item.name)
                 for item in export_plan(document, base_dir)
                 if not fence.root_holds(item.source))


def _copy_file(source: Path, target: Path) -> None:
    """Copies a knowledge file into the project atomically (nothing when it is there already).

    Raises:
        CrewFileError: The file cannot be read or written.
    """
    try:
        if target.exists() and target.samefile(source):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(descriptor)
        try:
            shutil.copyfile(source, temp_name)
            os.replace(temp_name, target)
        finally:
            Path(temp_name).unlink(missing_ok=True)
    except OSError as exc:
        raise CrewFileError(f"cannot copy the knowledge file {source}: {exc.strerror or exc}",
                            path=target) from None


def _files(
    doc: CrewDocument, folder: Path, package: str, plan: list[ExportedFile],
    left_out: tuple[NotCopied, ...],
) -> dict[Path, str]:
    src = folder / "src" / package
    header = f"# {{}} of the {one_line(doc.name)} crew, in CrewAI's format. Exported by CrewDesk.\n"
    notes = "".join(f"- `knowledge/{item.name}`: {item.source}\n" for item in left_out)
    if notes:
        notes = ("\nKnowledge files not copied (outside the crew's folder); copy them into "
                 "`knowledge/` yourself if they may be shared:\n\n" + notes)
    return {
        folder / "pyproject.toml": pyproject_toml(doc, package),
        folder / "README.md": readme(doc, package) + notes,
        folder / ".gitignore": ".env\n__pycache__/\n.venv/\n",
        folder / SIDECAR_NAME: _sidecar_text(doc),
        src / "__init__.py": "",
        src / "crew.py": crew_py(doc, package, {item.loc: item.name for item in plan}),
        src / "main.py": main_py(doc, package),
        src / "config" / "agents.yaml": header.format("Agents") + _yaml_or_empty(
            {spec.key: agent_config(spec) for spec in doc.agents}),
        src / "config" / "tasks.yaml": header.format("Tasks") + _yaml_or_empty(
            {spec.key: task_config(spec) for spec in doc.tasks}),
    }


def _yaml_or_empty(data: dict[str, Any]) -> str:
    return dump_yaml(data) if data else "{}\n"


def agent_config(spec: AgentSpec) -> dict[str, Any]:
    """An agent's entry in ``agents.yaml``."""
    entry: dict[str, Any] = {"role": spec.role, "goal": spec.goal, "backstory": spec.backstory}
    if spec.llm is not None:
        entry["llm"] = spec.llm
    if spec.tools:
        entry["tools"] = list(spec.tools)
    if spec.allow_code_execution:
        entry["allow_code_execution"] = True
    if spec.max_iter is not None:
        entry["max_iter"] = spec.max_iter
    if spec.verbose is not None:
        entry["verbose"] = spec.verbose
    entry.update(spec.extra)
    return entry


def task_config(spec: TaskSpec) -> dict[str, Any]:
    """A task's entry in ``tasks.yaml`` (its ``output_file`` goes into ``crew.py``)."""
    entry: dict[str, Any] = {}
    if spec.name is not None:
        entry["name"] = spec.name
    entry["description"] = spec.description
    entry["expected_output"] = spec.expected_output
    if spec.agent is not None:
        entry["agent"] = spec.agent
    if spec.context is not None:
        entry["context"] = list(spec.context)
    if spec.human_input:
        entry["human_input"] = True
    entry.update(spec.extra)
    return entry


def _sidecar_text(doc: CrewDocument) -> str:
    data: dict[str, Any] = {"schema_version": CURRENT_SCHEMA_VERSION, "name": doc.name}
    if doc.description:
        data["description"] = doc.description
    data["stream"] = doc.settings.stream
    if doc.settings.manager_agent is not None and doc.process != "hierarchical":
        data["manager_agent"] = doc.settings.manager_agent  # crew.py names it when hierarchical
    credentials = {s.key: {"credential": s.credential} for s in doc.agents if s.credential}
    if credentials:
        data["agents"] = credentials
    if doc.input_sets:
        data["input_sets"] = [item.model_dump() for item in doc.input_sets]
    return (
        "# CrewDesk's settings for this CrewAI project (CrewAI ignores this file).\n"
        + dump_yaml(data)
    )


def _name_issues(doc: CrewDocument) -> Iterator[tuple[Loc, str]]:
    """Keys and tool names that cannot become methods of the crew class."""
    taken: dict[str, str] = {}
    named: list[tuple[Loc, str, str]] = [
        (("agents", index, "key"), spec.key, "agent") for index, spec in enumerate(doc.agents)
    ]
    named += [(("tasks", index, "key"), spec.key, "task") for index, spec in enumerate(doc.tasks)]
    for index, spec in enumerate(doc.agents):
        named += [(("agents", index, "tools"), tool, "tool") for tool in spec.tools]
    for loc, name, kind in named:
        if not name.isidentifier() or keyword.iskeyword(name):
            yield loc, f"{kind} name '{name}' must be a Python name to export to CrewAI"
        elif name in RESERVED_NAMES:
            yield loc, f"{kind} name '{name}' is taken by CrewAI's crew class; rename it"
        elif name in taken and not (kind == "tool" and taken[name] == "tool"):
            yield loc, f"{kind} name '{name}' is also the name of a {taken[name]}; rename one"
        else:
            taken.setdefault(name, kind)
