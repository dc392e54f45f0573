"""`Agent`: who does a task, with CrewAI's fields.

An `Agent` holds configuration only. Everything a run changes lives in that run's own
state, so one agent can work on many tasks and crews at the same time.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from desktop_app.engine._crewai_surface import CrewAIModel
from desktop_app.engine.knowledge import BaseKnowledgeSource, KnowledgeConfig
from desktop_app.engine.llm import LLM, default_base_url, default_model
from desktop_app.engine.outputs import CrewOutput, LiteAgentOutput
from desktop_app.engine.tools import BaseTool

Messages = str | Sequence[Mapping[str, Any]]
"""What `Agent.kickoff` takes: a prompt, or a chat in OpenAI's message format."""


class OneTaskCrew(Protocol):
    """A crew of one task made for `Agent.kickoff` (a `Crew`; see `install_one_task_crew`)."""

    def kickoff(self, inputs: Mapping[str, Any] | None = None) -> Any: ...

    def akickoff(self, inputs: Mapping[str, Any] | None = None) -> Awaitable[Any]: ...


OneTaskCrewFactory = Callable[
    ["Agent", Messages, "type[BaseModel] | None"], tuple[OneTaskCrew, dict[str, Any]]
]
"""Makes the one-task crew of `Agent.kickoff` and the inputs that keep its text literal."""

_one_task_crew: OneTaskCrewFactory | None = None


def install_one_task_crew(factory: OneTaskCrewFactory) -> None:
    """Called once by `crew.py`, which sits above this module: the crew layer provides the
    one-task run that `Agent.kickoff` needs, so agents never import crews."""
    global _one_task_crew
    _one_task_crew = factory


