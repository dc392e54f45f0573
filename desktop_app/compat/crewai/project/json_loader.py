"""`crewai.project.json_loader`: reading CrewAI's JSON crews (`crew.jsonc`, `agents/*.jsonc`).

The parts `crew_loader` uses: JSONC files (comments and trailing commas allowed), tool names
(`SerperDevTool`, `custom:<name>` for `tools/<name>.py`, `module:Class`), LLM objects
(`{"model": ..., "provider": ..., "base_url": ...}`) and Python references
(`{"python": "module.attribute"}`).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import Any

from desktop_app.compat._hook import DOCS
from desktop_app.compat.crewai.project._config import CONFIG_FILE_LIMIT, ConfigError
from desktop_app.engine import LLM, BaseTool
from desktop_app.engine.bounded_read import UnsafeFileError, read_text_bounded

PYTHON_REF_KEY = "python"


class JSONProjectError(ConfigError):
    """A problem in a JSON crew definition, naming its file (and key)."""


def load_jsonc_file(path: Path) -> dict[str, Any]:
    """A JSONC file's top-level object.

    Raises:
        JSONProjectError: The file is missing, not JSONC, or not an object.
    """
    import json5

    try:
        text = read_text_bounded(path, limit=CONFIG_FILE_LIMIT, what="JSON crew file")
    except UnsafeFileError as exc:  # a FIFO, a link to /dev/zero, a huge file
        raise JSONProjectError(path, None, exc.reason) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JSONProjectError(path, None, f"cannot read it: {exc}") from exc
    try:
        data = json5.loads(text)
    except (RecursionError, MemoryError):
        raise JSONProjectError(path, None, "not valid JSONC: nested too deeply") from None
    except ValueError as exc:
        line = _line_of(str(exc))
        raise JSONProjectError(path, line, f"not valid JSONC: {exc}") from exc
    if not isinstance(data, dict):
        raise JSONProjectError(path, 1, "the file must hold one JSON object")
    return data


def strip_jsonc_comments(text: str) -> str:
    """JSONC text without `//` and `/* */` comments (strings kept), as CrewAI's helper."""
    pattern = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)
    return pattern.sub(lambda match: match.group(1) or "", text)


def _line_of(message: str) -> int | None:
    found = re.search(r":(\d+)", message)
    return int(found.group(1)) if found else None


def make_llm(value: Any) -> Any:
    """An LLM object of a definition (`{"model", "provider", "base_url", ...}`) as an `LLM`;
    a model string or anything else stays as it is."""
    if not isinstance(value, dict) or "model" not in value:
        return value
    options = dict(value)
    model = str(options.pop("model"))
    provider = options.pop("provider", None)
    if provider and "/" not in model:
        model = f"{provider}/{model}"
    return LLM(model=model, **options)


def resolve_refs(value: Any, path: Path, key: str, root: Path) -> Any:
    """`value` with every `{"python": "module.attribute"}` inside replaced by what it names."""
    if isinstance(value, dict):
        if set(value) == {PYTHON_REF_KEY}:
            return import_ref(str(value[PYTHON_REF_KEY]), path, key, root)
        return {k: resolve_refs(v, path, f"{key}.{k}", root) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(item, path, key, root) for item in value]
    return value


def import_ref(reference: str, path: Path, key: str, root: Path) -> Any:
    """What `module.attribute` (or `module:attribute`) names, the project root importable."""
    module_name, _, attribute = reference.replace(":", ".").rpartition(".")
    if not module_name or not attribute:
        raise JSONProjectError(
            path, None, f"{key}: {reference!r} is not a 'module.attribute' reference"
        )
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise JSONProjectError(path, None, f"{key}: cannot import {reference!r}: {exc}") from exc
    finally:
        if added:
            sys.path.remove(str(root))
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise JSONProjectError(
            path, None, f"{key}: module {module_name!r} has no {attribute!r}"
        ) from None


def resolve_tools(tools: Any, path: Path, root: Path) -> list[Any]:
    """The tools a definition lists, made."""
    if not isinstance(tools, list):
        raise JSONProjectError(path, None, "tools: must be a list of tool names")
    made: list[Any] = []
    for entry in tools:
        if isinstance(entry, BaseTool):
            made.append(entry)
        elif not isinstance(entry, str):
            raise JSONProjectError(
                path, None, f"tools: {entry!r} is not a tool name (use a name, "
                "'custom:<name>' or 'module:Class')"
            )
        elif entry:
            made.append(_tool(entry, path, root))
    return made


def _tool(name: str, path: Path, root: Path) -> Any:
    if name.startswith("platform:"):
        raise JSONProjectError(
            path, None, f"tools: {name!r}: CrewAI platform tools are not supported by "
            f"CrewDesk; use a @tool function in tools/. See {DOCS}."
        )
    if name.startswith("custom:"):
        return custom_tool(name.removeprefix("custom:"), path, root)
    if ":" in name:
        made = import_ref(name, path, "tools", root)
        return made() if inspect.isclass(made) else made
    from desktop_app.compat import crewai_tools

    snake = "".join(word.capitalize() for word in name.split("_")) + "Tool"
    for candidate in dict.fromkeys((name, name + "Tool", snake)):
        found = getattr(crewai_tools, candidate, None) if candidate in crewai_tools.__all__ else None
        if found is not None:
            return found()
    try:
        getattr(crewai_tools, name)
    except ImportError as exc:
        raise JSONProjectError(path, None, f"tools: {exc}") from exc
    raise JSONProjectError(path, None, f"tools: unknown tool {name!r}")  # pragma: no cover


def custom_tool(name: str, path: Path, root: Path) -> Any:
    """The `BaseTool` subclass of `tools/<name>.py`, made (CrewAI's `custom:<name>`)."""
    if not name.isidentifier():
        raise JSONProjectError(path, None, f"tools: 'custom:{name}' is not a valid tool name")
    tool_file = root / "tools" / f"{name}.py"
    if not tool_file.is_file():
        raise JSONProjectError(
            path, None, f"tools: 'custom:{name}' needs {tool_file}, which does not exist"
        )
    spec = importlib.util.spec_from_file_location(f"custom_tools.{name}", tool_file)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise JSONProjectError(tool_file, None, "cannot load this tool file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and issubclass(value, BaseTool)
            and value.__module__ == module.__name__
        ):
            made: Any = value
            return made()
    raise JSONProjectError(
        tool_file, None, "no BaseTool subclass here (custom tools define a class inheriting "
        "from crewai.tools.BaseTool)"
    )


__all__ = ["JSONProjectError", "load_jsonc_file", "strip_jsonc_comments"]
