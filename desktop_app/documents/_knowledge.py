"""Knowledge sources of a crew document: where their files are, and CrewAI's ways to write them.

A `KnowledgeSourceSpec` names its file relative to the crew file's folder (the *base folder*;
for an imported CrewAI project, the project's folder). CrewAI names files relative to the
project's ``knowledge/`` folder, so an import prefixes ``knowledge/`` and an export copies each
file into ``knowledge/`` and names it from there.

CrewAI has no Markdown source: a ``markdown`` source is exported as a
``TextFileKnowledgeSource``, and a text file source of an ``.md`` file imports as ``markdown``
(which CrewDesk chunks section by section).

`export_plan` and `_checks.knowledge_file_issues` look at files: they block: call them off the
event loop.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from desktop_app.documents._yaml import Loc

if TYPE_CHECKING:
    from desktop_app.documents.model import CrewDocument, KnowledgeKind, KnowledgeSourceSpec

CREWAI_KNOWLEDGE_DIR = "knowledge"
"""The folder of a CrewAI project that its knowledge file paths are relative to."""

FILE_KINDS: tuple[KnowledgeKind, ...] = ("text", "markdown", "csv", "json", "pdf")
"""Kinds of knowledge sources that are files."""

_KIND_OF_SUFFIX: dict[str, KnowledgeKind] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".json": "json",
    ".pdf": "pdf",
}

_PACKAGE = "crewai.knowledge.source"
CREWAI_CLASS: dict[KnowledgeKind, tuple[str, str]] = {
    "string": ("StringKnowledgeSource", f"{_PACKAGE}.string_knowledge_source"),
    "text": ("TextFileKnowledgeSource", f"{_PACKAGE}.text_file_knowledge_source"),
    "markdown": ("TextFileKnowledgeSource", f"{_PACKAGE}.text_file_knowledge_source"),
    "csv": ("CSVKnowledgeSource", f"{_PACKAGE}.csv_knowledge_source"),
    "json": ("JSONKnowledgeSource", f"{_PACKAGE}.json_knowledge_source"),
    "pdf": ("PDFKnowledgeSource", f"{_PACKAGE}.pdf_knowledge_source"),
}
"""The CrewAI class (and its module) that stands for each kind in an exported ``crew.py``."""

_KIND_OF_CLASS: dict[str, KnowledgeKind | None] = {
    "StringKnowledgeSource": "string",
    "TextFileKnowledgeSource": None,  # by the file's suffix: text, or markdown
    "MarkdownKnowledgeSource": "markdown",  # CrewDesk's engine has one
    "CSVKnowledgeSource": "csv",
    "JSONKnowledgeSource": "json",
    "PDFKnowledgeSource": "pdf",
    "CrewDoclingSource": None,
}
_JSON_KINDS: dict[str, KnowledgeKind | None] = {
    "string": "string",
    "text": "text",
    "text_file": None,
    "markdown": "markdown",
    "csv": "csv",
    "json": "json",
    "pdf": "pdf",
    "file": None,
}
_CHUNKING = ("chunk_size", "chunk_overlap")


def kind_of_file(path: str) -> KnowledgeKind:
    """The kind of a knowledge file, by its suffix (``text`` unless it is known)."""
    return _KIND_OF_SUFFIX.get(posixpath.splitext(path.lower())[1], "text")


def knowledge_places(doc: CrewDocument) -> Iterator[tuple[Loc, KnowledgeSourceSpec]]:
    """Every knowledge source of ``doc`` (the crew's, then each agent's) with its place."""
    for index, spec in enumerate(doc.settings.knowledge_sources):
        yield ("settings", "knowledge_sources", index), spec
    for agent_index, agent in enumerate(doc.agents):
        for index, spec in enumerate(agent.knowledge_sources):
            yield ("agents", agent_index, "knowledge_sources", index), spec


def resolve_path(path: str, base_dir: Path | None) -> Path:
    """A knowledge file's path, with a relative one joined to ``base_dir`` (when given)."""
    found = Path(path).expanduser()
    if found.is_absolute() or base_dir is None:
        return found
    return base_dir / found


