"""Warnings for CrewAI tool settings CrewDesk accepts but does not use."""

from __future__ import annotations

import sys
import warnings

from desktop_app.engine.errors import IgnoredSettingWarning

__all__ = ["warn_ignored"]

_INNER = ("desktop_app.engine", "desktop_app.compat", "pydantic")
"""Modules between the user's code and the warning (the tool, its base classes, pydantic)."""


def warn_ignored(tool: str, setting: str, why: str) -> None:
    """Warns that `tool`'s `setting` is accepted but ignored, and why, at the line of the
    user's code that made the tool.

    The message reads like the engine's other ignored settings:
    "SerperDevTool: save_file=True is not supported by CrewDesk and is ignored (why)".
    """
    message = f"{tool}: {setting} is not supported by CrewDesk and is ignored ({why})"
    warnings.warn(IgnoredSettingWarning(message), stacklevel=_user_level())


def _user_level() -> int:
    """The `stacklevel` of the first frame outside CrewDesk and pydantic."""
    frame = sys._getframe(2)  # the caller of warn_ignored
    level = 2
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith(
        _INNER
    ):
        frame = frame.f_back
        level += 1
    return level
