"""`crewai.tools.base_tool`: `BaseTool`, `Tool`, `@tool` and `EnvVar`, as CrewAI's.

`BaseTool` is an engine tool with CrewAI's face (the toolkit's `CrewAIToolFace`): the model
sees CrewAI's function name (`"Word counter"` is `word_counter`), `result_as_answer` and
`max_usage_count` take effect as in CrewAI, and a keyword CrewDesk does not act on
(`env_vars`, `cache_function`...) warns instead of vanishing. Subclass it with `name`,
`description`, `args_schema` and `_run` as in CrewAI; `@tool` and `@tool("Name")` make a
`Tool` from a function whose docstring is its description. Every toolkit tool
(`SerperDevTool`...) is a `BaseTool` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from desktop_app.engine.toolkit._face import CrewAIToolFace
from desktop_app.engine.tools import Tool as _EngineTool
from desktop_app.engine.tools import tool_from

BaseTool = CrewAIToolFace
"""CrewAI's `BaseTool`: subclass it and implement `_run` (and `_arun` for async). The toolkit's
tools are `BaseTool`s too."""


class Tool(CrewAIToolFace, _EngineTool):
    """A tool made from a function by `@tool` (CrewAI's `Tool`)."""


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
    """CrewAI's `@tool`, `@tool("Name")`, `@tool("Name", result_as_answer=True)`: a `Tool`
    from a function (its docstring is the description the model reads, its parameters the
    arguments); `result_as_answer` and `max_usage_count` as CrewAI's.

    Raises:
        ValueError: The function has no docstring.
    """
    options = {"result_as_answer": result_as_answer, "max_usage_count": max_usage_count}

    def make(func: Callable[..., Any], name: str) -> Tool:
        return tool_from(Tool, func, name, **options)

    if len(args) == 1 and callable(args[0]):
        return make(args[0], args[0].__name__)
    name: str | None = args[0] if args else None

    def decorate(func: Callable[..., Any]) -> Tool:
        return make(func, name or func.__name__)

    return decorate


__all__ = ["BaseTool", "EnvVar", "Tool", "tool"]
