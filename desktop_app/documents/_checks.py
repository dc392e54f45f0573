"""Checks across the parts of a crew document: keys, agents of tasks, `context` edges.

`document_issues` are problems that keep a document from being saved. `run_issues` are what
would fail (severity ``run``) or go wrong unnoticed (``warning``) when the crew runs, while the
file can still be saved: tools CrewDesk cannot build, ``{``-typos, inputs nothing uses, and
placeholders an input set leaves empty. `place_text` names a place in plain words
(``Task 2 "write"``) for people, where `label_of` gives ``tasks[1]`` for files.

Kept apart from the models so that `model.py` stays a plain description of the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from desktop_app.documents._knowledge import knowledge_places, resolve_path
from desktop_app.documents._yaml import Loc

if TYPE_CHECKING:
    from desktop_app.documents.model import CrewDocument, TaskSpec

KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""What an agent or task key may look like."""

AGENT_FIELDS_IN_CREWAI = frozenset(
    {"role", "goal", "backstory", "llm", "tools", "allow_code_execution", "max_iter", "verbose",
     "knowledge_sources"}
)
TASK_FIELDS_IN_CREWAI = frozenset(
    {"name", "description", "expected_output", "agent", "context", "human_input", "output_file"}
)
CREW_FIELDS_IN_CREWAI = frozenset(
    {"name", "agents", "tasks", "process", "verbose", "stream", "manager_llm", "manager_agent",
     "memory", "embedder", "knowledge_sources"}
)
_KEPT_WHEN_UNSET = frozenset({"knowledge_sources"})
"""Extras that older CrewAI imports kept in a shape CrewDesk cannot read (code, names): only a
clash with the field, when it is set too, is a problem."""

SECRET_NAMES = frozenset({"api_key", "key", "token"})
"""Settings that hold a key, which a crew document never keeps."""

Issue = tuple[Loc, str]

Severity = Literal["error", "run", "warning"]
"""``error``: the document cannot be saved; ``run``: it saves, but a run fails;
``warning``: a run works, but probably not as meant."""

RunIssue = tuple[Loc, str, Severity]


def document_issues(doc: CrewDocument) -> list[Issue]:
    """Everything wrong across the parts of ``doc``, in file order."""
    issues: list[Issue] = []
    if not doc.agents:
        issues.append((("agents",), "the crew has no agents"))
    if not doc.tasks:
        issues.append((("tasks",), "the crew has no tasks"))
    issues += _key_issues("agents", (agent.key for agent in doc.agents), "agent")
    issues += _key_issues("tasks", (task.key for task in doc.tasks), "task")
    issues += _duplicates("input_sets", (inputs.name for inputs in doc.input_sets), "input set")
    issues += _extra_issues(doc)
    issues += _agent_issues(doc)
    issues += _manager_issues(doc)
    issues += _embedder_issues(doc.settings.embedder)
    issues += _context_issues(doc.tasks)
    return sorted(issues, key=lambda issue: _order(issue[0]))


def knowledge_file_issues(doc: CrewDocument, base_dir: Path | None) -> list[Issue]:
    """One issue per knowledge file that is not there (blocking: it looks at the disk).

    Args:
        doc: The crew.
        base_dir: The folder relative paths start from; None: the working folder, then its
            ``knowledge/`` folder (as the engine looks for them).
    """
    issues: list[Issue] = []
    for loc, spec in knowledge_places(doc):
        if spec.path is None:
            continue
        file = resolve_path(spec.path, base_dir)
        candidates = [file]
        if base_dir is None and not file.is_absolute():
            candidates.append(Path("knowledge") / file)
        if any(candidate.is_file() for candidate in candidates):
            continue
        where = f" (looked for {file})" if str(file) != spec.path else ""
        if any(candidate.exists() for candidate in candidates):  # a folder, FIFO or device
            issues.append(((*loc, "path"), f"the knowledge file '{spec.path}' is not a "
                           f"regular file{where}"))
        else:
            issues.append(((*loc, "path"), f"the knowledge file '{spec.path}' does not "
                           f"exist{where}"))
    return issues


