"""A stored run as text: per-task streamed output, the final answer, the whole report.

No Qt here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop_app.storage.history import RunRecord


@dataclass(frozen=True)
class TaskText:
    """What one task of a run produced.

    Attributes:
        index: The task's position, from 0.
        title: "1. Research (researcher)".
        text: The streamed output, with tool calls marked; the final answer when nothing
            streamed was kept.
    """

    index: int
    title: str
    text: str


def task_texts(record: RunRecord) -> list[TaskText]:
    """Each task's output in task order, from the stored segments (tool calls marked)."""
    pieces: dict[int, list[str]] = {}
    for segment in record.segments:
        parts = pieces.setdefault(segment.task_index, [])
        if segment.kind == "text":
            parts.append(segment.text)
        elif segment.kind == "warning":
            parts.append(f"\n⚠ {segment.text.strip()}\n")
        elif segment.kind == "note":
            parts.append(f"\n{segment.text.strip()}\n")
        else:
            parts.append(f"\n⚙ {segment.kind}: {segment.text.strip()}\n")
    finals = {output.task_index: output for output in record.task_outputs}
    indexes = sorted(set(pieces) | set(finals) | set(range(len(_snapshot_tasks(record)))))
    return [
        TaskText(index, _title(record, index), "".join(pieces.get(index, [])).strip()
                 or (finals[index].raw if index in finals else ""))
        for index in indexes
    ]


def _snapshot_tasks(record: RunRecord) -> list[dict[str, object]]:
    tasks = record.crew_snapshot.get("tasks") if record.crew_snapshot else None
    return [task for task in tasks if isinstance(task, dict)] if isinstance(tasks, list) else []


def _title(record: RunRecord, index: int) -> str:
    tasks = _snapshot_tasks(record)
    finals = {output.task_index: output for output in record.task_outputs}
    name: object = None
    agent: object = None
    if index < len(tasks):
        name = tasks[index].get("name") or tasks[index].get("key")
        agent = tasks[index].get("agent")
    if index in finals:
        name = name or finals[index].name
        agent = agent or finals[index].agent
    title = f"{index + 1}. {name or 'Task'}"
    return f"{title} ({agent})" if agent else title


def inputs_text(record: RunRecord) -> str:
    """The run's inputs, as readable JSON."""
    if not record.inputs:
        return "(no inputs)"
    return json.dumps(record.inputs, indent=2, ensure_ascii=False, default=str)


def report_text(record: RunRecord) -> str:
    """The whole run as one text: heading, inputs, each task's output, final answer, error."""
    lines = [f"# {record.crew_name}: {record.status} ({record.mode})",
             f"Started {record.started_at.astimezone():%Y-%m-%d %H:%M:%S}", "",
             "## Inputs", inputs_text(record), ""]
    for task in task_texts(record):
        lines += [f"## Task {task.title}", task.text or "(no output)", ""]
    if record.final_output:
        lines += ["## Final output", record.final_output, ""]
    if record.error:
        lines += ["## Error", record.error, ""]
    return "\n".join(lines)
