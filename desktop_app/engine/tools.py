"""Tools an agent can call, as CrewAI's `BaseTool`: a name, a description, typed arguments.

The model sees each tool as an OpenAI function schema built from `args_schema`. Sync tools
run in a worker thread on the async path, so they never block the event loop; async tools
(`_arun`) are awaited on the loop. `@tool` makes a tool from a plain (sync or async)
function, as CrewAI's `@tool` does: its docstring is the description and its signature the
typed arguments.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from desktop_app.engine._blocking import run_to_end

_T = TypeVar("_T")


class EmptyArgs(BaseModel):
    """Arguments of a tool that takes none."""


class BaseTool(BaseModel, ABC):
    """A tool. Subclass it and implement `_run` (and `_arun` for a natively async tool).

    Attributes:
        name: The name the model calls it by (letters, digits, `_` and `-`).
        description: What it does and when to use it, for the model.
        args_schema: A pydantic model of the arguments; when a subclass sets none, it is read
            from the signature of its `_run`, as CrewAI does.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    name: str
    description: str
    args_schema: type[BaseModel] = EmptyArgs
    is_async_native: ClassVar[bool] = False

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
def tool(name_or_func: str | None = None, /) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    name_or_func: str | Callable[..., Any] | None = None, /
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Makes a tool from a function, as CrewAI's `@tool` (`@tool` or `@tool("Name")`).

    The docstring is the description the model reads; the parameters, with their type hints
    and defaults, are the arguments.

    Raises:
        ValueError: The function has no docstring.
    """
    if callable(name_or_func):
        return _tool_from(name_or_func, name_or_func.__name__)

    def decorate(func: Callable[..., Any]) -> Tool:
        return _tool_from(func, name_or_func or func.__name__)

    return decorate


def _tool_from(func: Callable[..., Any], name: str) -> Tool:
    description = inspect.getdoc(func)
    if not description:
        raise ValueError(f"The tool function '{func.__name__}' must have a docstring.")
    return Tool(name=name, description=description, args_schema=args_schema_of(func), func=func)


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
