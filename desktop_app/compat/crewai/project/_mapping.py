"""Resolving the names in a `@CrewBase` class's YAML into the objects its methods make.

Agents first (`llm`, `function_calling_llm`, `tools`, `step_callback`, `cache_handler`,
`knowledge_sources`), then tasks (`agent`, `tools`, `output_json`, `output_pydantic`,
`callback(s)`, then `context`, each context task after its own context). Every name that
resolves to nothing is a `ConfigError` at its file and line, listing the names there are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.compat.crewai.project._config import ConfigDict, ConfigError
from desktop_app.engine import knowledge

_FILE_SOURCES: dict[str, type[knowledge.BaseKnowledgeSource]] = {
    ".txt": knowledge.TextFileKnowledgeSource,
    ".md": knowledge.MarkdownKnowledgeSource,
    ".mdx": knowledge.MarkdownKnowledgeSource,
    ".csv": knowledge.CSVKnowledgeSource,
    ".json": knowledge.JSONKnowledgeSource,
    ".pdf": knowledge.PDFKnowledgeSource,
}


def _methods(instance: Any, marker: str) -> dict[str, Any]:
    """The instance's bound methods with `marker`, by name."""
    found: dict[str, Any] = {}
    for name in dir(type(instance)):
        if name.startswith("__"):
            continue
        value = getattr(type(instance), name, None)
        if getattr(value, marker, False) and callable(value):
            found[name] = getattr(instance, name)
    return found


def _one(
    config: ConfigDict, entry: str, key: str, name: object, table: dict[str, Any], what: str
) -> Any:
    if not isinstance(name, str) or name not in table:
        known = ", ".join(sorted(table)) or "none"
        raise config.error(
            f"{config.kind} {entry!r}: {key} {name!r} is not {what} of the crew class "
            f"(there are: {known})",
            entry,
            key,
        )
    return table[name]()


def _names(config: ConfigDict, entry: str, key: str, value: object) -> list[Any] | None:
    """The list under `key`; None when it already holds objects (set in code)."""
    if not isinstance(value, list):
        raise config.error(f"{config.kind} {entry!r}: {key} must be a list of names", entry, key)
    if not all(isinstance(item, str) for item in value):
        return None
    return value


def _llm(instance: Any, value: object) -> Any:
    if isinstance(value, str):
        factory = _methods(instance, "is_llm").get(value)
        if factory is not None:
            return factory()
    return value


def map_agent_entry(instance: Any, config: ConfigDict, name: str, info: dict[str, Any]) -> None:
    """Resolves the names in one agent's settings, in place (as CrewAI)."""
    for key in ("llm", "function_calling_llm"):
        if info.get(key):
            info[key] = _llm(instance, info[key])
    if info.get("tools"):
        names = _names(config, name, "tools", info["tools"])
        if names is not None:
            tools = _methods(instance, "is_tool")
            info["tools"] = [_one(config, name, "tools", n, tools, "a @tool method") for n in names]
    if isinstance(info.get("step_callback"), str):
        callbacks = _methods(instance, "is_callback")
        info["step_callback"] = _one(
            config, name, "step_callback", info["step_callback"], callbacks, "a @callback method"
        )
    if isinstance(info.get("cache_handler"), str):
        handlers = _methods(instance, "is_cache_handler")
        info["cache_handler"] = _one(
            config, name, "cache_handler", info["cache_handler"], handlers,
            "a @cache_handler method",
        )
    if info.get("knowledge_sources"):
        names = _names(config, name, "knowledge_sources", info["knowledge_sources"])
        if names is not None:
            info["knowledge_sources"] = [_source(instance, config, name, n) for n in names]


def _source(instance: Any, config: ConfigDict, entry: str, name: str) -> Any:
    """A knowledge source named in YAML: a method or attribute of the crew, else a file."""
    value = getattr(instance, name, None) if name.isidentifier() else None
    if value is not None:
        return value() if callable(value) else value
    source_class = _FILE_SOURCES.get(Path(name).suffix.lower())
    if source_class is None:
        raise config.error(
            f"{config.kind} {entry!r}: knowledge source {name!r} is neither an attribute of "
            f"the crew class nor a file of a known kind ({', '.join(_FILE_SOURCES)})",
            entry,
            "knowledge_sources",
        )
    return source_class(file_paths=[name])  # type: ignore[call-arg]  # file sources take it


def map_task_entries(instance: Any, config: ConfigDict) -> None:
    """Resolves the names in every task's settings, in place; contexts last, in order."""
    for name, info in config.items():
        _map_task_entry(instance, config, str(name), info)
    tasks = _methods(instance, "is_task")
    done: set[str] = set()
    for name in list(config):
        _map_context(config, str(name), tasks, done, ())


def _map_task_entry(instance: Any, config: ConfigDict, name: str, info: dict[str, Any]) -> None:
    if info.get("agent") and not _is_object(info["agent"]):
        agents = _methods(instance, "is_agent")
        info["agent"] = _one(config, name, "agent", info["agent"], agents, "an @agent method")
    if info.get("tools"):
        names = _names(config, name, "tools", info["tools"])
        if names is not None:
            tools = _methods(instance, "is_tool")
            info["tools"] = [_one(config, name, "tools", n, tools, "a @tool method") for n in names]
    for key in ("output_json", "output_pydantic"):
        if isinstance(info.get(key), str):
            info[key] = _output_model(instance, config, name, key, info[key])
    callbacks = _methods(instance, "is_callback")
    if isinstance(info.get("callback"), str):
        info["callback"] = _one(
            config, name, "callback", info["callback"], callbacks, "a @callback method"
        )
    if info.get("callbacks"):
        names = _names(config, name, "callbacks", info["callbacks"])
        if names is not None:
            info["callbacks"] = [
                _one(config, name, "callbacks", n, callbacks, "a @callback method") for n in names
            ]


def _is_object(value: object) -> bool:
    return not isinstance(value, str)


def _output_model(instance: Any, config: ConfigDict, entry: str, key: str, name: str) -> Any:
    from desktop_app.compat.crewai.project._crew_base import output_model

    found = output_model(instance, name, f"is_{key}")
    if found is None:
        raise config.error(
            f"{config.kind} {entry!r}: {key} {name!r} is not a pydantic model of the crew "
            f"class or its module (mark it @{key})",
            entry,
            key,
        )
    return found


def _map_context(
    config: ConfigDict, name: str, tasks: dict[str, Any], done: set[str], chain: tuple[str, ...]
) -> None:
    if name in done:
        return
    if name in chain:
        cycle = " -> ".join((*chain, name))
        raise config.error(f"task context loops: {cycle}", chain[0], "context")
    info = config.get(name)
    context = info.get("context") if isinstance(info, dict) else None
    if context:
        names = _names(config, name, "context", context)
        if names is not None:
            for other in names:
                if other in config:
                    _map_context(config, other, tasks, done, (*chain, name))
            info["context"] = [  # type: ignore[index]  # info is a dict when context is set
                _one(config, name, "context", other, tasks, "a @task method") for other in names
            ]
    done.add(name)


__all__ = ["ConfigError", "map_agent_entry", "map_task_entries"]