def rebase_knowledge(doc: CrewDocument, base_dir: Path) -> CrewDocument:
    """A copy of ``doc`` whose relative knowledge paths are absolute, from ``base_dir``.

    Used when a document leaves its folder (an imported CrewAI project saved among the
    app's crews), so that its files are still found. The crew's folder stays where its
    files are: a document that had relative files and no ``workspace`` gets ``base_dir`` as
    its workspace, so what was inside its folder still is (and is exported), and what was
    outside (``../../etc/passwd``) still is not. A relative ``workspace`` or allowed path is
    made absolute too.
    """
    moved_any = False

    def moved(specs: list[KnowledgeSourceSpec]) -> list[KnowledgeSourceSpec]:
        nonlocal moved_any
        out: list[KnowledgeSourceSpec] = []
        for spec in specs:
            if spec.path is None or Path(spec.path).expanduser().is_absolute():
                out.append(spec)
                continue
            moved_any = True
            out.append(spec.model_copy(update={"path": str(_real(base_dir / spec.path))}))
        return out

    sources = moved(doc.settings.knowledge_sources)
    agents = [
        agent.model_copy(update={"knowledge_sources": moved(agent.knowledge_sources)})
        for agent in doc.agents
    ]
    update: dict[str, Any] = {"knowledge_sources": sources}
    if doc.settings.allowed_paths:
        update["allowed_paths"] = [str(resolve_path(path, base_dir))
                                   for path in doc.settings.allowed_paths]
    if doc.settings.workspace is not None:
        update["workspace"] = str(resolve_path(doc.settings.workspace, base_dir))
    elif moved_any:
        update["workspace"] = str(_real(base_dir))
    settings = doc.settings.model_copy(update=update)
    return doc.model_copy(update={"settings": settings, "agents": agents})


def allow_new_knowledge_files(before: CrewDocument, after: CrewDocument) -> CrewDocument:
    """``after`` with each absolute knowledge file it adds to ``before`` in ``allowed_paths``.

    The designer's "Add file…" is the user choosing a file by name: that is the consent a
    file outside the crew's folder needs. A file named by an opened or imported crew file
    is never added this way, so a shared file cannot allow itself.
    """
    known = {spec.path for _loc, spec in knowledge_places(before)}
    allowed = list(after.settings.allowed_paths)
    for _loc, spec in knowledge_places(after):
        if spec.path is None or spec.path in known:
            continue
        if Path(spec.path).expanduser().is_absolute() and spec.path not in allowed:
            allowed.append(spec.path)
    if allowed == after.settings.allowed_paths:
        return after
    settings = after.settings.model_copy(update={"allowed_paths": allowed})
    return after.model_copy(update={"settings": settings})


@dataclass(frozen=True)
class Confinement:
    """Where a crew may read knowledge files from and write output files to: its folder,
    and what the user allowed.

    Attributes:
        root: The crew's folder (``settings.workspace``, else the crew file's or project's
            folder), symlinks resolved.
        allowed: Files and folders outside it that the user allowed by name, resolved.
        home: The crew file's own folder when a workspace is set elsewhere: still the
            crew's (a crew saved among the app's crews writes its relative output files
            there), else None.
    """

    root: Path
    allowed: tuple[Path, ...] = ()
    home: Path | None = None

    def allows(self, path: Path) -> bool:
        """True when ``path`` (resolved: after ``~``, ``..`` and symlinks) is inside the
        folder or inside (or equal to) an allowed path."""
        real = _real(path)
        return self.root_holds(real) or any(real.is_relative_to(place) for place in self.allowed)

    def root_holds(self, path: Path) -> bool:
        """True when ``path`` (resolved) is inside the crew's folder itself."""
        real = _real(path)
        return any(real.is_relative_to(place) for place in (self.root, self.home) if place)


