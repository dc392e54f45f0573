"""`verbose=True` (or an old project's `verbose=2`): the run's steps printed on stdout, as
CrewAI's verbose output reads ("# Agent: ...", "## Task: ...", "## Final Answer: ...").

A crew's `verbose` prints every agent's steps; an agent's own `verbose` prints its steps.
Nothing is printed while someone subscribes to the event bus (`crewdesk run` and CrewAI's
event listeners show the run from there), so a run is never shown twice.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from typing import TextIO

from desktop_app.engine import bus
from desktop_app.engine import events as ev

Emit = Callable[[ev.RunEvent], None]


def verbose_roles(crew_verbose: bool | int, agents: Collection[tuple[str, bool | int]]) -> (
    frozenset[str] | None
):
    """The roles whose steps are printed: None for every role (the crew is verbose), an
    empty set when nothing is."""
    if crew_verbose:
        return None
    return frozenset(role for role, verbose in agents if verbose)


def with_printer(
    emit: Emit | None, roles: frozenset[str] | None, out: TextIO | None = None
) -> Emit | None:
    """`emit` plus a printer of the steps of `roles` (see `verbose_roles`), or `emit` alone
    when nothing is to be printed or the bus has subscribers."""
    if roles is not None and not roles:
        return emit
    if bus.active():
        return emit

    def printer(event: ev.RunEvent) -> None:
        text = _describe(event, roles)
        if text:
            print(text, file=out or sys.stdout, flush=True)

    if emit is None:
        return printer
    inner = emit

    def both(event: ev.RunEvent) -> None:
        inner(event)
        printer(event)

    return both


def _describe(event: ev.RunEvent, roles: frozenset[str] | None) -> str:
    if isinstance(event, ev.RunFailed):
        return f"# Crew failed\n## Error: {event.error}\n"
    role = getattr(event, "agent_role", None)
    if role is None or (roles is not None and role not in roles):
        return ""
    head = f"# Agent: {role}\n"
    if isinstance(event, ev.TaskStarted):
        return f"{head}## Task: {event.description}\n"
    if isinstance(event, ev.ToolCallStarted):
        return f"{head}## Using tool: {event.tool_name}\n## Tool Input:\n{event.arguments}"
    if isinstance(event, ev.ToolCallFinished):
        return f"## Tool Output:\n{event.output}\n"
    if isinstance(event, ev.TaskFinished):
        return f"{head}## Final Answer:\n{event.output.raw}\n"
    return ""
