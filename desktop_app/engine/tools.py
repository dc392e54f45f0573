"""Tools an agent can call, as CrewAI's `BaseTool`: a name, a description, typed arguments.

The model sees each tool as an OpenAI function schema built from `args_schema`. Sync tools
run in a worker thread on the async path, so they never block the event loop; async tools
(`_arun`) are awaited on the loop. `@tool` makes a tool from a plain (sync or async)
function, as CrewAI's `@tool` does: its docstring is the description and its signature the
typed arguments.

As CrewAI's, a tool may end its agent's work (`result_as_answer=True`: its output is the
task's answer, with no further LLM call) or be limited to `max_usage_count` calls per task
execution (then the model is told so, in CrewAI's words). A keyword a tool has no field for
warns (`IgnoredSettingWarning`) at the user's line instead of vanishing as pydantic would.

A tool with side effects (running code, the network, writing files, reading outside the
crew's folder) describes each call as an `ApprovalRequest` (`approval_request`); the agent
loop asks the run's `Approvals` before such a call runs (`desktop_app.engine.approval`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, get_type_hints, overload

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from desktop_app.engine._blocking import run_to_end
from desktop_app.engine.errors import IgnoredSettingWarning

if TYPE_CHECKING:
    from desktop_app.engine.approval import ApprovalRequest

_T = TypeVar("_T")

_INNER = ("desktop_app.engine", "desktop_app.compat", "pydantic")
"""Modules between the user's code and a tool's warning (the tool, its base classes, pydantic)."""


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


class EmptyArgs(BaseModel):
    """Arguments of a tool that takes none."""


class BaseTool(BaseModel, ABC):
    """A tool. Subclass it and implement `_run` (and `_arun` for a natively async tool).

    Attributes:
        name: The name the model calls it by (letters, digits, `_` and `-`).
        description: What it does and when to use it, for the model.
        args_schema: A pydantic model of the arguments; when a subclass sets none, it is read
            from the signature of its `_run`, as CrewAI does.
        result_as_answer: Its output is the task's final answer: the agent stops after a
            call that succeeds (CrewAI's `result_as_answer`).
        max_usage_count: How many times one execution of a task may call it (None: no
            limit); further calls get CrewAI's error text instead.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    name: str
    description: str
    args_schema: type[BaseModel] = EmptyArgs
    result_as_answer: bool = False
    max_usage_count: int | None = None
    is_async_native: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _warn_unknown(cls, data: Any) -> Any:
        """Warns about each keyword the tool has no field for (pydantic drops them)."""
        if isinstance(data, dict) and cls.model_config.get("extra") in (None, "ignore"):
            known = set(cls.model_fields)
            known.update(f.alias for f in cls.model_fields.values() if f.alias)
            for key in data:
                if key not in known:
                    warn_ignored(cls.__name__, str(key), "this tool has no such setting")
        return data

    @field_validator("max_usage_count")
    @classmethod
    def _positive_limit(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("max_usage_count must be a positive integer")  # CrewAI's words
        return value

    @model_validator(mode="after")
    def _args_from_run(self) -> BaseTool:
        if self.args_schema is EmptyArgs and _named_parameters(self._run):
            self.args_schema = args_schema_of(self._run, f"{type(self).__name__}Args")
        return self

    @abstractmethod
    def _run(self, **kwargs: Any) -> Any:
        """Does the work, blocking."""

    async def _arun(self, **kwargs: Any) -> Any:
        """Does the work without blocking the loop; by default `_run` in a worker thread."""
        return await asyncio.to_thread(self._run, **kwargs)

    def function_name(self) -> str:
        """The name as the provider accepts it (`^[A-Za-z0-9_-]{1,64}$`)."""
        cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in self.name)
        return cleaned[:64] or "tool"

    def openai_schema(self) -> dict[str, Any]:
        """The tool in OpenAI's function-calling format."""
        parameters = self.args_schema.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {
                "name": self.function_name(),
                "description": self.description,
                "parameters": parameters,
            },
        }

    def parse_arguments(self, arguments: str) -> dict[str, Any]:
        """Validates the model's JSON arguments against `args_schema`.

        Raises:
            ValueError: The arguments are not JSON or do not fit the schema; the message is
                meant to go back to the model so it can correct itself.
        """
        try:
            raw = json.loads(arguments or "{}")
        except ValueError as exc:
            raise ValueError(f"arguments are not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ValueError("arguments must be a JSON object")
        try:
            validated = self.args_schema.model_validate(raw)
        except ValidationError as exc:
            raise ValueError(f"arguments do not fit the tool's schema: {exc}") from exc
        return dict(validated)

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest | None:
        """What this call would do, for the user to allow, or None when it needs no approval.

        The agent loop asks before a call whose request is not None (see
        `desktop_app.engine.approval`). The default is None: a plain function tool is the
        user's own code. Tools with side effects override it.

        Args:
            arguments: The call's validated arguments (`parse_arguments`).
            workspace: The run's folder, resolved: relative paths are read and written
                from it, and a read outside it asks.

        Raises:
            ValueError: The arguments cannot be run (the message goes back to the model).
        """
        del arguments, workspace
        return None

    def awaits_natively(self) -> bool:
        """Whether the tool is a coroutine that the blocking path awaits on its own loop."""
        return self.is_async_native

    def run(self, **kwargs: Any) -> Any:
        """Runs the tool, blocking (CrewAI's name)."""
        return self._run(**kwargs)

    async def arun(self, **kwargs: Any) -> Any:
        """Runs the tool without blocking the event loop."""
        return await self._arun(**kwargs)


class Tool(BaseTool):
    """A tool made from a function by `@tool` (CrewAI's `Tool`).

    Attributes:
        func: The function; a coroutine function is awaited on the loop, a plain one runs in
            a worker thread on the async path.
    """

    func: Callable[..., Any]

    def _run(self, **kwargs: Any) -> Any:
        if inspect.iscoroutinefunction(self.func):
            return run_to_end(self.func(**kwargs), thread_name="crewdesk-tool")
        return self.func(**kwargs)

    async def _arun(self, **kwargs: Any) -> Any:
        if inspect.iscoroutinefunction(self.func):
            return await self.func(**kwargs)
        return await asyncio.to_thread(self.func, **kwargs)

    def awaits_natively(self) -> bool:
        """Whether the function is a coroutine function."""
        return inspect.iscoroutinefunction(self.func)


@overload
def tool(name_or_func: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    name_or_func: str | None = None,
    /,
    *,
    result_as_answer: bool = False,
    max_usage_count: int | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    name_or_func: str | Callable[..., Any] | None = None,
    /,
    *,
    result_as_answer: bool = False,
    max_usage_count: int | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Makes a tool from a function, as CrewAI's `@tool` (`@tool`, `@tool("Name")`,
    `@tool("Name", result_as_answer=True)`, `@tool(max_usage_count=2)`).

    The docstring is the description the model reads; the parameters, with their type hints
    and defaults, are the arguments. The options are `BaseTool`'s fields of the same names.

    Raises:
        ValueError: The function has no docstring.
    """
    options: dict[str, Any] = {
        "result_as_answer": result_as_answer, "max_usage_count": max_usage_count,
    }
    if callable(name_or_func):
        return tool_from(Tool, name_or_func, name_or_func.__name__, **options)

    def decorate(func: Callable[..., Any]) -> Tool:
        return tool_from(Tool, func, name_or_func or func.__name__, **options)

    return decorate


_ToolT = TypeVar("_ToolT", bound=Tool)


def tool_from(kind: type[_ToolT], func: Callable[..., Any], name: str, **options: Any) -> _ToolT:
    """A tool of class `kind` made from `func` (what `@tool` does), with `BaseTool` options.

    Raises:
        ValueError: The function has no docstring.
    """
    description = inspect.getdoc(func)
    if not description:
        raise ValueError(f"The tool function '{func.__name__}' must have a docstring.")
    return kind(
        name=name, description=description, args_schema=args_schema_of(func), func=func,
        **options,
    )


def _named_parameters(func: Callable[..., Any]) -> list[inspect.Parameter]:
    return [
        param for param in inspect.signature(func).parameters.values()
        if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
    ]


def args_schema_of(func: Callable[..., Any], model_name: str | None = None) -> type[BaseModel]:
    """A pydantic model of a function's parameters (no annotation means any value).

    Raises:
        TypeError: A type hint names something the function's module does not define.
    """
    try:
        hints = get_type_hints(func)
    except NameError as exc:
        raise TypeError(
            f"cannot read the type hints of the tool function '{func.__name__}': {exc}; "
            "define the types it uses at module level"
        ) from exc
    fields: dict[str, Any] = {}
    for param in _named_parameters(func):
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, Field(default))
    name = model_name or "".join(part.title() for part in func.__name__.split("_")) + "Args"
    return create_model(name, **fields)
