"""A Flow class's graph: its steps and what each waits for, read from the decorators' marks.

Shared by the runtime (which steps a trigger fires), `plot()` and, later, the app's canvas.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from desktop_app.engine.flow._dsl import Condition, FlowMark, condition_events, mark_of

__all__ = ["FlowGraph", "Step", "graph_of"]


@dataclass(frozen=True)
class Step:
    """One method of a flow with a flow decorator.

    Attributes:
        name: The method's name.
        mark: What its decorators say.
        is_async: Whether it is a coroutine function (awaited on the loop).
        takes_input: Whether it takes a parameter besides `self` (it is given the result of
            what fired it).
        file: Its source file, when known.
        line: Its first line there.
    """

    name: str
    mark: FlowMark
    is_async: bool
    takes_input: bool
    file: str | None
    line: int | None

    @property
    def start_condition(self) -> Condition | None:
        """A conditional start's condition (None for other steps)."""
        start = self.mark.start
        return None if start is None or isinstance(start, bool) else start


@dataclass(frozen=True)
class FlowGraph:
    """The steps of one Flow class, in definition order."""

    name: str
    steps: dict[str, Step]

    @property
    def starts(self) -> list[str]:
        """Every `@start` method."""
        return [name for name, step in self.steps.items() if step.mark.start is not None]

    @property
    def kickoff_starts(self) -> list[str]:
        """What runs at kickoff: the unconditional starts, else every start (CrewAI's rule)."""
        plain = [name for name in self.starts if self.steps[name].start_condition is None]
        return plain or self.starts

    def listeners(self) -> list[Step]:
        """Steps that wait for a condition (routers included)."""
        return [step for step in self.steps.values() if step.mark.listen is not None]

    def edges(self) -> list[tuple[str, str, str]]:
        """`(from_step, to_step, label)` for every arrow: a listener from each step it waits
        for ("and"/"or" for joins, "" alone), and from a router to the listeners of its route
        labels (the label; from every router when no router names its labels)."""
        routers = [name for name, step in self.steps.items() if step.mark.router]
        found: list[tuple[str, str, str]] = []
        for step in self.steps.values():
            for condition in (step.mark.listen, step.start_condition):
                if condition is not None:
                    found.extend((source, step.name, label)
                                 for source, label in _sources(self, condition, routers))
        return list(dict.fromkeys(found))

    def labels(self) -> list[str]:
        """Route labels listened to that are no method's name, in first-seen order."""
        found: list[str] = []
        for step in self.steps.values():
            for condition in (step.mark.listen, step.start_condition):
                if condition is not None:
                    found.extend(name for name in condition_events(condition)
                                 if name not in self.steps)
            found.extend(step.mark.emits)
        return list(dict.fromkeys(found))


_GRAPH = "__crewdesk_flow_graph__"


def _sources(graph: FlowGraph, condition: Condition, routers: list[str]
             ) -> list[tuple[str, str]]:
    join = "" if isinstance(condition, str) else condition["type"].lower()
    out: list[tuple[str, str]] = []
    for event in condition_events(condition):
        if event in graph.steps:
            out.append((event, join))
            continue
        emitters = [name for name in routers if event in graph.steps[name].mark.emits]
        out.extend((name, event) for name in emitters or routers)
    return out


def graph_of(flow_class: type) -> FlowGraph:
    """The graph of `flow_class` (its own and inherited flow methods), made once per class
    (reading each step's file and line costs about a millisecond; a flow is made per run).

    Raises:
        ValueError: A step listens to nothing that any step or router could fire is not an
            error (a label may come from a router without annotations); a flow with no
            `@start` is.
    """
    made = flow_class.__dict__.get(_GRAPH)
    if isinstance(made, FlowGraph):
        return made
    steps: dict[str, Step] = {}
    for klass in reversed(flow_class.__mro__):
        for name, value in vars(klass).items():
            mark = mark_of(value)
            if mark is not None and callable(value):
                steps.pop(name, None)
                steps[name] = _step(name, value, mark)
    graph = FlowGraph(getattr(flow_class, "__name__", "Flow"), steps)
    if not graph.starts:
        raise ValueError(f"Flow {graph.name} has no @start() method: mark the step the flow "
                         "begins with @start()")
    setattr(flow_class, _GRAPH, graph)
    return graph


def _step(name: str, function: Any, mark: FlowMark) -> Step:
    try:
        parameters = [p for p in inspect.signature(function).parameters.values()
                      if p.name != "self"]
    except (TypeError, ValueError):
        parameters = []
    takes_input = any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                      for p in parameters)
    try:
        file: str | None = inspect.getsourcefile(function)
        line: int | None = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        file, line = None, None
    return Step(name, mark, inspect.iscoroutinefunction(function), takes_input, file, line)
