"""Building engine objects (`desktop_app.engine`) from a crew document.

`build_crew` makes a fresh `Crew` each call: a crew run keeps its own state, so a batch builds
one crew per run. Keys never come from the document: a ``resolve_api_key`` callable (the secret
store, in the app) gives each agent its key, and None lets the engine read the provider's
environment variable.

A hierarchical crew's ``manager_agent`` is built like any agent but given to the crew as its
manager, not as a coworker. Its ``manager_llm`` (a model string) is shown to the code that
routes agents to models and keys as one more agent spec, keyed `MANAGER_LLM_KEY`
(`with_manager_llm_spec`), so that a dry run, a provider's base URL and the secret store
reach the manager's model as they reach every agent's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from desktop_app.documents._importing import LLM_OPTIONS_USED
from desktop_app.documents.errors import CrewFileError, CrewProblem
from desktop_app.documents.model import AgentSpec, CrewDocument

if TYPE_CHECKING:
    from desktop_app.engine import LLM, Agent, BaseTool, Crew, Task

KeyResolver = Callable[[AgentSpec], "str | None"]
"""Gives the API key for an agent (from its credential name), or None for the environment."""

LlmFactory = Callable[[AgentSpec, "str | None"], "LLM | str | None"]
"""Makes the model of an agent from its spec and resolved key."""

ToolFactory = Callable[[str], "BaseTool"]
"""Makes the tool with this name, or raises `LookupError`."""

_T = TypeVar("_T")

MANAGER_LLM_KEY = "_crewdesk_manager_llm"
"""The key of the agent spec that stands for a crew's ``manager_llm`` while it is routed."""


def with_manager_llm_spec(document: CrewDocument) -> CrewDocument:
    """A copy of a hierarchical ``document`` whose ``manager_llm`` is also an agent spec.

    Code that routes each agent to a model, an endpoint and a key (``override_llm``, the
    app's provider settings) then routes the manager's model too; `build_crew` turns the
    spec back into the crew's ``manager_llm``. Other documents come back as they are.
    """
    settings = document.settings
    if (
        document.process != "hierarchical"
        or settings.manager_llm is None
        or settings.manager_agent is not None
        or document.agent(MANAGER_LLM_KEY) is not None
    ):
        return document
    spec = AgentSpec(
        key=MANAGER_LLM_KEY,
        role="Crew Manager",
        goal="Manage the team",
        backstory="The manager CrewDesk makes for a hierarchical crew.",
        llm=settings.manager_llm,
    )
    return document.model_copy(update={"agents": [*document.agents, spec]})


def override_llm(
    document: CrewDocument, *, model: str | None = None, base_url: str | None = None
) -> CrewDocument:
    """A copy of ``document`` whose agents all use ``model`` and/or ``base_url``.

    Used to point a whole crew at one model, such as the local simulator; a hierarchical
    crew's ``manager_llm`` goes there too (see `with_manager_llm_spec`).
    """
    document = with_manager_llm_spec(document)
    update: dict[str, Any] = {}
    if model is not None:
        update["llm"] = model
    if base_url is not None:
        update["base_url"] = base_url
    agents = [agent.model_copy(update=update) for agent in document.agents]
    return document.model_copy(update={"agents": agents})


def default_llm(spec: AgentSpec, api_key: str | None) -> LLM | None:
    """The engine `LLM` for an agent, or None for the engine's default model."""
    from desktop_app.engine import LLM

    if spec.llm is None:
        if spec.base_url is None and api_key is None:
            return None
        from desktop_app.engine.llm import default_model

        model = default_model()
    else:
        model = spec.llm
    options = {key: value for key, value in spec.llm_options.items() if key in LLM_OPTIONS_USED}
    return LLM(model=model, base_url=spec.base_url, api_key=api_key, **options)


def build_crew(
    document: CrewDocument,
    *,
    llm_factory: LlmFactory | None = None,
    resolve_api_key: KeyResolver | None = None,
    tool_factory: ToolFactory | None = None,
    stream: bool | None = None,
) -> Crew:
    """Makes an engine `Crew` from a document.

    Args:
        document: The crew; it must have no problems.
        llm_factory: Makes each agent's model (default `default_llm`).
        resolve_api_key: Gives each agent's API key (default: None, so the engine reads the
            provider's environment variable).
        tool_factory: Makes a tool from its name (default: the engine's built-in tools,
            `desktop_app.engine.builtin_tools.tool_by_name`).
        stream: Overrides the document's ``settings.stream``.

    Returns:
        A new crew, ready for ``kickoff``/``akickoff``.

    Raises:
        CrewFileError: The document has problems, uses a process or tool the engine lacks,
            or the engine refuses a value.
    """
    from desktop_app.engine import Crew, Process
    from desktop_app.engine.builtin_tools import tool_by_name

    _check_buildable(document, tool_factory)
    document = with_manager_llm_spec(document)
    tool_factory = tool_factory or tool_by_name
    managers = _manager_keys(document)
    agents = {spec.key: _agent(spec, document, llm_factory, resolve_api_key, tool_factory)
              for spec in document.agents if spec.key != MANAGER_LLM_KEY}
    settings = document.settings
    kwargs: dict[str, Any] = {
        "agents": [agent for key, agent in agents.items() if key not in managers],
        "tasks": _tasks(document, agents),
        "process": Process(document.process),
        "stream": settings.stream if stream is None else stream,
        "verbose": settings.verbose,
        "name": document.name,
    }
    if document.process == "hierarchical":
        kwargs.update(_manager(document, agents, llm_factory, resolve_api_key))
    return _engine_call(Crew, kwargs, "")


