"""Export of a crew document as a classic CrewAI project folder.

The folder is what ``crewai create crew --classic`` makes, filled in::

    <folder>/pyproject.toml, README.md, .gitignore, crewdesk.yaml
    <folder>/src/<package>/__init__.py, crew.py, main.py
    <folder>/src/<package>/config/agents.yaml, tasks.yaml

``agents.yaml`` and ``tasks.yaml`` use CrewAI's keys, followed by the fields kept from an
import; a task's ``output_file`` is written in ``crew.py`` instead, where CrewAI's own template
puts it (see `_codegen`). ``crewdesk.yaml`` keeps what CrewAI has no place for (the crew's name, streaming, input
sets, credential names), so that importing the folder again gives an equal document. Knowledge
files are copied into ``<folder>/knowledge/``, where CrewAI looks for them. Every file is
written atomically.
"""

from __future__ import annotations

import keyword
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop_app.documents._checks import knowledge_file_issues
from desktop_app.documents._codegen import crew_py, main_py, package_name, pyproject_toml, readme
from desktop_app.documents._importing import SIDECAR_NAME
from desktop_app.documents._knowledge import CREWAI_KNOWLEDGE_DIR, ExportedFile, export_plan
from desktop_app.documents._locate import Origin, SourceMap
from desktop_app.documents._yaml import Loc, dump_yaml
from desktop_app.documents.crewdesk_file import atomic_write_text
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CURRENT_SCHEMA_VERSION, AgentSpec, CrewDocument, TaskSpec

RESERVED_NAMES = frozenset(
    {"crew", "agents", "tasks", "agents_config", "tasks_config", "base_directory",
     "load_configurations", "load_yaml", "map_all_agent_variables", "map_all_task_variables",
     "get_mcp_tools", "close_mcp_server", "mcp_server_params", "is_crew_class"}
)
"""Names a ``@CrewBase`` class already uses, so no agent, task or tool may take them."""


def export_crewai_project(
    document: CrewDocument,
    folder: Path | str,
    *,
    overwrite: bool = False,
    base_dir: Path | None = None,
) -> Path:
    """Writes ``document`` as a CrewAI project.

    Args:
        document: The crew; it must have no problems.
        folder: The project folder to make.
        overwrite: Write into a folder that already holds files (ours are replaced, others
            are left alone).
        base_dir: The folder relative knowledge paths start from (the crew file's folder);
            None: the working folder.

    Returns:
        The package folder, ``<folder>/src/<package>``.

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
    package = package_name(document.name)
    config = folder / "src" / package / "config"
    try:
        config.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CrewFileError(f"cannot make folder: {exc.strerror or exc}", path=config) from None
    plan = export_plan(document, base_dir)
    for path, text in _files(document, folder, package, plan).items():
        atomic_write_text(path, text)
    for exported in plan:
        _copy_file(exported.source, folder / CREWAI_KNOWLEDGE_DIR / exported.name)
    return config.parent


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
    doc: CrewDocument, folder: Path, package: str, plan: list[ExportedFile]
) -> dict[Path, str]:
    src = folder / "src" / package
    header = f"# {{}} of the {doc.name} crew, in CrewAI's format. Exported by CrewDesk.\n"
    return {
        folder / "pyproject.toml": pyproject_toml(doc, package),
        folder / "README.md": readme(doc, package),
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
