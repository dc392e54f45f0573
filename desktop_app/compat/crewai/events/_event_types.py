"""CrewAI's event classes that CrewDesk emits, with CrewAI's names and fields.

Each is made from the engine's typed run events (see `_translate`). Fields that hold CrewAI
objects CrewDesk's events do not carry (`crew`, `task`, `agent`, `from_task`...) are None.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from desktop_app.engine import CrewOutput, TaskOutput


class BaseEvent(BaseModel):
    """What every event has, as CrewAI's `BaseEvent` (plus `run_id`, the engine's run)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    type: str
    source_fingerprint: str | None = None
    source_type: str | None = None
    fingerprint_metadata: dict[str, Any] | None = None
    task_id: str | None = None
    task_name: str | None = None
    agent_id: str | None = None
    agent_role: str | None = None
    run_id: str | None = None


class CrewBaseEvent(BaseEvent):
    """A crew event."""

    crew_name: str | None = None
    crew: Any | None = None


class CrewKickoffStartedEvent(CrewBaseEvent):
    """A crew's kickoff began."""

    type: str = "crew_kickoff_started"
    inputs: dict[str, Any] | None = None


class CrewKickoffCompletedEvent(CrewBaseEvent):
    """A crew's kickoff finished; `output` is its `CrewOutput`."""

    type: str = "crew_kickoff_completed"
    output: CrewOutput | None = None
    total_tokens: int = 0


class CrewKickoffFailedEvent(CrewBaseEvent):
    """A crew's kickoff failed (or was cancelled)."""

    type: str = "crew_kickoff_failed"
    error: str


class TaskStartedEvent(BaseEvent):
    """A task began."""

    type: str = "task_started"
    context: str | None = None
    task: Any | None = None


class TaskCompletedEvent(BaseEvent):
    """A task finished; `output` is its `TaskOutput`."""

    type: str = "task_completed"
    output: TaskOutput
    task: Any | None = None


class TaskFailedEvent(BaseEvent):
    """A task failed."""

    type: str = "task_failed"
    error: str
    task: Any | None = None


class AgentExecutionStartedEvent(BaseEvent):
    """An agent began a task; `task_prompt` is the task's description."""

    type: str = "agent_execution_started"
    agent: Any | None = None
    task: Any | None = None
    tools: list[Any] | None = None
    task_prompt: str


class AgentExecutionCompletedEvent(BaseEvent):
    """An agent finished a task; `output` is its answer."""

    type: str = "agent_execution_completed"
    agent: Any | None = None
    task: Any | None = None
    output: str


class AgentExecutionErrorEvent(BaseEvent):
    """An agent's task failed."""

    type: str = "agent_execution_error"
    agent: Any | None = None
    task: Any | None = None
    error: str


class ToolUsageEvent(BaseEvent):
    """A tool call's common fields."""

    type: str = "tool_usage"
    agent_key: str | None = None
    tool_name: str
    tool_args: dict[str, Any] | str
    tool_class: str | None = None
    run_attempts: int = 0
    delegations: int | None = None
    agent: Any | None = None
    from_task: Any | None = None
    from_agent: Any | None = None


class ToolUsageStartedEvent(ToolUsageEvent):
    """The agent called a tool."""

    type: str = "tool_usage_started"


class ToolUsageFinishedEvent(ToolUsageEvent):
    """A tool returned; `output` is what went back to the model."""

    type: str = "tool_usage_finished"
    started_at: datetime
    finished_at: datetime
    from_cache: bool = False
    output: Any = None


class ToolUsageErrorEvent(ToolUsageEvent):
    """A tool failed; `error` is what went back to the model."""

    type: str = "tool_usage_error"
    error: Any = None


class LLMStreamChunkEvent(BaseEvent):
    """A piece of text the model streamed."""

    type: str = "llm_stream_chunk"
    chunk: str
    call_id: str = ""
    model: str | None = None
    tool_call: Any | None = None
    from_task: Any | None = None
    from_agent: Any | None = None


class LLMCallCompletedEvent(BaseEvent):
    """An LLM call finished: `response` is the text it streamed, `usage` its token counts."""

    type: str = "llm_call_completed"
    messages: Any = None
    response: Any = None
    call_type: str = "llm_call"
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    call_id: str = ""
    model: str | None = None
    from_task: Any | None = None
    from_agent: Any | None = None


class MemoryRetrievalCompletedEvent(BaseEvent):
    """Memory was searched before a task; `memory_content` is what went into its prompt."""

    type: str = "memory_retrieval_completed"
    memory_content: str
    retrieval_time_ms: float = 0.0
    from_task: Any | None = None
    from_agent: Any | None = None


class MemorySaveCompletedEvent(BaseEvent):
    """A task's output was saved to memory; `metadata` holds the items saved per kind."""

    type: str = "memory_save_completed"
    value: str = ""
    metadata: dict[str, Any] | None = None
    save_time_ms: float = 0.0
    from_task: Any | None = None
    from_agent: Any | None = None


class KnowledgeRetrievalCompletedEvent(BaseEvent):
    """Knowledge was found for a task; `retrieved_knowledge` went into its prompt."""

    type: str = "knowledge_search_query_completed"
    query: str
    retrieved_knowledge: str
    from_task: Any | None = None
    from_agent: Any | None = None


class FlowEvent(BaseEvent):
    """A flow event (`run_id` is the flow run's)."""

    type: str
    flow_name: str


class FlowStartedEvent(FlowEvent):
    """A flow's kickoff began."""

    type: str = "flow_started"
    inputs: dict[str, Any] | None = None


class MethodExecutionStartedEvent(FlowEvent):
    """A step of a flow began; `state` is the flow's state as JSON-able values."""

    type: str = "method_execution_started"
    method_name: str
    state: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] | None = None