def _order(loc: Loc) -> tuple[int, int]:
    sections = ("name", "settings", "agents", "tasks", "input_sets")
    section = sections.index(str(loc[0])) if loc and loc[0] in sections else 0
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1
    return section, position


def _key_issues(section: str, keys: Iterable[str], kind: str) -> Iterator[Issue]:
    keys = list(keys)
    for index, key in enumerate(keys):
        if not KEY_RE.fullmatch(key):
            yield (
                (section, index, "key"),
                f"{kind} key '{key}' must start with a letter or _ and hold only letters, "
                "digits, _ and -",
            )
    yield from _duplicates(section, keys, kind)


def _duplicates(section: str, names: Iterable[str], kind: str) -> Iterator[Issue]:
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            yield (
                (section, index, "key" if section != "input_sets" else "name"),
                f"duplicate {kind} '{name}' (also {section}[{first[name]}])",
            )
        else:
            first[name] = index


def _extra_issues(doc: CrewDocument) -> Iterator[Issue]:
    def clashes(extra: dict[str, object], names: frozenset[str], spec: object) -> list[str]:
        return sorted(
            name for name in set(extra) & names
            if name not in _KEPT_WHEN_UNSET or getattr(spec, name)
        )

    for name in clashes(doc.settings.extra, CREW_FIELDS_IN_CREWAI, doc.settings):
        yield ("settings", "extra", name), f"'{name}' is a crew field; set it there"
    for index, agent in enumerate(doc.agents):
        for name in clashes(agent.extra, AGENT_FIELDS_IN_CREWAI | {"key"}, agent):
            yield ("agents", index, "extra", name), f"'{name}' is an agent field; set it there"
    for index, task in enumerate(doc.tasks):
        for name in clashes(task.extra, TASK_FIELDS_IN_CREWAI | {"key"}, task):
            yield ("tasks", index, "extra", name), f"'{name}' is a task field; set it there"


def _agent_issues(doc: CrewDocument) -> Iterator[Issue]:
    for index, agent in enumerate(doc.agents):
        if agent.max_iter is not None and agent.max_iter < 1:
            yield ("agents", index, "max_iter"), "max_iter must be 1 or more"
    known = [agent.key for agent in doc.agents]
    for index, task in enumerate(doc.tasks):
        if task.agent is None:
            if doc.process == "sequential":
                yield (
                    ("tasks", index, "agent"),
                    "has no agent; a sequential crew needs one per task",
                )
        elif task.agent not in known:
            yield (
                ("tasks", index, "agent"),
                f"unknown agent '{task.agent}' (agents: {', '.join(known) or 'none'})",
            )


def _manager_issues(doc: CrewDocument) -> Iterator[Issue]:
    """A manager agent must exist; in a hierarchical crew it has no tools and does no task."""
    key = doc.settings.manager_agent
    if key is None:
        return
    known = [agent.key for agent in doc.agents]
    if key not in known:
        yield (
            ("settings", "manager_agent"),
            f"unknown agent '{key}' (agents: {', '.join(known) or 'none'})",
        )
        return
    if doc.process != "hierarchical":
        return
    index = known.index(key)
    manager = doc.agents[index]
    if manager.tools or manager.allow_code_execution:
        yield (
            ("agents", index, "tools" if manager.tools else "allow_code_execution"),
            f"agent '{key}' manages the crew, so it must have no tools (nor code execution)",
        )
    for position, task in enumerate(doc.tasks):
        if task.agent == key:
            yield (
                ("tasks", position, "agent"),
                f"task '{task.key}' names the manager '{key}'; name a coworker, or no agent",
            )
    if len(known) == 1:
        yield ("agents",), f"the crew needs agents besides its manager '{key}' to delegate to"


