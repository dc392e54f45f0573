"""The decorators that make a Flow's graph: `@start`, `@listen`, `@router`, `or_`, `and_`.

They only mark the method (a `FlowMark` under `__crewdesk_flow__`) and return it unchanged, so
`self.method()` still calls the user's function and decorators stack in any order (`@start()`
over `@router()` makes a router that starts the flow; `@persist` beside either). A trigger is a
method's name, a route label (any string), a method, or a condition; a condition is CrewAI's
dict `{"type": "OR" | "AND", "conditions": [...]}`, nestable, so code that builds one by hand
works too.
"""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias, TypeVar, Union, get_args, get_origin

__all__ = [
    "Condition",
    "FlowMark",
    "Trigger",
    "and_",
    "condition_events",
    "condition_met",
    "listen",
    "mark_of",
    "or_",
    "router",
    "start",
]

F = TypeVar("F", bound=Callable[..., Any])

Condition: TypeAlias = "str | dict[str, Any]"
"""A method name or route label, or `{"type": "OR" | "AND", "conditions": [Condition, ...]}`."""

Trigger: TypeAlias = "str | Callable[..., Any] | dict[str, Any]"
"""What `@listen`, `@router`, `@start`, `or_` and `and_` accept."""

MARK = "__crewdesk_flow__"


@dataclass(frozen=True)
class FlowMark:
    """What the decorators say about one method.

    Attributes:
        start: True for an unconditional `@start()`, a condition for `@start("name")`, else
            None (not a start).
        listen: The condition a listener or router waits for (None: it waits for nothing).
        router: Whether the method's return value is a route label.
        emits: The labels a router is known to return (`emit=` or a Literal/Enum return
            annotation), for the graph's picture.
        persist: `(backend or None, verbose)` when the method has `@persist`.
    """

    start: bool | Condition | None = None
    listen: Condition | None = None
    router: bool = False
    emits: tuple[str, ...] = ()
    persist: tuple[Any, bool] | None = None
    human_feedback: dict[str, Any] | None = field(default=None)


def mark_of(function: object) -> FlowMark | None:
    """The method's `FlowMark`, or None when no flow decorator marked it."""
    mark = getattr(function, MARK, None)
    return mark if isinstance(mark, FlowMark) else None


def _marked(function: F, **changes: Any) -> F:
    current = mark_of(function) or FlowMark()
    setattr(function, MARK, replace(current, **changes))
    return function


def _coerce(trigger: object) -> Condition:
    """A trigger as a condition: a name, or a checked condition dict."""
    if isinstance(trigger, str):
        return trigger
    if isinstance(trigger, dict):
        kind = trigger.get("type")
        parts = trigger.get("conditions")
        if kind in ("OR", "AND") and isinstance(parts, list | tuple):
            return {"type": kind, "conditions": [_coerce(part) for part in parts]}
        raise ValueError(f"Invalid condition {trigger!r}: expected or_(...), and_(...), a "
                         "method or a name")
    name = getattr(trigger, "__name__", None)
    if callable(trigger) and isinstance(name, str):
        return name
    raise ValueError(f"Invalid condition {trigger!r}: expected a method, a method's name or "
                     "a route label, or or_(...) / and_(...) of them")


def or_(*triggers: Trigger) -> dict[str, Any]:
    """A condition met when any of `triggers` fires (CrewAI's `or_`)."""
    return {"type": "OR", "conditions": [_coerce(one) for one in triggers]}


def and_(*triggers: Trigger) -> dict[str, Any]:
    """A condition met once every one of `triggers` has fired (CrewAI's `and_`)."""
    return {"type": "AND", "conditions": [_coerce(one) for one in triggers]}


def start(condition: Trigger | None = None) -> Callable[[F], F]:
    """Marks a method as a starting point of the flow.

    Args:
        condition: None for a method run at kickoff; a name, method or condition for a start
            run when that fires (only run at kickoff when the flow has no unconditional start).
    """
    def decorator(function: F) -> F:
        return _marked(function, start=True if condition is None else _coerce(condition))

    return decorator


def listen(condition: Trigger) -> Callable[[F], F]:
    """Marks a method that runs when `condition` fires (a method ends, or a route label)."""
    coerced = _coerce(condition)

    def decorator(function: F) -> F:
        return _marked(function, listen=coerced)

    return decorator


def router(condition: Trigger | None = None, *, emit: Sequence[str] | str | None = None
           ) -> Callable[[F], F]:
    """Marks a method whose return value is a route label that listeners listen to.

    Args:
        condition: What the router waits for (None when stacked under `@start()`).
        emit: The labels it returns, for the graph (else read from a Literal or Enum return
            annotation).
    """
    coerced = None if condition is None else _coerce(condition)

    def decorator(function: F) -> F:
        labels = [emit] if isinstance(emit, str) else list(emit or ()) or _annotated(function)
        changes: dict[str, Any] = {"router": True, "emits": tuple(dict.fromkeys(labels))}
        if coerced is not None:
            changes["listen"] = coerced
        return _marked(function, **changes)

    return decorator


def _annotated(function: Callable[..., Any]) -> list[str]:
    """String values of a Literal/Enum return annotation (`-> Literal["a", "b"]`)."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - an unresolvable annotation only loses the picture
        return []
    return _strings(hints.get("return", inspect.Signature.empty))


def _strings(annotation: object) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation if isinstance(member.value, str)]
    origin = get_origin(annotation)
    if origin is Literal:
        return [arg for arg in get_args(annotation) if isinstance(arg, str)]
    if origin is Union or str(origin) == "<class 'types.UnionType'>":
        return [value for arg in get_args(annotation) for value in _strings(arg)]
    return []


def condition_events(condition: Condition) -> Iterator[str]:
    """Every name or label a condition mentions."""
    if isinstance(condition, str):
        yield condition
        return
    for part in condition["conditions"]:
        yield from condition_events(part)


def condition_met(condition: Condition, seen: set[str]) -> bool:
    """Whether the events in `seen` meet `condition` (OR: any, AND: all, nested)."""
    if isinstance(condition, str):
        return condition in seen
    parts = (condition_met(part, seen) for part in condition["conditions"])
    return all(parts) if condition["type"] == "AND" else any(parts)


def is_multi_or(condition: Condition) -> bool:
    """An `or_` of two or more triggers: it fires once per cycle, as CrewAI's."""
    return isinstance(condition, dict) and condition["type"] == "OR" and len(
        condition["conditions"]) > 1
