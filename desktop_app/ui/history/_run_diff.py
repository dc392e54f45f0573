"""What differs between two runs (Qt-free): per-task outputs word by word, cost, tokens, time,
inputs and the crew's settings.

`compare_runs` pairs the tasks of two runs by index. Each pair carries a word-level diff
(`difflib.SequenceMatcher` over words and the spaces between them), which `diff_html` turns
into the left side (removed words struck and red) or the right side (added words green).
Metrics are the recorded figures; settings are the crew snapshots flattened to dotted paths
(`agents.writer.llm`), agents and tasks named by their key, and only the paths that differ.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from desktop_app.storage.history import RunRecord

__all__ = [
    "Metric",
    "RunDiff",
    "SettingChange",
    "TaskPair",
    "compare_runs",
    "diff_html",
    "flatten",
    "word_diff",
]

Op = Literal["equal", "delete", "insert"]
_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(left: str, right: str) -> list[tuple[Op, str]]:
    """The two texts as runs of kept, removed (left only) and added (right only) words."""
    a, b = _TOKEN.findall(left), _TOKEN.findall(right)
    ops: list[tuple[Op, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            ops.append(("insert", "".join(b[j1:j2])))
    return ops


def diff_html(ops: list[tuple[Op, str]], side: Literal["left", "right"]) -> str:
    """One side of a word diff as HTML: the left shows removed words, the right added ones."""
    parts: list[str] = []
    for op, text in ops:
        escaped = html.escape(text).replace("\n", "<br>")
        if op == "equal":
            parts.append(escaped)
        elif op == "delete" and side == "left":
            parts.append(f'<span style="background:#fadbd8;color:#922b21;'
                         f'text-decoration:line-through">{escaped}</span>')
        elif op == "insert" and side == "right":
            parts.append(f'<span style="background:#d5f5e3;color:#1e8449">{escaped}</span>')
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class TaskPair:
    """One task of both runs: its title, both outputs and their word diff."""

    index: int
    title: str
    left: str
    right: str
    ops: list[tuple[Op, str]]

    @property
    def same(self) -> bool:
        """Whether both outputs are the same text."""
        return self.left == self.right

    @property
    def changed_words(self) -> int:
        """Words removed plus words added."""
        return sum(len(text.split()) for op, text in self.ops if op != "equal")


@dataclass(frozen=True, slots=True)
class Metric:
    """A figure of both runs (None: not recorded) and the change from left to right."""

    name: str
    left: float | None
    right: float | None

    @property
    def change(self) -> float | None:
        """right - left, when both are known."""
        return None if self.left is None or self.right is None else self.right - self.left


@dataclass(frozen=True, slots=True)
class SettingChange:
    """A setting of the crew (a dotted path) whose value differs; None: absent on that side."""

    path: str
    left: str | None
    right: str | None


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Everything that differs between two runs (see the module docstring)."""

    left: RunRecord
    right: RunRecord
    tasks: list[TaskPair]
    metrics: list[Metric]
    settings: list[SettingChange]


def _title(record: RunRecord, index: int) -> str:
    tasks = record.crew_snapshot.get("tasks")
    if isinstance(tasks, list) and index < len(tasks) and isinstance(tasks[index], dict):
        task = tasks[index]
        return f"{index + 1}. {task.get('name') or task.get('key') or 'Task'}"
    stored = {output.task_index: output for output in record.task_outputs}
    name = stored[index].name if index in stored else None
    return f"{index + 1}. {name or 'Task'}"


def _usage(record: RunRecord, key: str) -> float | None:
    value = (record.usage or {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def _seconds(record: RunRecord) -> float | None:
    if record.finished_at is None:
        return None
    return max(0.0, (record.finished_at - record.started_at).total_seconds())


def _metrics(left: RunRecord, right: RunRecord) -> list[Metric]:
    return [
        Metric("Cost (USD)", left.cost_usd, right.cost_usd),
        Metric("Total tokens", _usage(left, "total_tokens"), _usage(right, "total_tokens")),
        Metric("Prompt tokens", _usage(left, "prompt_tokens"), _usage(right, "prompt_tokens")),
        Metric("Completion tokens", _usage(left, "completion_tokens"),
               _usage(right, "completion_tokens")),
        Metric("Model requests", _usage(left, "successful_requests"),
               _usage(right, "successful_requests")),
        Metric("Time (s)", _seconds(left), _seconds(right)),
    ]


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, JSON text) for every leaf of `value`; list items with a "key" are named
    by it (so reordering agents does not read as every agent changing)."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            yield from flatten(item, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list) and value and all(
        isinstance(item, Mapping) and "key" in item for item in value
    ):
        for item in value:
            yield from flatten(item, f"{path}.{item['key']}")
    else:
        yield path, json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _settings(left: RunRecord, right: RunRecord) -> list[SettingChange]:
    a = dict(flatten({"crew": left.crew_snapshot, "inputs": left.inputs}))
    b = dict(flatten({"crew": right.crew_snapshot, "inputs": right.inputs}))
    return [
        SettingChange(path, a.get(path), b.get(path))
        for path in sorted(set(a) | set(b))
        if a.get(path) != b.get(path)
    ]


def compare_runs(left: RunRecord, right: RunRecord) -> RunDiff:
    """What differs between `left` and `right` (task outputs paired by index)."""
    outputs = [{o.task_index: o.raw for o in run.task_outputs} for run in (left, right)]
    indexes = sorted(set(outputs[0]) | set(outputs[1]))
    tasks = [
        TaskPair(index, _title(left if index in outputs[0] else right, index),
                 outputs[0].get(index, ""), outputs[1].get(index, ""),
                 word_diff(outputs[0].get(index, ""), outputs[1].get(index, "")))
        for index in indexes
    ]
    return RunDiff(left, right, tasks, _metrics(left, right), _settings(left, right))
