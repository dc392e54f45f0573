"""Crew documents: the pydantic models of a crew that CrewDesk saves, imports and runs.

A `CrewDocument` is plain data: agents, tasks (with `context` edges by task key), crew settings
and named input sets. It never holds a secret: an agent names its model and, where needed, a
credential by name; keys come from the secret store or the environment at run time.

Field types are checked when a document is made; references between parts (a task's agent, its
context, duplicate keys) are checked by `CrewDocument.problems()`, so that an editor can hold a
half-finished crew and show what is wrong with it. Loaders and `build_crew` refuse a document
with problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from desktop_app.documents._checks import (
    Severity,
    document_issues,
    knowledge_file_issues,
    plain_text,
    run_issues,
)
from desktop_app.documents._knowledge import output_file_issues, outside_issues
from desktop_app.documents._yaml import Loc, label_of

CURRENT_SCHEMA_VERSION = 1
"""The `schema_version` this CrewDesk writes; older files are migrated on load."""

PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A `{name}` placeholder. JSON such as `{"a": 1}` does not match."""

Process = Literal["sequential", "hierarchical"]

KnowledgeKind = Literal["string", "text", "markdown", "csv", "json", "pdf"]
"""What a knowledge source is: a text in the document (``string``) or a file of this kind."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _lift_from_extra(data: Any, names: tuple[str, ...], kind: type) -> Any:
    """Moves fields that older documents kept in ``extra`` into their own fields.

    Files written before these fields existed (and CrewAI imports made then) kept CrewAI's
    ``manager_llm``, ``human_input``, ``output_file``, ``memory``, ``embedder`` and
    ``knowledge_sources`` as unused extras; they now load as the real fields, unless the field is set already (then
    the extra stays, and `problems()` names the clash). A value of another type (a
    ``knowledge_sources`` list not written as `KnowledgeSourceSpec` items) stays an extra.
    """
    if not isinstance(data, dict) or not isinstance(data.get("extra"), dict):
        return data
    extra = dict(data["extra"])
    lifted = dict(data)
    for name in names:
        value = extra.get(name)
        if kind is list and not _knowledge_list(value):
            continue
        if isinstance(value, kind) and lifted.get(name) is None:
            lifted[name] = extra.pop(name)
    lifted["extra"] = extra
    return lifted


def _knowledge_list(value: object) -> bool:
    """Whether ``value`` is written as `KnowledgeSourceSpec` items (mappings with a kind)."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and "kind" in item for item in value
    )


class KnowledgeSourceSpec(_Spec):
    """One knowledge source: a text written in the document, or a file.

    Attributes:
        kind: ``string`` (``content`` is the text), or the kind of the file at ``path``:
            ``text``, ``markdown`` (chunked by section), ``csv``, ``json`` or ``pdf``.
        content: The text of a ``string`` source.
        path: The file of the other kinds; a relative path is relative to the folder of the
            crew file (for an imported CrewAI project, to the project's folder).
        chunk_size: Most characters in one chunk; None for the engine's default (4,000).
        chunk_overlap: Characters a chunk repeats from the one before; None for the
            engine's default (200).
    """

    kind: KnowledgeKind
    content: str | None = None
    path: str | None = None
    chunk_size: int | None = Field(default=None, ge=20)
    chunk_overlap: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _content_or_path(self) -> KnowledgeSourceSpec:
        if self.kind == "string":
            if self.content is None or self.path is not None:
                raise ValueError("a string source has content and no path")
        elif self.path is None or self.content is not None:
            raise ValueError(f"a {self.kind} source has a path and no content")
        elif not self.path.strip():
            raise ValueError(f"a {self.kind} source needs a file path")
        if (
            self.chunk_size is not None
            and self.chunk_overlap is not None
            and self.chunk_overlap >= self.chunk_size
        ):
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    def label(self) -> str:
        """A short name for lists: the file's name, or the first words of the text."""
        if self.path is not None:
            return self.path.replace("\\", "/").rsplit("/", 1)[-1] or self.path
        text = " ".join((self.content or "").split())
        return text if len(text) <= 60 else text[:59] + "…"


