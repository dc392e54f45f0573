"""Warnings for CrewAI tool settings CrewDesk accepts but does not use."""

from __future__ import annotations

import warnings

from desktop_app.engine.errors import IgnoredSettingWarning

__all__ = ["warn_ignored"]


def warn_ignored(tool: str, setting: str, why: str) -> None:
    """Warns that `tool`'s `setting` is accepted but ignored, and why.

    The message reads like the engine's other ignored settings:
    "SerperDevTool: save_file=True is not supported by CrewDesk and is ignored (why)".
    """
    message = f"{tool}: {setting} is not supported by CrewDesk and is ignored ({why})"
    warnings.warn(IgnoredSettingWarning(message), stacklevel=4)

