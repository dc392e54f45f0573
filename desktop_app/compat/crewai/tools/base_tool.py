"""`crewai.tools.base_tool`: the engine's `BaseTool`, `Tool` and `@tool`, and CrewAI's `EnvVar`.

Subclass `BaseTool` with `name`, `description`, `args_schema` and `_run` as in CrewAI; `@tool`
and `@tool("Name")` make a tool from a function whose docstring is its description.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from desktop_app.engine.errors import IgnoredSettingWarning
from desktop_app.engine.tools import BaseTool, Tool
from desktop_app.engine.tools import tool as _engine_tool


class EnvVar(BaseModel):
    """An environment variable a tool needs (CrewAI's `BaseTool.env_vars` items).

    Attributes:
        name: The variable, e.g. "SERPER_API_KEY".
        description: What it is for.
        required: Whether the tool fails without it.
        default: The value used when it is not set.
    """

    name: str
    description: str
    required: bool = True
    default: str | None = None


def tool(
    *args: Any, result_as_answer: bool = False, max_usage_count: int | None = None
) -> Any:
    """CrewAI's `@tool`, `@tool("Name")`: the engine's `tool`, taking CrewAI's keywords.

    `result_as_answer` and `max_usage_count` are not acted on by CrewDesk: given, they warn
    (`IgnoredSettingWarning`) naming the tool, never silently.
    """
    given = {"result_as_answer": result_as_answer, "max_usage_count": max_usage_count}
    ignored = {key: value for key, value in given.items() if value not in (False, None)}

    def finish(made: Tool) -> Tool:
        for key, value in ignored.items():
            warnings.warn(
                IgnoredSettingWarning(
                    f"Tool '{made.name}': {key}={value!r} is not supported by CrewDesk and is "
                    "ignored"
                ),
                stacklevel=3,
            )
        return made

    if len(args) == 1 and callable(args[0]):
        return finish(_engine_tool(args[0]))
    name: str | None = args[0] if args else None

    def decorate(func: Callable[..., Any]) -> Tool:
        return finish(_engine_tool(name)(func) if name else _engine_tool(func))

    return decorate


__all__ = ["BaseTool", "EnvVar", "Tool", "tool"]
