"""Forks as a tree in the history table (Qt-free): each fork right under the run it came from.

`tree_order` keeps the table's order (newest first) for runs that are not forks, puts each
fork after its parent (depth first, newest first among siblings), and gives forks a label
("↳ fork from task 3") for the Crew column. A fork whose parent is not in the list (deleted,
or filtered out by the search) stays where it is, still labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from desktop_app.storage.forks import ForkLink
from desktop_app.storage.history import RunSummary

__all__ = ["fork_label", "tree_order"]

INDENT = "    "


def fork_label(run: RunSummary, link: ForkLink, depth: int) -> str:
    """The Crew cell of a fork: indented by its depth, saying which task it started from."""
    return f"{INDENT * max(0, depth - 1)}↳ {run.crew_name} — fork from task {link.fork_task_index + 1}"


def tree_order(
    runs: Sequence[RunSummary], links: Mapping[str, ForkLink]
) -> tuple[list[RunSummary], dict[str, str]]:
    """The runs with forks under their parents, and the labels of the forks by run id."""
    shown = {run.run_id for run in runs}
    children: dict[str, list[RunSummary]] = {}
    roots: list[RunSummary] = []
    for run in runs:
        link = links.get(run.run_id)
        if link is not None and link.parent_run_id in shown and link.parent_run_id != run.run_id:
            children.setdefault(link.parent_run_id, []).append(run)
        else:
            roots.append(run)
    ordered: list[RunSummary] = []
    labels: dict[str, str] = {}
    seen: set[str] = set()

    def visit(run: RunSummary, depth: int) -> None:
        if run.run_id in seen:  # a loop in the links: show each run once
            return
        seen.add(run.run_id)
        ordered.append(run)
        link = links.get(run.run_id)
        if link is not None:
            labels[run.run_id] = fork_label(run, link, max(depth, 1))
        for child in children.get(run.run_id, []):
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    ordered.extend(run for run in runs if run.run_id not in seen)
    return ordered, labels