class Agent(CrewAIModel):
    """An agent, as CrewAI's `Agent`.

    Takes every parameter of CrewAI 1.15's `Agent` and `config=` (a dict, e.g. from
    agents.yaml, merged under the explicit keywords); parameters CrewDesk does not act on
    warn (`IgnoredSettingWarning`, see `_crewai_surface.IGNORED`).

    Attributes:
        role: What the agent is ("Python Data Analyst"); may hold `{placeholders}`.
        goal: What it aims for; may hold `{placeholders}`.
        backstory: Who it is; may hold `{placeholders}`.
        llm: An `LLM`, a litellm model string, or None for the default model from the
            environment (`MODEL`, then `OPENAI_MODEL_NAME`, else "gpt-4o-mini").
        tools: Tools it may call.
        allow_code_execution: Gives it a tool that runs Python code in a separate process.
        max_iter: Most LLM calls with tool use for one task before a final answer is forced.
        verbose: Print this agent's steps on stdout (CrewAI's bool, or an old project's 2).
        knowledge_sources: Knowledge only this agent draws on (beside the crew's).
        knowledge_config: How many knowledge chunks go into its prompts.
        config: CrewAI's `config`: parameters as a dict, under the explicit keywords.
        id: A unique id (uuid4), as CrewAI's.
        max_execution_time: Seconds one task of this agent may take; longer fails the task.
        max_retry_limit: Times a task of this agent is run again after it failed.
        inject_date: Tells the agent today's date (`date_format`) in each task.
        date_format: The `strftime` format of that date.
        step_callback: Called (or awaited) with each `AgentStep` of this agent.
        guardrail: A guardrail for `Agent.kickoff` (as `Task.guardrail`).
        guardrail_max_retries: Retries after that guardrail refuses an answer.
        allow_delegation: Gives the agent CrewAI's coworker tools in a sequential crew.
        planning: The agent plans before a task (CrewAI's agent planning).
        reasoning: The agent reflects and plans before a task.
        max_reasoning_attempts: Most plan refinements (None: CrewAI's default).
        max_rpm: Most LLM requests per minute of this agent.
        function_calling_llm: The model that makes this agent's tool calls.
        respect_context_window: Summarise the conversation when it outgrows the model's
            context window, instead of failing.
        mcps: MCP servers whose tools the agent gets (CrewAI's forms: ``"https://..."``
            URLs, ``"https://...#tool"``, `crewai.mcp`'s config objects); the servers are
            opened when a run starts and closed when it ends (`desktop_app.engine.mcp`).
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, validate_assignment=True, defer_build=True
    )
    crewai_class: ClassVar[str] = "Agent"

    role: str
    goal: str
    backstory: str
    llm: LLM | None = None
    tools: list[BaseTool] = Field(default_factory=list)
    allow_code_execution: bool = False
    max_iter: int = Field(default=25, ge=1)
    verbose: bool | int = False
    knowledge_sources: list[BaseKnowledgeSource] = Field(default_factory=list)
    knowledge_config: KnowledgeConfig | None = None
    config: dict[str, Any] | None = None
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    # Behaviours of engine-core (_run.py, agent.py).
    max_execution_time: float | None = Field(default=None, gt=0)
    max_retry_limit: int = Field(default=2, ge=0)
    inject_date: bool = False
    date_format: str = "%Y-%m-%d"
    step_callback: Callable[..., Any] | None = None
    guardrail: Callable[..., Any] | str | None = None
    guardrail_max_retries: int = Field(default=3, ge=0)
    # Behaviours of _delegation, _planning, _reasoning, _rate_limit, _context_window.
    allow_delegation: bool = False
    planning: bool = False
    reasoning: bool = False
    max_reasoning_attempts: int | None = None
    max_rpm: int | None = None
    function_calling_llm: LLM | None = None
    respect_context_window: bool = True
    mcps: list[Any] = Field(default_factory=list)

    @field_validator("llm", "function_calling_llm", mode="before")
    @classmethod
    def _llm_from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return LLM(model=value)
        return value

    @field_validator("tools", "knowledge_sources", "mcps", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("mcps")
    @classmethod
    def _warn_unusable_mcps(cls, value: list[Any]) -> list[Any]:
        from desktop_app.engine.mcp import specs_of

        specs_of(value)  # warns for each form CrewDesk cannot use, naming it
        return value

    def owner_label(self) -> str:
        """How messages name this agent: "Agent 'Researcher'"."""
        return f"Agent '{self.role}'"

    def resolved_llm(self) -> LLM:
        """The LLM this agent calls: its own, or the default from the environment."""
        if self.llm is not None:
            return self.llm
        return LLM(model=default_model(), base_url=default_base_url())

    def all_tools(self) -> list[BaseTool]:
        """Its tools, its MCP servers' tools, and the code interpreter when code execution
        is allowed."""
        tools = list(self.tools)
        if self.mcps:
            from desktop_app.engine.mcp import mcps_tools

            tools += mcps_tools(self.mcps)
        if self.allow_code_execution:
            from desktop_app.engine.code_execution import CodeInterpreterTool

            tools.append(CodeInterpreterTool())
        return tools

    def kickoff(
        self, messages: Messages, response_format: type[BaseModel] | None = None
    ) -> LiteAgentOutput:
        """Runs this agent alone on `messages` (CrewAI's `Agent.kickoff`): one task whose
        description is the prompt (or the chat), with the agent's tools, guardrail and
        `response_format` as the output model; blocks until it ends.

        Returns:
            A `LiteAgentOutput`: `.raw`, `.pydantic`, `.agent_role`, `.usage_metrics`.
        """
        crew, inputs = self._one_task(messages, response_format)
        return _lite_output(self, crew.kickoff(inputs))

    async def kickoff_async(
        self, messages: Messages, response_format: type[BaseModel] | None = None
    ) -> LiteAgentOutput:
        """`kickoff`, natively async on the caller's loop."""
        crew, inputs = self._one_task(messages, response_format)
        return _lite_output(self, await crew.akickoff(inputs))

    def _one_task(
        self, messages: Messages, response_format: type[BaseModel] | None
    ) -> tuple[OneTaskCrew, dict[str, Any]]:
        if _one_task_crew is None:  # only when crew.py was never imported
            raise NotImplementedError("Agent.kickoff needs desktop_app.engine.crew loaded")
        return _one_task_crew(self, messages, response_format)

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _lite_output(agent: Agent, output: CrewOutput) -> LiteAgentOutput:
    return LiteAgentOutput(
        raw=output.raw,
        pydantic=output.pydantic,
        agent_role=agent.role,
        usage_metrics=output.token_usage.model_dump(),
    )
