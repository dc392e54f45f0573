"""Tools an agent can call, as CrewAI's `BaseTool`: a name, a description, typed arguments.

The model sees each tool as an OpenAI function schema built from `args_schema`. Sync tools
run in a worker thread on the async path, so they never block the event loop; async tools
(`_arun`) are awaited on the loop.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError


class EmptyArgs(BaseModel):
    """Arguments of a tool that takes none."""


class BaseTool(BaseModel, ABC):
    """A tool. Subclass it and implement `_run` (and `_arun` for a natively async tool).

    Attributes:
        name: The name the model calls it by (letters, digits, `_` and `-`).
        description: What it does and when to use it, for the model.
        args_schema: A pydantic model of the arguments.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    name: str
    description: str
    args_schema: type[BaseModel] = EmptyArgs
    is_async_native: ClassVar[bool] = False

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
            return self.args_schema.model_validate(raw).model_dump()
        except ValidationError as exc:
            raise ValueError(f"arguments do not fit the tool's schema: {exc}") from exc

    def run(self, **kwargs: Any) -> Any:
        """Runs the tool, blocking (CrewAI's name)."""
        return self._run(**kwargs)

    async def arun(self, **kwargs: Any) -> Any:
        """Runs the tool without blocking the event loop."""
        return await self._arun(**kwargs)