def _manager_keys(document: CrewDocument) -> set[str]:
    """Keys of agents that manage a hierarchical crew and so are not its coworkers."""
    key = document.settings.manager_agent
    return {key} if document.process == "hierarchical" and key is not None else set()


def _manager(
    document: CrewDocument,
    agents: dict[str, Agent],
    llm_factory: LlmFactory | None,
    resolve_api_key: KeyResolver | None,
) -> dict[str, Any]:
    """The crew's ``manager_agent`` or ``manager_llm`` arguments."""
    key = document.settings.manager_agent
    if key is not None:
        return {"manager_agent": agents[key]}
    spec = document.agent(MANAGER_LLM_KEY)
    if spec is None:  # pragma: no cover - _check_buildable refuses a crew without a manager
        return {}
    api_key = resolve_api_key(spec) if resolve_api_key is not None else None
    return {"manager_llm": (llm_factory or default_llm)(spec, api_key)}


def _tasks(document: CrewDocument, agents: dict[str, Agent]) -> list[Task]:
    from desktop_app.engine import Task

    tasks: dict[str, Task] = {}
    for index, spec in enumerate(document.tasks):
        kwargs: dict[str, Any] = {
            "description": spec.description,
            "expected_output": spec.expected_output,
            "agent": agents[spec.agent] if spec.agent is not None else None,
            "name": spec.name or spec.key,
        }
        if spec.context is not None:
            kwargs["context"] = [tasks[key] for key in spec.context]
        if spec.human_input:
            kwargs["human_input"] = True
        tasks[spec.key] = _engine_call(Task, kwargs, f"tasks[{index}]")
    return list(tasks.values())


def _check_buildable(document: CrewDocument, tool_factory: ToolFactory | None) -> None:
    problems = [CrewProblem(issue.message, field=issue.field) for issue in document.problems()]
    settings = document.settings
    if document.process == "hierarchical" and not (settings.manager_llm or settings.manager_agent):
        problems.append(CrewProblem(
            "a hierarchical crew needs a manager: set manager_llm (a model) or manager_agent "
            "(an agent with no tools)", field="settings.manager_llm"))
    if tool_factory is None:
        problems += [
            CrewProblem(problem, field=f"agents[{index}].tools")
            for index, spec in enumerate(document.agents)
            for tool in spec.tools
            if (problem := _builtin_tool_problem(tool)) is not None
        ]
    if problems:
        raise CrewFileError(problems)


def _agent(
    spec: AgentSpec,
    document: CrewDocument,
    llm_factory: LlmFactory | None,
    resolve_api_key: KeyResolver | None,
    tool_factory: ToolFactory | None,
) -> Agent:
    from desktop_app.engine import Agent

    index = document.agents.index(spec)
    api_key = resolve_api_key(spec) if resolve_api_key is not None else None
    kwargs: dict[str, Any] = {
        "role": spec.role,
        "goal": spec.goal,
        "backstory": spec.backstory,
        "llm": (llm_factory or default_llm)(spec, api_key),
        "tools": [_tool(tool_factory, name, index) for name in spec.tools],
        "allow_code_execution": spec.allow_code_execution,
        "verbose": document.settings.verbose if spec.verbose is None else spec.verbose,
    }
    if spec.max_iter is not None:
        kwargs["max_iter"] = spec.max_iter
    return _engine_call(Agent, kwargs, f"agents[{index}]")


def _builtin_tool_problem(name: str) -> str | None:
    """Why the engine's built-in tools cannot make `name`, or None when they can."""
    from desktop_app.engine.builtin_tools import tool_by_name

    try:
        tool_by_name(name)
    except KeyError as exc:
        return str(exc.args[0])
    return None


def _tool(tool_factory: ToolFactory | None, name: str, index: int) -> BaseTool:
    if tool_factory is None:  # pragma: no cover - build_crew passes the default
        raise CrewFileError(f"CrewDesk has no tool named '{name}'", field=f"agents[{index}].tools")
    try:
        return tool_factory(name)
    except LookupError:
        raise CrewFileError(f"CrewDesk has no tool named '{name}'",
                            field=f"agents[{index}].tools") from None


def _engine_call(kind: Callable[..., _T], kwargs: dict[str, Any], field: str) -> _T:
    try:
        return kind(**kwargs)
    except ValidationError as exc:
        messages = "; ".join(error["msg"] for error in exc.errors())
        raise CrewFileError(f"the engine refused it: {messages}", field=field or None) from None