def confinement(doc: CrewDocument, base_dir: Path | None) -> Confinement:
    """The `Confinement` of ``doc`` read from ``base_dir`` (None: the working folder).

    A relative ``workspace`` or allowed path starts from ``base_dir`` too.
    """
    base = base_dir if base_dir is not None else Path.cwd()
    workspace = doc.settings.workspace
    root = _real(resolve_path(workspace, base) if workspace else base)
    allowed = tuple(_real(resolve_path(path, base)) for path in doc.settings.allowed_paths if path)
    home = _real(base) if workspace and base_dir is not None else None
    return Confinement(root, allowed, None if home == root else home)


def outside_issues(doc: CrewDocument, base_dir: Path | None) -> list[tuple[Loc, str]]:
    """One issue per knowledge file outside the crew's folder and not allowed (blocking).

    A shared crew file must not be able to make the app read ``~/.ssh/id_rsa`` and send it
    to the model and address the file names; the user allows such a file by name.
    """
    fence = confinement(doc, base_dir)
    issues: list[tuple[Loc, str]] = []
    for loc, spec in knowledge_places(doc):
        if spec.path is None:
            continue
        file = resolve_path(spec.path, base_dir)
        if fence.allows(file):
            continue
        real = _real(file)
        leads = f" (it leads to {real})" if str(real) != spec.path else ""
        issues.append(((*loc, "path"), (
            f"the knowledge file '{spec.path}'{leads} is outside the crew's folder "
            f"({fence.root}); to let this crew read it, add it under Allowed files in the "
            "crew's settings")))
    return issues


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def output_file_issues(doc: CrewDocument, base_dir: Path | None) -> list[tuple[Loc, str]]:
    """One issue per task ``output_file`` that would write outside the crew's folder and not
    under an allowed path (blocking: it resolves paths).

    A shared crew file must not overwrite ``~/.bashrc`` when it runs. The path is checked as
    written (placeholders left as they are) and filled from each of the crew's own input
    sets, which come with the file; values the user types at run time are theirs.
    """
    fence = confinement(doc, base_dir)
    base = base_dir if base_dir is not None else Path.cwd()
    issues: list[tuple[Loc, str]] = []
    for index, task in enumerate(doc.tasks):
        if task.output_file is None:
            continue
        texts = [task.output_file, *(_filled(task.output_file, inputs.values)
                                     for inputs in doc.input_sets)]
        for text in dict.fromkeys(texts):
            target = resolve_path(text, base)
            if fence.allows(target):
                continue
            shown = f"'{task.output_file}'" + (f" (with an input set: '{text}')"
                                               if text != task.output_file else "")
            issues.append((("tasks", index, "output_file"), (
                f"the output file {shown} is outside the crew's folder ({fence.root}); to let "
                "this crew write there, add it under Allowed files in the crew's settings")))
            break
    return issues


def _filled(text: str, values: Mapping[str, Any]) -> str:
    return _PLACEHOLDER.sub(
        lambda match: str(values[match.group(1)]) if match.group(1) in values else match.group(0),
        text)


def _real(path: Path) -> Path:
    """``path`` made absolute with ``~``, ``..`` and symlinks resolved (as far as they exist)."""
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError):  # a symlink loop: compare the path as written
        return Path(os.path.abspath(Path(path).expanduser()))


# -- CrewAI -> document -------------------------------------------------------------------


def from_crewai_path(path: str) -> str:
    """A CrewAI knowledge path (relative to ``knowledge/``) as the document keeps it."""
    if Path(path).expanduser().is_absolute():
        return path
    return posixpath.normpath(posixpath.join(CREWAI_KNOWLEDGE_DIR, path.replace("\\", "/")))


def specs_from_crewai(
    class_name: str, options: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[str]] | None:
    """A CrewAI ``XKnowledgeSource(...)`` call's literal arguments as spec mappings.

    Returns:
        The specs (one per file) and the names of arguments not imported; None when the
        class is not a knowledge source CrewDesk reads, or names no content or file.
    """
    if class_name not in _KIND_OF_CLASS:
        return None
    kind = _KIND_OF_CLASS[class_name]
    chunking = {name: options[name] for name in _CHUNKING if isinstance(options.get(name), int)}
    if kind == "string":
        content = options.get("content")
        if not isinstance(content, str):
            return None
        rest = sorted(set(options) - {"content", *chunking})
        return [{"kind": "string", "content": content, **chunking}], rest
    paths = _paths_of(options)
    if not paths:
        return None
    rest = sorted(set(options) - {"file_path", "file_paths", *chunking})
    specs = [
        {"kind": kind or kind_of_file(path), "path": from_crewai_path(path), **chunking}
        for path in paths
    ]
    return specs, rest


