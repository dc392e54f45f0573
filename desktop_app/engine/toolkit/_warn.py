"""Warnings for CrewAI tool settings CrewDesk accepts but does not use."""

from __future__ import annotations

import warnings
from typing import Any

from pydantic import BaseModel, model_validator

from desktop_app.engine.errors import IgnoredSettingWarning

__all__ = ["WarnsUnknownSettings", "warn_ignored"]


def warn_ignored(tool: str, setting: str, why: str) -> None:
    """Warns that `tool`'s `setting` is accepted but ignored, and why.

    The message reads like the engine's other ignored settings:
    "SerperDevTool: save_file=True is not supported by CrewDesk and is ignored (why)".
    """
    message = f"{tool}: {setting} is not supported by CrewDesk and is ignored ({why})"
    warnings.warn(IgnoredSettingWarning(message), stacklevel=4)


class WarnsUnknownSettings(BaseModel):
    """A mixin for toolkit tools: a keyword the tool has no field for is warned about
    (pydantic would drop it silently), e.g. CrewAI's `result_as_answer` or `env_vars`."""

    @model_validator(mode="before")
    @classmethod
    def _warn_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    warn_ignored(cls.__name__, str(key), "this tool has no such setting")
        return data
