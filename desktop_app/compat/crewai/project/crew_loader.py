"""`crewai.project.crew_loader`: a `Crew` from CrewAI's JSON crew (`crewai create crew`).

    crew, inputs = load_crew("crew.jsonc")
    crew.kickoff(inputs=inputs)

`crew.jsonc` names its agents (each in `agents/<name>.jsonc`, its `settings` merged in), lists
its tasks (`agent` and `context` by name, `context` naming earlier tasks only), and holds the
crew's settings and default `inputs`. Values are the engine's keyword arguments, so settings
CrewDesk does not act on warn as they do in code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.compat.crewai.project.json_loader import (
    JSONProjectError,
    load_jsonc_file,
    make_llm,
    resolve_refs,
    resolve_tools,
)
from desktop_app.engine import Agent, ConditionalTask, Crew, CrewOutput, Task

_AGENT_TYPES = {"agent", "Agent", "crewai.Agent", "crewai.agent.core.Agent"}
_LLM_KEYS = ("llm", "function_calling_llm", "planning_llm", "manager_llm", "chat_llm")


def load_crew(source: Path | str, agents_dir: Path | None = None) -> tuple[Crew, dict[str, Any]]:
    """The crew of a `crew.jsonc` and its default inputs.

    Raises:
        JSONProjectError: A file is missing or invalid, or a name resolves to nothing; the
            message names the file and the key.
    """
    crew_path = Path(source)
    root = crew_path.parent
    definition = load_jsonc_file(crew_path)
    names = definition.get("agents")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise JSONProjectError(crew_path, None, "'agents' must be a non-empty list of names")
    folder = Path(agents_dir) if agents_dir is not None else root / "agents"
    agents = {name: _agent(name, folder, root) for name in names}
    manager = definition.get("manager_agent")
    if isinstance(manager, str) and manager not in agents:
        agents[manager] = _agent(manager, folder, root)
    tasks = _tasks(definition.get("tasks"), agents, crew_path, root)
    settings = {k: v for k, v in definition.items() if k not in ("agents", "tasks", "inputs")}
    settings = resolve_refs(settings, crew_path, "crew", root)
    if isinstance(manager, str):
        settings["manager_agent"] = agents[manager]
    for key in _LLM_KEYS:
        if key in settings:
            settings[key] = make_llm(settings[key])
    crew = _made(Crew, crew_path, "crew", agents=[agents[n] for n in names], tasks=tasks,
                 **settings)
    inputs = definition.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise JSONProjectError(crew_path, None, "'inputs' must be an object")
    return crew, dict(inputs)


def load_crew_and_kickoff(
    crew_path: Path | str, input_overrides: dict[str, Any] | None = None
) -> CrewOutput:
    """Loads a JSON crew and kicks it off with its inputs (overridden by `input_overrides`)."""
    crew, inputs = load_crew(crew_path)
    result = crew.kickoff(inputs={**inputs, **(input_overrides or {})})
    assert isinstance(result, CrewOutput)  # a JSON crew's stream setting is its own business
    return result


def _agent(name: str, folder: Path, root: Path) -> Agent:
    path = next((folder / f"{name}{ext}" for ext in (".jsonc", ".json")
                 if (folder / f"{name}{ext}").is_file()), None)
    if path is None:
        raise JSONProjectError(
            folder / f"{name}.jsonc", None, f"agent {name!r} has no definition here "
            "(tried .jsonc and .json)"
        )
    definition = load_jsonc_file(path)
    settings = definition.pop("settings", None) or {}
    if not isinstance(settings, dict):
        raise JSONProjectError(path, None, "'settings' must be an object")
    kind = definition.pop("type", None)
    if kind is not None and kind not in _AGENT_TYPES:
        raise JSONProjectError(path, None, f"type {kind!r}: custom Agent classes are not "
                               "supported by CrewDesk; remove 'type'")
    options = resolve_refs({**definition, **settings}, path, f"agent {name!r}", root)
    if "tools" in options:
        options["tools"] = resolve_tools(options["tools"], path, root)
    for key in _LLM_KEYS:
        if key in options:
            options[key] = make_llm(options[key])
    made = _made(Agent, path, f"agent {name!r}", **options)
    assert isinstance(made, Agent)
    return made


def _tasks(definitions: Any, agents: dict[str, Agent], path: Path, root: Path) -> list[Task]:
    if not isinstance(definitions, list) or not definitions:
        raise JSONProjectError(path, None, "'tasks' must be a non-empty list")
    made: list[Task] = []
    by_name: dict[str, Task] = {}
    for index, definition in enumerate(definitions):
        key = f"tasks[{index}]"
        if not isinstance(definition, dict):
            raise JSONProjectError(path, None, f"{key} must be an object")
        options = resolve_refs(dict(definition), path, key, root)
        kind = options.pop("type", None)
        options["agent"] = _named(options.get("agent"), agents, path, f"{key}.agent", "agent")
        context = options.get("context")
        if context is not None:
            if not isinstance(context, list):
                raise JSONProjectError(path, None, f"{key}.context must be a list of task names")
            options["context"] = [
                _named(n, by_name, path, f"{key}.context", "earlier task") for n in context
            ]
        if "tools" in options:
            options["tools"] = resolve_tools(options["tools"], path, root)
        task = _made(ConditionalTask if kind == "ConditionalTask" else Task, path, key, **options)
        assert isinstance(task, Task)
        made.append(task)
        if task.name:
            by_name[task.name] = task
    return made


def _named(name: Any, table: dict[str, Any], path: Path, key: str, what: str) -> Any:
    if name is None or not isinstance(name, str):
        return name
    if name not in table:
        known = ", ".join(repr(n) for n in table) or "none"
        raise JSONProjectError(path, None, f"{key}: {name!r} is not an {what} here "
                               f"(there are: {known})")
    return table[name]


def _made(cls: type[Any], path: Path, key: str, **options: Any) -> Any:
    from pydantic import ValidationError

    try:
        return cls(**options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or key}: {error['msg']}"
            for error in exc.errors()
        )
        raise JSONProjectError(path, None, f"{key}: {problems}") from None


__all__ = ["load_crew", "load_crew_and_kickoff"]
