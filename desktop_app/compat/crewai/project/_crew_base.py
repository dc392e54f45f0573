"""`@CrewBase`: CrewAI's crew classes, with their YAML configs resolved into engine objects.

As in CrewAI, a `@CrewBase` class reads `agents_config`/`tasks_config` (default
`config/agents.yaml` and `config/tasks.yaml`, relative to the class's file) when an instance is
made, and resolves the names in them: a task's `agent: researcher` becomes what
`self.researcher()` returns, `context: [research_task]` those tasks, `tools: [search]` what the
`@tool` methods return, `output_pydantic: Report` the `@output_pydantic` class, `callbacks`
the `@callback` methods' callbacks, `llm: my_llm` the `@llm` method's LLM (else it stays a model
string). A name that resolves to nothing is a `ConfigError` naming the file and line.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from desktop_app.compat.crewai.project._annotations import MARKERS, DecoratedMethod
from desktop_app.compat.crewai.project._config import ConfigDict, ConfigError, load_config
from desktop_app.compat.crewai.project._mapping import map_agent_entry, map_task_entries
from desktop_app.engine import Agent, Crew

T = TypeVar("T")


class CrewBaseMeta(type):
    """The metaclass `@CrewBase` gives a class: configs are loaded after `__init__`."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = super().__call__(*args, **kwargs)
        initialize(instance)
        return instance


def CrewBase(cls: type[T]) -> type[T]:  # noqa: N802  # CrewAI's name
    """Makes `cls` a crew class, as CrewAI's `@CrewBase` (see the module's docstring).

    The class gets CrewAI's attributes: `is_crew_class`, `base_directory`,
    `original_agents_config_path`, `original_tasks_config_path`.
    """
    namespace = {
        key: value for key, value in vars(cls).items() if key not in ("__dict__", "__weakref__")
    }
    for slot in namespace.get("__slots__", ()):
        namespace.pop(slot, None)
    made = CrewBaseMeta(cls.__name__, cls.__bases__, namespace)
    attributes: dict[str, Any] = {
        "is_crew_class": True,
        "_crew_name": cls.__name__,
        "base_directory": _directory_of(made),
        "original_agents_config_path": getattr(cls, "agents_config", "config/agents.yaml"),
        "original_tasks_config_path": getattr(cls, "tasks_config", "config/tasks.yaml"),
        "_crewdesk_explicit": {
            "agent": hasattr(cls, "agents_config"),
            "task": hasattr(cls, "tasks_config"),
        },
        "mcp_server_params": getattr(cls, "mcp_server_params", None),
        "mcp_connect_timeout": getattr(cls, "mcp_connect_timeout", 30),
        "load_configurations": load_configurations,
        "load_yaml": staticmethod(load_yaml),
        "get_mcp_tools": get_mcp_tools,
    }
    for name, value in attributes.items():
        setattr(made, name, value)
    return cast(type[T], made)


def initialize(instance: Any) -> None:
    """Loads the configs, resolves the names in them and records the decorated methods."""
    cls = type(instance)
    methods = decorated_methods(cls)
    instance.__crew_metadata__ = {
        "original_methods": methods,
        "original_tasks": _having(methods, "is_task"),
        "original_agents": _having(methods, "is_agent"),
        "before_kickoff": _having(methods, "is_before_kickoff"),
        "after_kickoff": _having(methods, "is_after_kickoff"),
        "kickoff": {},
    }
    instance.load_configurations()
    for name, info in instance.agents_config.items():
        map_agent_entry(instance, instance.agents_config, str(name), info)
    map_task_entries(instance, instance.tasks_config)


def load_configurations(self: Any) -> None:
    """Reads `agents_config` and `tasks_config` (or takes those of `project_configs`)."""
    cls = type(self)
    explicit: dict[str, bool] = cls._crewdesk_explicit
    self.agents_config = _load(cls, "agent", cls.original_agents_config_path, explicit["agent"])
    self.tasks_config = _load(cls, "task", cls.original_tasks_config_path, explicit["task"])


def _load(cls: type, kind: str, configured: object, explicit: bool) -> ConfigDict:
    base: Path = cast(Path, getattr(cls, "base_directory"))  # noqa: B009  # set by CrewBase
    if not isinstance(configured, str | Path):
        return ConfigDict(path=base / f"config/{kind}s.yaml", kind=kind, exists=False)
    where = f"{cls.__name__}.{kind}s_config = {str(configured)!r}"
    return load_config(base / configured, kind, explicit, where)


