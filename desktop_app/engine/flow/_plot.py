"""`Flow.plot()`: the flow's graph as one self-contained HTML page (inline SVG, no scripts).

Steps are boxes in columns by depth from the starts (starts green, routers amber); an arrow
goes from each step a listener waits for to the listener, labelled "and"/"or" for joins, and
from a router to the listeners of its route labels, labelled with the label.
"""

from __future__ import annotations

from html import escape

from desktop_app.engine.flow._graph import FlowGraph

__all__ = ["flow_html"]

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 190, 44, 90, 26, 30


def _levels(graph: FlowGraph, arrows: list[tuple[str, str, str]]) -> dict[str, int]:
    level = {name: 0 for name in graph.starts}
    for _ in range(len(graph.steps)):  # longest path, bounded (loops stop growing here)
        changed = False
        for source, target, _label in arrows:
            if source in level and target not in graph.starts:
                want = level[source] + 1
                if level.get(target, -1) < want <= len(graph.steps):
                    level[target] = want
                    changed = True
        if not changed:
            break
    for name in graph.steps:
        level.setdefault(name, 0)
    return level


def flow_html(graph: FlowGraph, title: str) -> str:
    """The page for `graph`."""
    arrows = graph.edges()
    level = _levels(graph, arrows)
    columns: dict[int, list[str]] = {}
    for name in graph.steps:
        columns.setdefault(level[name], []).append(name)
    place = {name: (MARGIN + col * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
             for col, names in columns.items() for row, name in enumerate(names)}
    width = MARGIN * 2 + (max(columns) + 1) * (BOX_W + GAP_X)
    height = MARGIN * 2 + max(len(names) for names in columns.values()) * (BOX_H + GAP_Y)
    parts = [_arrow(place[s], place[t], label) for s, t, label in arrows]
    parts += [_box(name, place[name], graph) for name in graph.steps]
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:16px}}"
        "text{font-size:13px}</style></head><body>"
        f"<h1>{escape(title)}</h1><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" "
        f"height=\"{height}\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" "
        "refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0L10,5L0,"
        f"10z\" fill=\"#555\"/></marker></defs>{''.join(parts)}</svg></body></html>\n"
    )


def _box(name: str, at: tuple[int, int], graph: FlowGraph) -> str:
    mark = graph.steps[name].mark
    fill = "#d9f2d9" if mark.start is not None else "#ffe8b3" if mark.router else "#e6eefc"
    x, y = at
    return (f"<g class=\"step\" data-step=\"{escape(name)}\"><rect x=\"{x}\" y=\"{y}\" "
            f"width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\" fill=\"{fill}\" stroke=\"#333\"/>"
            f"<text x=\"{x + BOX_W // 2}\" y=\"{y + BOX_H // 2 + 4}\" text-anchor=\"middle\">"
            f"{escape(name)}</text></g>")


def _arrow(source: tuple[int, int], target: tuple[int, int], label: str) -> str:
    x1, y1 = source[0] + BOX_W, source[1] + BOX_H // 2
    x2, y2 = target[0], target[1] + BOX_H // 2
    if x2 <= x1:  # back to an earlier column: a loop
        x2, y2 = target[0] + BOX_W // 2, target[1] + BOX_H
    text = (f"<text x=\"{(x1 + x2) // 2}\" y=\"{(y1 + y2) // 2 - 4}\" text-anchor=\"middle\" "
            f"fill=\"#7a4d00\">{escape(label)}</text>") if label else ""
    return (f"<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#555\" "
            f"marker-end=\"url(#arrow)\"/>{text}")