class MethodExecutionFinishedEvent(FlowEvent):
    """A step ended; `result` is its value as text (the engine's events carry text)."""

    type: str = "method_execution_finished"
    method_name: str
    result: Any = None
    state: dict[str, Any] = Field(default_factory=dict)


class MethodExecutionFailedEvent(FlowEvent):
    """A step raised; `error` carries its message."""

    type: str = "method_execution_failed"
    method_name: str
    error: Exception


class FlowFinishedEvent(FlowEvent):
    """A flow ended; `result` is its last step's value as text."""

    type: str = "flow_finished"
    result: Any | None = None
    state: dict[str, Any] = Field(default_factory=dict)


class FlowFailedEvent(FlowEvent):
    """A flow failed (or was cancelled); `error` carries the message."""

    type: str = "flow_failed"
    error: Exception


EMITTED: tuple[type[BaseEvent], ...] = (
    CrewKickoffStartedEvent,
    CrewKickoffCompletedEvent,
    CrewKickoffFailedEvent,
    TaskStartedEvent,
    TaskCompletedEvent,
    TaskFailedEvent,
    AgentExecutionStartedEvent,
    AgentExecutionCompletedEvent,
    AgentExecutionErrorEvent,
    ToolUsageStartedEvent,
    ToolUsageFinishedEvent,
    ToolUsageErrorEvent,
    LLMStreamChunkEvent,
    LLMCallCompletedEvent,
    MemoryRetrievalCompletedEvent,
    MemorySaveCompletedEvent,
    KnowledgeRetrievalCompletedEvent,
    FlowStartedEvent,
    MethodExecutionStartedEvent,
    MethodExecutionFinishedEvent,
    MethodExecutionFailedEvent,
    FlowFinishedEvent,
    FlowFailedEvent,
)
"""The event classes CrewDesk emits."""


NEVER_EMITTED = frozenset(
    """
    AgentEvaluationCompletedEvent AgentEvaluationFailedEvent AgentEvaluationStartedEvent
    AgentLogsExecutionEvent AgentLogsStartedEvent AgentReasoningCompletedEvent
    AgentReasoningFailedEvent AgentReasoningStartedEvent CheckpointBaseEvent
    CheckpointCompletedEvent CheckpointFailedEvent CheckpointForkBaseEvent
    CheckpointForkCompletedEvent CheckpointForkStartedEvent CheckpointPrunedEvent
    CheckpointRestoreBaseEvent CheckpointRestoreCompletedEvent CheckpointRestoreFailedEvent
    CheckpointRestoreStartedEvent CheckpointStartedEvent
    ContextWindowSummarizationCompletedEvent ContextWindowSummarizationFailedEvent
    ContextWindowSummarizationStartedEvent ConversationMessageAddedEvent
    ConversationRouteSelectedEvent ConversationTurnCompletedEvent ConversationTurnFailedEvent
    ConversationTurnStartedEvent CrewTestCompletedEvent CrewTestFailedEvent
    CrewTestResultEvent CrewTestStartedEvent CrewTrainCompletedEvent CrewTrainFailedEvent
    CrewTrainStartedEvent FlowCreatedEvent FlowPlotEvent HumanFeedbackReceivedEvent
    HumanFeedbackRequestedEvent
    KnowledgeQueryCompletedEvent KnowledgeQueryFailedEvent KnowledgeQueryStartedEvent
    KnowledgeRetrievalStartedEvent KnowledgeSearchQueryFailedEvent
    LLMCallFailedEvent LLMCallStartedEvent LLMGuardrailCompletedEvent
    LLMGuardrailStartedEvent LLMThinkingChunkEvent LiteAgentExecutionCompletedEvent
    LiteAgentExecutionErrorEvent LiteAgentExecutionStartedEvent MCPConfigFetchFailedEvent
    MCPConnectionCompletedEvent MCPConnectionFailedEvent MCPConnectionStartedEvent
    MCPToolExecutionCompletedEvent MCPToolExecutionFailedEvent MCPToolExecutionStartedEvent
    MemoryQueryCompletedEvent MemoryQueryFailedEvent MemoryQueryStartedEvent
    MemoryRetrievalFailedEvent MemoryRetrievalStartedEvent MemorySaveFailedEvent
    MemorySaveStartedEvent PlanStepCompletedEvent PlanStepEvent PlanStepStartedEvent
    ReasoningEvent SkillActivatedEvent SkillDiscoveryCompletedEvent
    SkillDiscoveryStartedEvent SkillEvent SkillLoadFailedEvent SkillLoadedEvent
    SkillUsedEvent TaskEvaluationEvent ToolExecutionErrorEvent ToolFailureDetectedEvent
    ToolSelectionErrorEvent ToolValidateInputErrorEvent
    """.split()  # noqa: SIM905  # a block of names reads better than 90 quoted strings
)
"""CrewAI 1.15's other event classes: importable, so listeners load, but never emitted
(registering a handler for one warns)."""

_made: dict[str, type[BaseEvent]] = {}


def never_emitted(name: str) -> type[BaseEvent] | None:
    """The class of a CrewAI event CrewDesk does not emit (made once), else None."""
    if name not in NEVER_EMITTED:
        return None
    if name not in _made:
        doc = f"CrewAI's {name}: CrewDesk never emits it."
        made = type(name, (BaseEvent,), {"__doc__": doc, "__module__": __name__})
        _made[name] = made
    return _made[name]


def is_never_emitted(event_type: type[BaseEvent]) -> bool:
    """Whether `event_type` is one of CrewAI's event classes that CrewDesk never emits."""
    return _made.get(event_type.__name__) is event_type or event_type in (
        BaseEvent, CrewBaseEvent, ToolUsageEvent, FlowEvent
    )