def load_yaml(config_path: Path) -> dict[str, Any]:
    """CrewAI's `load_yaml`: a YAML file's mapping (an empty dict for an empty file).

    Raises:
        ConfigError: The file is missing or is not a mapping of mappings.
    """
    path = Path(config_path)
    if not path.is_file():
        raise ConfigError(path, None, "this YAML file does not exist")
    return dict(load_config(path, "entry", True, str(path)))


def get_mcp_tools(self: Any, *tool_names: str) -> list[Any]:
    """CrewAI's MCP tools of the crew: those of the server in `mcp_server_params` (only
    the named ones, if any); none without it.

    The tools belong to the runs that use them: each run opens the server when it starts and
    closes it (a stdio server is stopped) when it ends. The list is asked once per crew
    object, here, blocking (`mcp_connect_timeout` seconds at most).

    Raises:
        RuntimeError: The server could not be reached, or a named tool is not on it.
    """
    params = getattr(self, "mcp_server_params", None)
    if not params:
        return []
    from desktop_app.compat.crewai_tools._mcp_adapter import ToolCollection, adapter_spec
    from desktop_app.engine.mcp import McpError, McpTool
    from desktop_app.engine.mcp._listing import tools_blocking

    if isinstance(params, list):
        return [tool for one in params for tool in _server_tools(self, one, tool_names)]
    spec = adapter_spec(params, float(getattr(self, "mcp_connect_timeout", 30)))
    try:
        infos = tools_blocking(spec)
    except McpError as exc:
        raise RuntimeError(f"{type(self).__name__}: {exc}") from exc
    tools = ToolCollection(McpTool.from_info(spec, info, name=info.name) for info in infos)
    return list(tools.filter_by_names(tool_names or None))


def _server_tools(self: Any, params: Any, tool_names: tuple[str, ...]) -> list[Any]:
    holder = type("_One", (), {"mcp_server_params": params,
                               "mcp_connect_timeout": getattr(self, "mcp_connect_timeout", 30)})
    return get_mcp_tools(holder(), *tool_names)


def decorated_methods(cls: type) -> dict[str, DecoratedMethod]:
    """The class's decorated methods by name, in declaration order (base classes first)."""
    found: dict[str, DecoratedMethod] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, DecoratedMethod) and any(hasattr(value, m) for m in MARKERS):
                found[name] = value
    return found


def _having(methods: dict[str, DecoratedMethod], marker: str) -> dict[str, DecoratedMethod]:
    return {name: method for name, method in methods.items() if hasattr(method, marker)}


def prepare_crew(instance: Any) -> None:
    """Before a `@crew` method: calls every `@task` and `@agent` method (in declaration order)
    and sets `self.tasks`, and `self.agents` (the tasks' agents first, then the others, as
    CrewAI orders them)."""
    metadata = instance.__crew_metadata__
    tasks = [method.call(instance) for method in metadata["original_tasks"].values()]
    agents: list[Any] = []
    for made in [getattr(t, "agent", None) for t in tasks] + [
        method.call(instance) for method in metadata["original_agents"].values()
    ]:
        if isinstance(made, Agent) and all(made is not known for known in agents):
            agents.append(made)
    instance.agents = agents
    instance.tasks = tasks


def finish_crew(instance: Any, made: Any) -> Any:
    """After a `@crew` method: the crew gets the class's name (unless the method named it)
    and the class's `@before_kickoff`/`@after_kickoff` methods."""
    if not isinstance(made, Crew):
        return made
    if "name" not in made.model_fields_set or not made.name:
        made.name = instance._crew_name
    metadata = instance.__crew_metadata__
    for method in metadata["before_kickoff"].values():
        made.before_kickoff_callbacks.append(_bound(method, instance))
    for method in metadata["after_kickoff"].values():
        made.after_kickoff_callbacks.append(_bound(method, instance))
    return made


def _bound(method: DecoratedMethod, instance: Any) -> Callable[[Any], Any]:
    def hook(value: Any) -> Any:
        return method.call(instance, value)

    hook.__name__ = method.__name__
    return hook


def output_model(instance: Any, name: str, marker: str) -> type[BaseModel] | None:
    """The output model class a task's YAML names: a marked class of the crew class, else a
    model class of the same name in the class's module."""
    candidates = [getattr(type(instance), name, None)]
    module = sys.modules.get(type(instance).__module__)
    candidates.append(getattr(module, name, None))
    for candidate in candidates:
        if inspect.isclass(candidate) and (
            getattr(candidate, marker, False) or issubclass(candidate, BaseModel)
        ):
            return cast(type[BaseModel], candidate)
    return None


def _directory_of(cls: type) -> Path:
    try:
        return Path(inspect.getfile(cls)).parent
    except (TypeError, OSError):
        return Path.cwd()