class BudgetSpec(_Spec):
    """Most a run (or a batch of runs) of the crew may spend: a warning at 80%, a clean stop
    at 100% that keeps the partial output (`desktop_app.engine.budget`). None leaves that
    measure free.

    Attributes:
        dollars: US dollars, at the models' prices.
        tokens: Tokens, prompt and answer.
        minutes: Minutes of wall time.
    """

    dollars: float | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, gt=0)
    minutes: float | None = Field(default=None, gt=0)

    def is_empty(self) -> bool:
        """Whether no measure is limited."""
        return self.dollars is None and self.tokens is None and self.minutes is None


class CrewSettings(_Spec):
    """Crew-wide settings.

    Attributes:
        stream: Stream each LLM chunk while the crew runs.
        verbose: Log what the crew does (agents inherit it unless they set their own).
        manager_llm: The model (a litellm model string) of the manager that CrewDesk makes
            for a hierarchical crew, with CrewAI's manager texts; its key and endpoint are
            found as for an agent with that model.
        manager_agent: The key of the agent that manages a hierarchical crew instead (it
            must have no tools; it is not one of the coworkers, and no task names it).
            Either one is needed when ``process`` is hierarchical; both are ignored otherwise.
        memory: Short-term, long-term and entity memory, kept in the crew's store in the
            app's data folder (CrewAI's ``memory=True``).
        embedder: CrewAI's embedder setting (``{"provider": "openai", "config": {"model":
            ...}}``): adds semantic search to memory and knowledge. Never a key: the key is
            found as for an agent with the embedder's model. None: full-text search only.
        knowledge_sources: Knowledge every agent of the crew draws on.
        approval: Before a tool with side effects runs (code, network, file writes, reads
            outside the crew's folder, MCP tools): ``ask`` the user, run it ``always``, or
            ``never`` run it. A crew opened from a file or project starts at ``ask``.
        allow_unsandboxed: Run model-written code even where no OS sandbox is available
            (the user's explicit choice for this crew; off by default).
        workspace: The folder file tools and knowledge paths are confined to, when the user
            picked one; None means the crew file's (or project's) own folder.
        allowed_paths: Files or folders outside that folder that the user allowed by name.
        budget: What each run may spend (None: no cap).
        batch_budget: What the runs of one batch (one run per inputs row) may spend together.
        extra: Crew fields from CrewAI files that CrewDesk keeps but does not use
            (``planning`` ...); written back on export.
    """

    stream: bool = True
    verbose: bool = False
    manager_llm: str | None = None
    manager_agent: str | None = None
    memory: bool = False
    embedder: dict[str, Any] | None = None
    knowledge_sources: list[KnowledgeSourceSpec] = Field(default_factory=list)
    approval: Literal["ask", "always", "never"] = "ask"
    allow_unsandboxed: bool = False
    workspace: str | None = None
    allowed_paths: list[str] = Field(default_factory=list)
    budget: BudgetSpec | None = None
    batch_budget: BudgetSpec | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lift_extras(cls, data: Any) -> Any:
        data = _lift_from_extra(data, ("manager_llm",), str)
        data = _lift_from_extra(data, ("memory",), bool)
        data = _lift_from_extra(data, ("embedder",), dict)
        return _lift_from_extra(data, ("knowledge_sources",), list)


