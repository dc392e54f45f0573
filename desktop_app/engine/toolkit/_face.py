"""What every toolkit tool shows the model and the code the way CrewAI does.

- The function name is CrewAI's (`sanitize_tool_name`: "Search the internet with Serper"
  becomes `search_the_internet_with_serper`), so scripts and logs written against CrewAI match.
- The argument schema always says which arguments are required (`"required": []` when none
  is), so an optional argument (`FileReadTool`'s `file_path`, when the code named a file)
  reads as optional to any model.
- A keyword the tool has no field for is warned about (pydantic would drop it silently),
  e.g. CrewAI's `env_vars`: the engine's `BaseTool` does it for every tool. CrewAI's
  `result_as_answer` and `max_usage_count` are `BaseTool` fields that take effect.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from desktop_app.engine.tools import BaseTool

__all__ = ["CrewAIToolFace", "crewai_function_name"]

_QUOTES = re.compile(r"[\'\"]+")
_LOWER_UPPER = re.compile(r"([a-z])([A-Z])")
_UPPER_LOWER = re.compile(r"([A-Z]+)([A-Z][a-z])")
_DISALLOWED = re.compile(r"[^a-zA-Z0-9]+")
_MAX_LENGTH = 64


def crewai_function_name(name: str) -> str:
    """A tool name as CrewAI 1.15 sends it to the model: ASCII, snake case, at most 64
    characters (a longer one ends with a short hash of the rest)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _LOWER_UPPER.sub(r"\1_\2", _UPPER_LOWER.sub(r"\1_\2", text)).lower()
    text = re.sub("_+", "_", _DISALLOWED.sub("_", _QUOTES.sub("", text))).strip("_")
    if len(text) > _MAX_LENGTH:
        suffix = "_" + hashlib.sha256(text.encode()).hexdigest()[:8]
        text = text[: _MAX_LENGTH - len(suffix)].rstrip("_") + suffix
    return text or "tool"


class CrewAIToolFace(BaseTool):
    """The base of every toolkit tool (see the module docstring)."""

    def function_name(self) -> str:
        """CrewAI's function name for this tool."""
        return crewai_function_name(self.name)

    def openai_schema(self) -> dict[str, Any]:
        """The engine's schema, with `required` always present."""
        schema = super().openai_schema()
        schema["function"]["parameters"].setdefault("required", [])
        return schema
