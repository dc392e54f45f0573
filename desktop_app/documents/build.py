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

Memory and knowledge: ``settings.memory`` and the ``embedder`` pass to the crew as they are,
but an embedder's key, like an agent's, comes from ``resolve_api_key`` (given a spec keyed
`EMBEDDER_KEY` whose ``llm`` is the embedder's model). Each knowledge source becomes the
engine's source of its kind, its relative path joined to ``base_dir`` (the crew file's
folder). ``memory_dir`` puts the crew's stores in another data folder than the engine's
default (the app passes its own).

A task's relative ``output_file`` is joined to ``base_dir`` too, as ``crewai run`` writes it
relative to the project's folder (not the app's working folder); the engine makes its folder
when it is missing (``Task.create_directory``, True by default) and fills its placeholders
per run.

Approvals: the crew's ``settings.approval`` (ask / always / never), its ``workspace`` and
``allowed_paths`` become the crew's `Approvals` (`approvals_of`), with the ``approver`` the
caller gives `build_crew` (the app's Run / Deny / Always prompt; None: under "ask" every
side-effecting call is refused, as the engine does with nobody to ask). Paths are relative to
``base_dir`` (the crew file's folder), which is also the workspace when none is set.
``allow_unsandboxed`` reaches every code tool of the crew (`CodeLimits.allow_unsandboxed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from desktop_app.documents._importing import LLM_OPTIONS_USED
from desktop_app.documents._knowledge import resolve_path
from desktop_app.documents._project_tools import (
    ProjectToolError,
    catalog_tool_factory,
    catalog_tool_problem,
)
from desktop_app.documents.errors import CrewFileError, CrewProblem
from desktop_app.documents.model import (
    AgentSpec,
    BudgetSpec,
    CrewDocument,
    CrewSettings,
    KnowledgeSourceSpec,
)

if TYPE_CHECKING:
    from desktop_app.engine import LLM, Agent, BaseTool, Budget, Crew, Task
    from desktop_app.engine.approval import Approvals, Approver
    from desktop_app.engine.knowledge import BaseKnowledgeSource
    from desktop_app.engine.mcp import McpServerSpec

KeyResolver = Callable[[AgentSpec], "str | None"]
"""Gives the API key for an agent (from its credential name), or None for the environment."""

LlmFactory = Callable[[AgentSpec, "str | None"], "LLM | str | None"]
"""Makes the model of an agent from its spec and resolved key."""

ToolFactory = Callable[[str], "BaseTool"]
"""Makes the tool with this name, or raises `LookupError`."""

_T = TypeVar("_T")

MANAGER_LLM_KEY = "_crewdesk_manager_llm"
"""The key of the agent spec that stands for a crew's ``manager_llm`` while it is routed."""

EMBEDDER_KEY = "_crewdesk_embedder"
"""The key of the agent spec `resolve_api_key` is given for the crew's embedder."""


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
    document: CrewDocument,
    *,
    model: str | None = None,
    base_url: str | None = None,
    embedding_model: str | None = None,
) -> CrewDocument:
    """A copy of ``document`` whose agents all use ``model`` and/or ``base_url``.

    Used to point a whole crew at one model, such as the local simulator; a hierarchical
    crew's ``manager_llm`` goes there too (see `with_manager_llm_spec`). With a
    ``base_url``, the crew's embedder is asked there too (as an OpenAI-compatible endpoint),
    for ``embedding_model`` when given (the simulator's is ``sim``), else for its own model.
    """
    document = with_manager_llm_spec(document)
    update: dict[str, Any] = {}
    if model is not None:
        update["llm"] = model
    if base_url is not None:
        update["base_url"] = base_url
    agents = [agent.model_copy(update=update) for agent in document.agents]
    changes: dict[str, Any] = {"agents": agents}
    embedder = document.settings.embedder
    if base_url is not None and embedder is not None:
        changes["settings"] = document.settings.model_copy(
            update={"embedder": _embedder_at(embedder, base_url, embedding_model)}
        )
    return document.model_copy(update=changes)


def _embedder_at(
    embedder: dict[str, Any], base_url: str, model: str | None
) -> dict[str, Any]:
    """The embedder served by the OpenAI-compatible endpoint ``base_url`` (a simulator)."""
    config = dict(embedder.get("config") or {})
    model = model or str(config.get("model") or config.get("model_name") or "embedding")
    config.update(model=model.rsplit("/", 1)[-1], api_base=base_url)
    config.pop("model_name", None)
    return {**embedder, "provider": "openai", "config": config}


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
    base_dir: Path | None = None,
    memory_dir: Path | None = None,
    approver: Approver | None = None,
    trust_project_tools: bool = False,
    mcp_servers: Mapping[str, McpServerSpec] | None = None,
) -> Crew:
    """Makes an engine `Crew` from a document.

    Args:
        document: The crew; it must have no problems.
        llm_factory: Makes each agent's model (default `default_llm`).
        resolve_api_key: Gives each agent's API key (default: None, so the engine reads the
            provider's environment variable).
        tool_factory: Makes a tool from its name (default: the engine's built-in tools,
            `desktop_app.engine.builtin_tools.tool_by_name`, and the crew folder's
            ``project:`` tools: `desktop_app.documents._project_tools`).
        stream: Overrides the document's ``settings.stream``.
        base_dir: The folder relative knowledge paths and ``output_file`` paths start from
            (the crew file's folder); None: the working folder (and its ``knowledge/``), as
            the engine reads them.
        memory_dir: The data folder of the crew's memory and knowledge stores; None: the
            engine's default (``$CREWDESK_HOME/data``, else the platform's).
        approver: Asked before a side-effecting tool call when the crew's approval is
            "ask" (see `approvals_of`); None: such calls are refused under "ask".
        trust_project_tools: The crew's folder (``base_dir``) is trusted, so its own
            ``project:`` tools (``@tool`` functions in ``tools/*.py``) are loaded, which runs
            their code; False: naming one is an error that says the folder is not trusted.
        mcp_servers: The MCP servers of Settings, by name, with their keys
            (`desktop_app.storage.mcp_servers`): a tool named ``mcp:<server>/<tool>`` is
            that server's; None: naming one is an error that says so.

    Returns:
        A new crew, ready for ``kickoff``/``akickoff``.

    Raises:
        CrewFileError: The document has problems, uses a process or tool the engine lacks,
            names a knowledge file that is not there, or the engine refuses a value.
    """
    from desktop_app.engine import Crew, Process

    _check_buildable(document, tool_factory, base_dir, trust_project_tools, mcp_servers)
    document = with_manager_llm_spec(document)
    tool_factory = tool_factory or catalog_tool_factory(
        base_dir, trusted=trust_project_tools, mcp_servers=mcp_servers)
    managers = _manager_keys(document)
    agents = {spec.key: _agent(spec, document, llm_factory, resolve_api_key, tool_factory,
                               base_dir)
              for spec in document.agents if spec.key != MANAGER_LLM_KEY}
    settings = document.settings
    kwargs: dict[str, Any] = {
        "agents": [agent for key, agent in agents.items() if key not in managers],
        "tasks": _tasks(document, agents, base_dir),
        "process": Process(document.process),
        "stream": settings.stream if stream is None else stream,
        "verbose": settings.verbose,
        "name": document.name,
    }
    if document.process == "hierarchical":
        kwargs.update(_manager(document, agents, llm_factory, resolve_api_key))
    kwargs.update(_recall(document, resolve_api_key, base_dir, memory_dir))
    crew = _engine_call(Crew, kwargs, "")
    crew.set_approvals(approvals_of(settings, base_dir, approver))
    crew.set_budget(engine_budget(settings.budget), per_batch=engine_budget(settings.batch_budget))
    if settings.allow_unsandboxed:
        let_code_run_unsandboxed(crew)
    return crew


def engine_budget(spec: BudgetSpec | None) -> Budget | None:
    """The engine's `Budget` of a document's budget (None when it limits nothing)."""
    from desktop_app.engine import Budget as EngineBudget

    if spec is None or spec.is_empty():
        return None
    return EngineBudget(dollars=spec.dollars, tokens=spec.tokens, minutes=spec.minutes)


def approvals_of(
    settings: CrewSettings, base_dir: Path | None, approver: Approver | None = None
) -> Approvals:
    """The `Approvals` of a crew's settings: its policy, its workspace (``settings.workspace``
    joined to ``base_dir`` when relative, else ``base_dir``; None when both are None: the
    working folder when the run starts) and its allowed paths (joined the same way). With a
    workspace elsewhere, the crew file's own folder stays the crew's too (an allowed path),
    as for its knowledge and output files (`documents._knowledge.confinement`)."""
    from desktop_app.engine.approval import Approvals

    workspace = _anchored(settings.workspace, base_dir) if settings.workspace else base_dir
    allowed = tuple(_anchored(path, base_dir) for path in settings.allowed_paths if path)
    if settings.workspace and base_dir is not None:
        allowed += (base_dir,)
    return Approvals(policy=settings.approval, approver=approver,
                     workspace=workspace.absolute() if workspace is not None else None,
                     allowed_paths=tuple(path.absolute() for path in allowed))


def _anchored(path: str, base_dir: Path | None) -> Path:
    """``path`` (``~`` expanded) joined to ``base_dir`` when it is relative."""
    found = Path(path).expanduser()
    return found if found.is_absolute() or base_dir is None else base_dir / found


def let_code_run_unsandboxed(crew: Crew) -> None:
    """Lets every code tool of the crew run where no OS sandbox works (the crew's explicit
    ``allow_unsandboxed``). An agent's ``allow_code_execution`` tool is made by the agent with
    default limits, so it is given as one of its tools instead, with the permissive limits."""
    import dataclasses

    from desktop_app.engine import CodeInterpreterTool, CodeLimits

    agents = [*crew.agents, *([crew.manager_agent] if crew.manager_agent else [])]
    for agent in agents:
        for tool in agent.tools:
            if isinstance(tool, CodeInterpreterTool):
                tool.limits = dataclasses.replace(tool.limits, allow_unsandboxed=True)
        if agent.allow_code_execution:
            agent.allow_code_execution = False
            agent.tools = [*agent.tools, CodeInterpreterTool(
                limits=CodeLimits(allow_unsandboxed=True))]


def _recall(
    document: CrewDocument,
    resolve_api_key: KeyResolver | None,
    base_dir: Path | None,
    memory_dir: Path | None,
) -> dict[str, Any]:
    """The crew's memory, embedder, knowledge and store folder arguments."""
    settings = document.settings
    kwargs: dict[str, Any] = {}
    if settings.memory:
        kwargs["memory"] = True
    if settings.knowledge_sources:
        kwargs["knowledge_sources"] = _sources(settings.knowledge_sources, base_dir,
                                               "settings.knowledge_sources")
    if settings.embedder is not None:
        kwargs["embedder"] = _embedder(settings.embedder, resolve_api_key)
    if memory_dir is not None:
        from desktop_app.engine import MemoryConfig

        kwargs["memory_config"] = MemoryConfig(storage_dir=memory_dir)
    return kwargs


def _embedder(embedder: dict[str, Any], resolve_api_key: KeyResolver | None) -> dict[str, Any]:
    """The crew's embedder setting, with the key ``resolve_api_key`` finds for its model."""
    if resolve_api_key is None:
        return embedder
    from desktop_app.engine import Embedder

    try:
        model = Embedder.from_config(embedder).model
    except ValueError as exc:  # pragma: no cover - problems() names an embedder with no model
        raise CrewFileError(str(exc), field="settings.embedder") from None
    spec = AgentSpec(key=EMBEDDER_KEY, role="Embedder", goal="Embed texts",
                     backstory="The crew's embedding model.", llm=model)
    api_key = resolve_api_key(spec)
    if api_key is None:
        return embedder
    return {**embedder, "config": {**(embedder.get("config") or {}), "api_key": api_key}}


_SOURCE_CLASSES = {
    "text": "TextFileKnowledgeSource",
    "markdown": "MarkdownKnowledgeSource",
    "csv": "CSVKnowledgeSource",
    "json": "JSONKnowledgeSource",
    "pdf": "PDFKnowledgeSource",
}


def _sources(
    specs: list[KnowledgeSourceSpec], base_dir: Path | None, field: str
) -> list[BaseKnowledgeSource]:
    """The engine's knowledge sources for ``specs``."""
    from desktop_app.engine import knowledge

    sources: list[BaseKnowledgeSource] = []
    for index, spec in enumerate(specs):
        kwargs: dict[str, Any] = {
            name: value for name in ("chunk_size", "chunk_overlap")
            if (value := getattr(spec, name)) is not None
        }
        if spec.kind == "string":
            kind: Callable[..., BaseKnowledgeSource] = knowledge.StringKnowledgeSource
            kwargs["content"] = spec.content
        else:
            kind = getattr(knowledge, _SOURCE_CLASSES[spec.kind])
            kwargs["file_paths"] = [resolve_path(spec.path or "", base_dir)]
        sources.append(_engine_call(kind, kwargs, f"{field}[{index}]"))
    return sources


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


def _tasks(document: CrewDocument, agents: dict[str, Agent], base_dir: Path | None) -> list[Task]:
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
        if spec.output_file:
            kwargs["output_file"] = anchored_output_file(spec.output_file, base_dir)
        tasks[spec.key] = _engine_call(Task, kwargs, f"tasks[{index}]")
    return list(tasks.values())


def anchored_output_file(output_file: str, base_dir: Path | None) -> str:
    """``output_file`` joined to ``base_dir`` when it is relative (and ``base_dir`` given).

    The join is made on the text, before the engine fills its ``{placeholders}`` (so a
    ``{name}`` in ``base_dir`` itself would be filled too: the engine has no escape). A value
    that starts with ``~`` (the engine expands it) or is absolute stays as it is.
    """
    if base_dir is None or output_file.startswith("~") or Path(output_file).is_absolute():
        return output_file
    return str(base_dir / output_file)


def _check_buildable(
    document: CrewDocument, tool_factory: ToolFactory | None, base_dir: Path | None,
    trust_project_tools: bool = False,
    mcp_servers: Mapping[str, McpServerSpec] | None = None,
) -> None:
    problems = [CrewProblem(issue.message, field=issue.field) for issue in document.problems()]
    problems += [CrewProblem(issue.message, field=issue.field)
                 for issue in document.file_problems(base_dir)]
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
            if (problem := catalog_tool_problem(tool, base_dir, trusted=trust_project_tools,
                                                mcp_servers=mcp_servers))
            is not None
        ]
    if problems:
        raise CrewFileError(problems)


def _agent(
    spec: AgentSpec,
    document: CrewDocument,
    llm_factory: LlmFactory | None,
    resolve_api_key: KeyResolver | None,
    tool_factory: ToolFactory | None,
    base_dir: Path | None,
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
    if spec.knowledge_sources:
        kwargs["knowledge_sources"] = _sources(spec.knowledge_sources, base_dir,
                                               f"agents[{index}].knowledge_sources")
    return _engine_call(Agent, kwargs, f"agents[{index}]")


def _tool(tool_factory: ToolFactory | None, name: str, index: int) -> BaseTool:
    if tool_factory is None:  # pragma: no cover - build_crew passes the default
        raise CrewFileError(f"CrewDesk has no tool named '{name}'", field=f"agents[{index}].tools")
    try:
        return tool_factory(name)
    except LookupError as exc:
        message = str(exc) if isinstance(exc, ProjectToolError) else (
            f"CrewDesk has no tool named '{name}'")
        raise CrewFileError(message, field=f"agents[{index}].tools") from None


def _engine_call(kind: Callable[..., _T], kwargs: dict[str, Any], field: str) -> _T:
    try:
        return kind(**kwargs)
    except ValidationError as exc:
        messages = "; ".join(error["msg"] for error in exc.errors())
        raise CrewFileError(f"the engine refused it: {messages}", field=field or None) from None
