"""Checks across the parts of a crew document: keys, agents of tasks, `context` edges.

Kept apart from the models so that `model.py` stays a plain description of the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

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
                    f"task '{task.key}' has no agent; a sequential crew needs one per task",
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
