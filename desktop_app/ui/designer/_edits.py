"""Edits of a crew document as pure functions: each returns a new document, never a changed one.

The designer's undo commands keep the document before and after an edit, so every edit here
works on a deep copy. Nothing here imports Qt.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from desktop_app.documents.model import (
    AGENT_TEXT_FIELDS,
    TASK_TEXT_FIELDS,
    AgentSpec,
    CrewDocument,
    TaskSpec,
)

Loc = tuple[str | int, ...]
"""A place in a document: ("agents", 0, "role"), ("name",) ..."""


def new_document(name: str = "New crew") -> CrewDocument:
    """A small crew to start from: one agent and one task, valid as it is."""
    doc = CrewDocument(name=name)
    doc = add_agent(doc)
    return add_task(doc)


def set_value(doc: CrewDocument, loc: Loc, value: Any) -> CrewDocument:
    """Sets one field, such as ("agents", 0, "role"), ("settings", "memory") or ("name",).

    Renaming an agent or a task key also renames the references to it, when the old key was
    unique (tasks' `agent`, and `context` lists).

    Raises:
        ValueError: The value does not fit the field (pydantic validates assignments).
    """
    result = doc.model_copy(deep=True)
    if len(loc) == 1:
        setattr(result, str(loc[0]), value)
        return result
    if len(loc) == 2:  # a crew setting: ("settings", "manager_llm")
        setattr(getattr(result, str(loc[0])), str(loc[1]), value)
        return result
    section, index, name = str(loc[0]), int(loc[1]), str(loc[2])
    target = getattr(result, section)[index]
    old = getattr(target, name)
    setattr(target, name, value)
    if name == "key" and isinstance(old, str) and isinstance(value, str):
        _rename_references(result, section, old, value)
    return result


def _rename_references(doc: CrewDocument, section: str, old: str, new: str) -> None:
    specs: list[Any] = doc.agents if section == "agents" else doc.tasks
    if sum(1 for spec in specs if spec.key in (old, new)) != 1:
        return  # the key is (or becomes) shared: references stay as they were
    prefix = "agent:" if section == "agents" else "task:"
    if prefix + old in doc.layout and prefix + new not in doc.layout:
        doc.layout[prefix + new] = doc.layout.pop(prefix + old)  # the canvas keeps its place
    for task in doc.tasks:
        if section == "agents" and task.agent == old:
            task.agent = new
        if section == "tasks" and task.context is not None and old in task.context:
            task.context = [new if key == old else key for key in task.context]


def _unique_key(base: str, taken: set[str]) -> str:
    number = 1
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def add_agent(doc: CrewDocument) -> CrewDocument:
    """Appends an agent with a fresh key and short texts to fill in."""
    result = doc.model_copy(deep=True)
    key = _unique_key("agent", {agent.key for agent in result.agents})
    result.agents.append(
        AgentSpec(key=key, role="Assistant", goal="Help with the task", backstory="A helpful expert.")
    )
    return result


def add_task(doc: CrewDocument) -> CrewDocument:
    """Appends a task done by the first agent (if any), with a fresh key."""
    result = doc.model_copy(deep=True)
    key = _unique_key("task", {task.key for task in result.tasks})
    agent = result.agents[0].key if result.agents else None
    result.tasks.append(
        TaskSpec(key=key, description="Describe the task.", expected_output="A short answer.",
                 agent=agent)
    )
    return result


def remove_agent(doc: CrewDocument, index: int) -> CrewDocument:
    """Removes an agent; tasks that named it keep the name (and show the problem)."""
    result = doc.model_copy(deep=True)
    del result.agents[index]
    return result


def remove_task(doc: CrewDocument, index: int) -> CrewDocument:
    """Removes a task and drops it from the `context` of the others."""
    result = doc.model_copy(deep=True)
    removed = result.tasks.pop(index).key
    if not any(task.key == removed for task in result.tasks):
        for task in result.tasks:
            if task.context is not None and removed in task.context:
                task.context = [key for key in task.context if key != removed]
    return result


def move_item(doc: CrewDocument, section: str, index: int, offset: int) -> CrewDocument:
    """Moves an agent or task up (-1) or down (+1); out-of-range moves change nothing."""
    result = doc.model_copy(deep=True)
    items: list[Any] = getattr(result, section)
    target = index + offset
    if 0 <= index < len(items) and 0 <= target < len(items):
        items.insert(target, items.pop(index))
    return result


def required_text_issues(doc: CrewDocument) -> list[tuple[Loc, str]]:
    """Texts that must not be empty: the crew's name, agents' and tasks' texts."""
    issues: list[tuple[Loc, str]] = []
    if not doc.name.strip():
        issues.append((("name",), "the crew needs a name"))
    for index, agent in enumerate(doc.agents):
        for name in AGENT_TEXT_FIELDS:
            if not getattr(agent, name).strip():
                issues.append((("agents", index, name), f"{name} must not be empty"))
    for index, task in enumerate(doc.tasks):
        for name in TASK_TEXT_FIELDS:
            if not getattr(task, name).strip():
                label = name.replace("_", " ")
                issues.append((("tasks", index, name), f"{label} must not be empty"))
    return issues


def all_issues(doc: CrewDocument) -> list[tuple[Loc, str]]:
    """Everything the designer reports: the document's problems and empty texts."""
    found = [(issue.loc, issue.message) for issue in doc.problems()]
    return required_text_issues(doc) + found


def issues_by_field(issues: list[tuple[Loc, str]]) -> dict[Loc, list[str]]:
    """Groups messages by the field they belong to (a `context` item counts as `context`)."""
    grouped: dict[Loc, list[str]] = defaultdict(list)
    for loc, message in issues:
        grouped[field_of(loc)].append(message)
    return dict(grouped)


def field_of(loc: Loc) -> Loc:
    """The field an issue's place belongs to: ("tasks", 1, "context", 0) -> (.., "context")."""
    if loc and loc[0] in ("agents", "tasks", "input_sets") and len(loc) >= 3:
        return loc[:3]
    return loc[:1]


def is_saveable(doc: CrewDocument) -> bool:
    """Tells whether the document can be written as a crew file (no problems at all)."""
    return not all_issues(doc)