class AgentSpec(_Spec):
    """One agent.

    Attributes:
        key: The agent's name within the crew; tasks refer to it (``researcher``).
        role: What the agent is; may hold ``{placeholders}``.
        goal: What it aims for; may hold ``{placeholders}``.
        backstory: Who it is; may hold ``{placeholders}``.
        llm: A litellm model string such as ``openai/gpt-4o-mini``, or None for the default.
        base_url: An OpenAI-compatible endpoint for the model, or None for the provider's.
        credential: The name of a stored credential to use as the API key (never a key).
        llm_options: Other settings of the model (``temperature``, ``max_tokens``,
            ``timeout`` are used; others, such as ``provider`` or ``api_version``, are kept).
        tools: Names of the tools it may call.
        allow_code_execution: Give it a tool that runs Python code.
        max_iter: Most LLM calls for one task, or None for the engine's default.
        verbose: Log what it does; None inherits the crew's setting.
        knowledge_sources: Knowledge only this agent draws on (beside the crew's).
        extra: Fields from CrewAI files that CrewDesk keeps but does not use.
    """

    key: str
    role: str
    goal: str
    backstory: str
    llm: str | None = None
    base_url: str | None = None
    credential: str | None = None
    llm_options: dict[str, Any] = Field(default_factory=dict)
    tools: list[str] = Field(default_factory=list)
    allow_code_execution: bool = False
    max_iter: int | None = None
    verbose: bool | None = None
    knowledge_sources: list[KnowledgeSourceSpec] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lift_extras(cls, data: Any) -> Any:
        return _lift_from_extra(data, ("knowledge_sources",), list)


class TaskSpec(_Spec):
    """One task.

    Attributes:
        key: The task's name within the crew; `context` lists refer to it.
        name: A display name, when it differs from the key.
        description: What to do; may hold ``{placeholders}``.
        expected_output: What the answer should look like; may hold ``{placeholders}``.
        agent: The key of the agent that does it (None only in a hierarchical crew).
        context: Keys of earlier tasks whose outputs it reads; None means CrewAI's default
            (a sequential crew passes on the previous outputs).
        human_input: After the answer, ask a person for feedback; the agent revises until
            the person approves (an empty answer).
        output_file: A file the final answer is written to (its folder is made when
            missing); may hold ``{placeholders}``. A relative path is relative to the folder
            of the crew file (for a CrewAI project, to the project's folder, as under
            ``crewai run``). None: the answer is not written to a file.
        extra: Fields from CrewAI files that CrewDesk keeps but does not use.
    """

    key: str
    name: str | None = None
    description: str
    expected_output: str
    agent: str | None = None
    context: list[str] | None = None
    human_input: bool = False
    output_file: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lift_extras(cls, data: Any) -> Any:
        data = _lift_from_extra(data, ("human_input",), bool)
        return _lift_from_extra(data, ("output_file",), str)


class InputSet(_Spec):
    """A named set of values for the crew's placeholders.

    Attributes:
        name: Shown in the GUI and used by ``crewdesk run --input-set``.
        values: Placeholder name to value (text, numbers, lists ...).
    """

    name: str
    values: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class DocumentIssue:
    """Something wrong with a document as a whole.

    Attributes:
        loc: Where, as a path into the document: ``("tasks", 1, "agent")``.
        message: What is wrong, for the user.
        severity: ``error`` (cannot be saved), ``run`` (saved, but a run fails) or
            ``warning`` (a run works, probably not as meant).
        plain: The whole issue in plain words (``Task 2 "write" has no agent; ...``), when
            the document was at hand to name the place; `text` falls back to `__str__`.
    """

    loc: Loc
    message: str
    severity: Severity = "error"
    plain: str = ""

    @property
    def text(self) -> str:
        """The issue for people: the place in plain words, then what is wrong."""
        return self.plain or str(self)

    @property
    def field(self) -> str:
        """The place as users read it: ``tasks[1].agent``."""
        return label_of(self.loc)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.loc else self.message


Place = Annotated[tuple[float, float], PlainSerializer(list, return_type=list[float])]
"""Where the designer's canvas draws a node: ``(x, y)``, written as ``[x, y]`` (YAML's safe
dumper writes no tuples)."""

AGENT_TEXT_FIELDS = ("role", "goal", "backstory")
TASK_TEXT_FIELDS = ("description", "expected_output")