def _embedder_issues(embedder: dict[str, object] | None) -> Iterator[Issue]:
    """An embedder names its model and holds no key."""
    if embedder is None:
        return
    loc: Loc = ("settings", "embedder")
    config = embedder.get("config", {})
    if not isinstance(config, dict):
        yield loc, "the embedder's config must be a mapping ({'model': ...})"
        return
    if not (config.get("model") or config.get("model_name")):
        yield loc, "the embedder needs a model: {provider: openai, config: {model: ...}}"
    for name in sorted(SECRET_NAMES & (set(config) | set(embedder))):
        yield loc, (f"'{name}': a crew file never holds a key; remove it (the embedder's key "
                    "is found as for an agent with its model)")


def _context_issues(tasks: list[TaskSpec]) -> Iterator[Issue]:
    position = {task.key: index for index, task in enumerate(tasks)}
    in_cycle: set[tuple[str, str]] = set()
    for cycle in _cycles(tasks, position):
        in_cycle.update(zip(cycle, cycle[1:], strict=False))
        start = position[cycle[0]]
        yield (
            ("tasks", start, "context"),
            "context makes a cycle: " + " -> ".join(cycle),
        )
    for index, task in enumerate(tasks):
        for item, name in enumerate(task.context or []):
            loc: Loc = ("tasks", index, "context", item)
            if name not in position:
                yield loc, f"context names task '{name}', which does not exist"
            elif (task.key, name) in in_cycle:
                continue
            elif position[name] >= index:
                yield (
                    loc,
                    f"context names task '{name}', which runs later; "
                    "context can only name earlier tasks",
                )


def _cycles(tasks: list[TaskSpec], position: dict[str, int]) -> list[list[str]]:
    """Each cycle of context edges once, as keys from its first task back to it."""
    edges = {
        task.key: [name for name in task.context or [] if name in position] for task in tasks
    }
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    done: set[str] = set()

    def visit(key: str, trail: list[str]) -> None:
        if key in trail:
            cycle = [*trail[trail.index(key):], key]
            if frozenset(cycle) not in seen_sets:
                seen_sets.add(frozenset(cycle))
                found.append(cycle)
            return
        if key in done:
            return
        for name in edges.get(key, []):
            visit(name, [*trail, key])
        done.add(key)

    for task in tasks:
        visit(task.key, [])
    return found


_SPACED_RE = re.compile(r"\{(\s+[A-Za-z_]\w*\s*|[A-Za-z_]\w*\s+)\}")
"""``{ topic }``: meant as a placeholder, but the spaces keep it from being filled."""
_UNCLOSED_RE = re.compile(r"\{[A-Za-z_]\w*(?![\w}])")
"""``{topic`` with no ``}`` after the name."""
_UNOPENED_RE = re.compile(r"(?<![{\w])[A-Za-z_]\w*\}")
"""``topic}`` with no ``{`` before the name."""


def run_issues(doc: CrewDocument, *, check_tools: bool = True) -> list[RunIssue]:
    """What would fail or go wrong when ``doc`` runs, though it can be saved.

    Args:
        doc: The crew.
        check_tools: Whether to check the agents' tool names against the tools CrewDesk can
            build (off for a CrewAI project's crew, whose code makes its own tools).

    Returns:
        ``(loc, message, severity)`` triples, in file order.
    """
    issues: list[RunIssue] = []
    if check_tools:
        issues += _tool_issues(doc)
    issues += _brace_issues(doc)
    issues += _input_issues(doc)
    return sorted(issues, key=lambda issue: _order(issue[0]))


