"""How the app names a run's mode: plain words, with the engine's method in a tooltip.

Runs are started with `Crew.akickoff` (the crew as a task on the app's event loop) or
`Crew.kickoff_async` (CrewAI's blocking kickoff in a worker thread); history also keeps what
`crewdesk run` used (`kickoff`, `kickoff-async`, ...). The user sees "Native async" or
"Worker thread"; the method's name is in the tooltip, for those who know CrewAI's API.
"""

from __future__ import annotations

__all__ = ["mode_label", "mode_tooltip"]

_LABELS = {
    "akickoff": "Native async",
    "kickoff_async": "Worker thread",
    "kickoff": "Blocking",
    "akickoff_for_each": "Native async, for each",
    "kickoff_for_each": "Blocking, for each",
    "kickoff_for_each_async": "Worker threads, for each",
}

_TIPS = {
    "akickoff": "Crew.akickoff(): the crew runs as a task on the app's event loop "
                "(recommended: many crews at once cost little)",
    "kickoff_async": "Crew.kickoff_async(): CrewAI's blocking kickoff in a worker thread",
    "kickoff": "Crew.kickoff(): the blocking call",
}


_CLI = "cli "
"""The prefix of the modes `crewdesk run` records ("cli akickoff")."""


def _key(mode: str) -> str:
    return mode.strip().removeprefix(_CLI).replace("-", "_")


def mode_label(mode: str) -> str:
    """"Native async" for "akickoff", "Native async (crewdesk run)" for "cli akickoff"; a
    mode the app does not know is shown as it is."""
    label = _LABELS.get(_key(mode))
    if label is None:
        return mode
    return f"{label} (crewdesk run)" if mode.strip().startswith(_CLI) else label


def mode_tooltip(mode: str) -> str:
    """The engine's method behind a mode, for a tooltip."""
    key = _key(mode)
    return _TIPS.get(key, f"Crew.{key}()" if key in _LABELS else mode)
