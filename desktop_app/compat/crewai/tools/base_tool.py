"""`crewai.tools.base_tool`: the engine's `BaseTool`, `Tool` and `@tool`, and CrewAI's `EnvVar`.

Subclass `BaseTool` with `name`, `description`, `args_schema` and `_run` as in CrewAI; `@tool`
and `@tool("Name")` make a tool from a function whose docstring is its description.
"""

from __future__ import annotations

from pydantic import BaseModel

from desktop_app.engine.tools import BaseTool, Tool, tool


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


__all__ = ["BaseTool", "EnvVar", "Tool", "tool"]