def _tool_issues(doc: CrewDocument) -> Iterator[RunIssue]:
    """Tool names that no built-in or CrewAI-named tool of CrewDesk answers to (project and
    MCP tools are checked when the crew is built, where their folder and servers are known)."""
    from desktop_app.documents.tool_catalog import MCP_PREFIX, PROJECT_PREFIX, catalog

    known = {entry.name for entry in catalog()}
    for index, agent in enumerate(doc.agents):
        for item, name in enumerate(agent.tools):
            if name.startswith((PROJECT_PREFIX, MCP_PREFIX)) or name in known:
                continue
            yield (("agents", index, "tools", item),
                   f"uses the tool '{name}', which CrewDesk cannot build: pick a tool it "
                   "offers (Tools…) or remove it", "run")


def _brace_issues(doc: CrewDocument) -> Iterator[RunIssue]:
    """``{ name }`` and unbalanced braces: text the run sends as it is, unfilled."""
    for loc, text in doc.text_fields():
        for match in _SPACED_RE.finditer(text):
            name = match.group(1).strip()
            yield (loc, f"'{match.group(0)}' is not filled in at run time: write {{{name}}} "
                   "without spaces", "warning")
        opened, closed = text.count("{"), text.count("}")
        if opened == closed:
            continue
        fragment = (_UNCLOSED_RE if opened > closed else _UNOPENED_RE).search(text)
        near = f" (near '{fragment.group(0)}')" if fragment else ""
        yield (loc, f"the braces do not match ({opened} '{{', {closed} '}}'): a placeholder "
               f"is not closed or not opened{near}", "warning")


def _input_issues(doc: CrewDocument) -> Iterator[RunIssue]:
    """Placeholders an input set gives no value (the run stops), and inputs no placeholder
    uses (their values go nowhere)."""
    uses = doc.placeholder_uses()
    for index, inputs in enumerate(doc.input_sets):
        for name, places in uses.items():
            if name not in inputs.values:
                yield (places[0], f"{{{name}}} has no value in input set {index + 1} "
                       f"\"{inputs.name}\": a run with it stops", "run")
        for name in inputs.values:
            if name not in uses:
                yield (("input_sets", index, "values", name),
                       f"gives the input '{name}', which no {{placeholder}} uses", "warning")


_SECTION_NAMES = {"agents": "Agent", "tasks": "Task", "input_sets": "Input set"}
_WHOLE_SECTIONS = {"agents": "The crew's agents", "tasks": "The crew's tasks",
                   "input_sets": "The crew's input sets", "name": "The crew's name",
                   "description": "The crew's description", "process": "The crew's process"}


def place_text(doc: CrewDocument, loc: Loc) -> str:
    """A place of ``doc`` in plain words: ``Task 2 "write", expected output``."""
    if not loc:
        return "The crew"
    section = str(loc[0])
    if section == "settings":
        return "The crew's " + " ".join(_words(part) for part in loc[1:] if not
                                        isinstance(part, int)) if len(loc) > 1 else "The crew"
    if len(loc) == 1 or not isinstance(loc[1], int) or section not in _SECTION_NAMES:
        return _WHOLE_SECTIONS.get(section, _words(section).capitalize())
    items: list[object] = list(getattr(doc, section))
    index = loc[1]
    item = items[index] if 0 <= index < len(items) else None
    name = getattr(item, "key", None) or getattr(item, "name", None)
    text = f"{_SECTION_NAMES[section]} {index + 1}" + (f' "{name}"' if name else "")
    field = [_words(part) for part in loc[2:3] if isinstance(part, str)]
    return ", ".join([text, *field])


def plain_text(doc: CrewDocument, loc: Loc, message: str) -> str:
    """An issue for people: ``Task 2 "write" has no agent; ...`` (the place in plain words,
    then the message)."""
    place = place_text(doc, loc)
    subject = place.split(", ", 1)[0]
    if message.startswith(("has ", "is ", "uses ", "gives ")):
        return f"{subject} {message}"
    return f"{place}: {message}"


def _words(name: str | int) -> str:
    return {"max_iter": "max iterations", "llm": "model", "manager_llm": "manager model"}.get(
        str(name), str(name).replace("_", " "))