def _paths_of(options: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for name in ("file_path", "file_paths"):
        value = options.get(name)
        items = value if isinstance(value, list) else [value] if value is not None else []
        if not all(isinstance(item, str) and item for item in items):
            return []
        found += cast(list[str], items)
    return found


def specs_from_json(items: object) -> list[dict[str, Any]] | None:
    """The ``knowledge_sources`` of a JSONC project as spec mappings; None if not readable.

    An item is a file name (relative to ``knowledge/``), or a mapping with a ``kind`` (or
    ``type``: ``string``, ``text_file``, ``pdf`` ...), and ``content`` or ``file_path(s)``
    (or ``path``), and optionally ``chunk_size`` and ``chunk_overlap``.
    """
    if not isinstance(items, list):
        return None
    specs: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str) and item:
            specs.append({"kind": kind_of_file(item), "path": from_crewai_path(item)})
            continue
        if not isinstance(item, dict):
            return None
        tag = item.get("kind", item.get("type"))
        if tag not in _JSON_KINDS:
            return None
        options = {key: value for key, value in item.items() if key not in ("kind", "type")}
        if "path" in options:
            options["file_paths"] = [options.pop("path")]
        kind = _JSON_KINDS[str(tag)]
        made = specs_from_crewai(
            "StringKnowledgeSource" if kind == "string" else "TextFileKnowledgeSource", options
        )
        if made is None or made[1]:
            return None
        if kind not in ("string", None):
            made = ([{**spec, "kind": kind} for spec in made[0]], made[1])
        specs += made[0]
    return specs


# -- document -> CrewAI -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedFile:
    """A knowledge file an export copies into the project's ``knowledge/`` folder.

    Attributes:
        loc: The source's place in the document.
        source: The file on disk.
        name: Its path under ``knowledge/``, as the exported ``crew.py`` names it.
    """

    loc: Loc
    source: Path
    name: str


def export_plan(doc: CrewDocument, base_dir: Path | None) -> list[ExportedFile]:
    """Where each knowledge file of ``doc`` goes in an exported project.

    A relative path under ``knowledge/`` keeps its place there; any other file goes to
    ``knowledge/<its name>`` (``2_<name>`` ... when two files would share a name).
    """
    plan: list[ExportedFile] = []
    taken: dict[str, Path] = {}
    for loc, spec in knowledge_places(doc):
        if spec.path is None:
            continue
        source = resolve_path(spec.path, base_dir)
        relative = posixpath.normpath(spec.path.replace("\\", "/"))
        prefix = CREWAI_KNOWLEDGE_DIR + "/"
        if not Path(spec.path).expanduser().is_absolute() and relative.startswith(prefix):
            name = relative[len(prefix) :]
        else:
            name = source.name
        base, number = name, 2
        while name in taken and taken[name] != source:
            name, number = f"{number}_{base}", number + 1
        taken[name] = source
        plan.append(ExportedFile(loc, source, name))
    return plan


def crewai_call(spec: KnowledgeSourceSpec, name: str | None) -> tuple[str, list[str]]:
    """The CrewAI class and keyword arguments (as code) of one source.

    Args:
        spec: The source.
        name: Its file's path under ``knowledge/`` (from `export_plan`); None for a string.
    """
    class_name = CREWAI_CLASS[spec.kind][0]
    if spec.kind == "string":
        arguments = [f"content={spec.content!r}"]
    else:
        arguments = [f"file_paths=[{(name if name is not None else spec.path)!r}]"]
    for option in _CHUNKING:
        value = getattr(spec, option)
        if value is not None:
            arguments.append(f"{option}={value!r}")
    return class_name, arguments