class CrewDocument(_Spec):
    """A crew: what CrewDesk saves as a ``.crew.yaml`` file.

    Attributes:
        schema_version: The version of this format (`CURRENT_SCHEMA_VERSION`).
        name: The crew's name.
        description: What the crew is for.
        process: ``sequential`` (tasks in order) or ``hierarchical``.
        settings: Crew-wide settings.
        agents: The agents, in order.
        tasks: The tasks, in the order they run.
        input_sets: Named values for the placeholders; the first is the default.
        layout: Where the designer's canvas draws each node, by ``agent:<key>`` or
            ``task:<key>``: only for the designer (CrewAI exports leave it out).
    """

    schema_version: int = CURRENT_SCHEMA_VERSION
    name: str
    description: str = ""
    process: Process = "sequential"
    settings: CrewSettings = Field(default_factory=CrewSettings)
    agents: list[AgentSpec] = Field(default_factory=list)
    tasks: list[TaskSpec] = Field(default_factory=list)
    input_sets: list[InputSet] = Field(default_factory=list)
    layout: dict[str, Place] = Field(default_factory=dict)

    def agent(self, key: str) -> AgentSpec | None:
        """The agent with this key, if any."""
        return next((spec for spec in self.agents if spec.key == key), None)

    def text_fields(self) -> Iterator[tuple[Loc, str]]:
        """Every text in which placeholders are filled, with its place (a task's
        ``output_file`` too, when it has one)."""
        for index, agent in enumerate(self.agents):
            for name in AGENT_TEXT_FIELDS:
                yield ("agents", index, name), getattr(agent, name)
        for index, task in enumerate(self.tasks):
            for name in TASK_TEXT_FIELDS:
                yield ("tasks", index, name), getattr(task, name)
            if task.output_file is not None:
                yield ("tasks", index, "output_file"), task.output_file

    def placeholder_uses(self) -> dict[str, list[Loc]]:
        """Each placeholder name, in order of first use, with the places that use it."""
        uses: dict[str, list[Loc]] = {}
        for loc, text in self.text_fields():
            for match in PLACEHOLDER_RE.finditer(text):
                places = uses.setdefault(match.group(1), [])
                if loc not in places:
                    places.append(loc)
        return uses

    def placeholders(self) -> list[str]:
        """The names of all ``{placeholders}``, in order of first use."""
        return list(self.placeholder_uses())

    def missing_inputs(self, values: Mapping[str, object]) -> list[DocumentIssue]:
        """One issue per placeholder that ``values`` leaves without a value."""
        return [
            DocumentIssue(places[0], f"placeholder {{{name}}} has no input")
            for name, places in self.placeholder_uses().items()
            if name not in values
        ]

    def default_inputs(self) -> dict[str, Any]:
        """The values of the first input set, or nothing."""
        return dict(self.input_sets[0].values) if self.input_sets else {}

    def problems(self) -> list[DocumentIssue]:
        """Everything that keeps this document from being loaded as valid or run."""
        return [DocumentIssue(loc, message, plain=plain_text(self, loc, message))
                for loc, message in document_issues(self)]

    def run_problems(self, *, check_tools: bool = True) -> list[DocumentIssue]:
        """What fails (severity ``run``) or goes wrong (``warning``) when this document runs,
        though it can be saved: unknown tools, ``{``-typos, unused or missing inputs.

        Args:
            check_tools: Check tool names against the tools CrewDesk builds (off for a
                CrewAI project's crew, whose code makes its tools).
        """
        return [DocumentIssue(loc, message, severity, plain_text(self, loc, message))
                for loc, message, severity in run_issues(self, check_tools=check_tools)]

    def file_problems(self, base_dir: Path | None) -> list[DocumentIssue]:
        """One issue per knowledge file that is not on disk, or that is outside the crew's
        folder and not among its allowed paths, and per ``output_file`` that would be written
        outside them (blocking: it looks at files).

        Args:
            base_dir: The folder relative paths start from (the crew file's); None: the
                working folder.
        """
        issues = knowledge_file_issues(self, base_dir) + outside_issues(self, base_dir)
        issues += output_file_issues(self, base_dir)
        return [DocumentIssue(loc, message) for loc, message in issues]
