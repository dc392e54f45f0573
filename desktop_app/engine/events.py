"""The typed event stream of a run.

Every run emits, in order: one `RunStarted`; one `SettingIgnored` per setting of the crew,
its agents and tasks that CrewDesk does not act on; with `Crew(planning=True)`, one
`PlanCreated` per task; per task a `TaskStarted` (then, for an agent with `reasoning=True`,
its `PlanCreated`), any number of
`TextDelta`, `ToolCallStarted`, `ToolCallFinished` and `UsageUpdated` (and, for a task with
`human_input`, `HumanInputRequested`/`HumanInputReceived` pairs, and, before a tool call with side effects,
an `ApprovalRequested`/`ApprovalDecided` pair between its `ToolCallStarted` and
`ToolCallFinished`), then `TaskFinished`;
with memory or knowledge on, `MemoryRetrieved` and `KnowledgeRetrieved` after `TaskStarted`
and `MemorySaved` before `TaskFinished` (a conditional task whose condition is false sends only
a `TaskSkipped`); and one closing event: `RunFinished`, `RunFailed` or
`RunCancelled`. When someone listens, a `TraceSpan` is sent as each step of the run ends
(LLM calls, tool calls, approvals, guardrail checks, delegations, memory recalls, human
input, each task, and the run itself just before its closing event). A run with a budget
(`engine.budget`) sends a `BudgetWarning` when one reaches 80%, and ends with
`RunCancelled(reason="budget")` when one is used up. A task event's
`agent_role` is the agent that produced it: in a hierarchical crew the manager's own text
and tool calls carry the manager's role, and a coworker's work (while the manager's
delegation tool call runs) carries the coworker's. The GUI switches on `kind`, and run
history stores the same models (`RunEventAdapter` parses them back).

A flow run (`engine.flow`) publishes its own events on the event bus: `FlowStarted`, per step
`FlowMethodStarted` then `FlowMethodFinished` or `FlowMethodFailed` (with a `FlowCrewStarted`
for each crew a step kicks off), and one of `FlowFinished`, `FlowFailed`, `FlowCancelled`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from desktop_app.engine.approval import ApprovalKind
from desktop_app.engine.outputs import CrewOutput, TaskOutput, UsageMetrics


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    run_id: str


class _TaskEvent(_Event):
    task_index: int
    task_name: str | None
    agent_role: str


class RunStarted(_Event):
    """A run began. `inputs` are the values given to kickoff."""

    kind: Literal["run_started"] = "run_started"
    crew_name: str
    task_count: int
    inputs: dict[str, object]


class SettingIgnored(_Event):
    """A setting of the crew, an agent, a task or an LLM that CrewDesk accepts but does not
    act on (the same text as the `IgnoredSettingWarning` given when it was built).

    `owner` names the object ("Agent 'Researcher'"), `setting` the parameter.
    """

    kind: Literal["setting_ignored"] = "setting_ignored"
    owner: str
    setting: str
    message: str


class TaskStarted(_TaskEvent):
    """A task began; `description` has its placeholders filled."""

    kind: Literal["task_started"] = "task_started"
    description: str


class TextDelta(_TaskEvent):
    """A piece of text the model streamed."""

    kind: Literal["text"] = "text"
    content: str


class ToolCallStarted(_TaskEvent):
    """The model asked for a tool; `arguments` is the JSON text the model wrote."""

    kind: Literal["tool_call"] = "tool_call"
    call_id: str
    tool_name: str
    arguments: str


class ToolCallFinished(_TaskEvent):
    """A tool returned; `output` is what went back to the model."""

    kind: Literal["tool_result"] = "tool_result"
    call_id: str
    tool_name: str
    output: str
    is_error: bool


class UsageUpdated(_TaskEvent):
    """One LLM call finished; `usage` and `cost_usd` are the run's totals so far."""

    kind: Literal["usage"] = "usage"
    usage: UsageMetrics
    cost_usd: float | None


class HumanInputRequested(_TaskEvent):
    """The task's answer waits for a person's feedback (`Task(human_input=True)`).

    `output` is the answer to review; `round` counts the questions about this task (from 1).
    """

    kind: Literal["human_input_requested"] = "human_input_requested"
    description: str
    output: str
    round: int


class HumanInputReceived(_TaskEvent):
    """The person answered; an empty `feedback` approved the output."""

    kind: Literal["human_input_received"] = "human_input_received"
    feedback: str
    round: int


class ApprovalRequested(_TaskEvent):
    """A tool call with side effects waits for approval (see `desktop_app.engine.approval`).

    Sent after the call's `ToolCallStarted`, before it runs, under every policy (under
    "always" and "never" the `ApprovalDecided` follows at once). The fields are the
    `ApprovalRequest`'s; `approval_kind` is its `kind` (the event's own `kind` is its tag).
    """

    kind: Literal["approval_requested"] = "approval_requested"
    call_id: str
    approval_kind: ApprovalKind
    tool_name: str
    summary: str
    detail: str = ""
    target: str = ""


class ApprovalDecided(_TaskEvent):
    """The call of `call_id` may run ("run") or was refused ("deny"): decided by the run's
    policy ("policy": "always", "never", or "ask" with nobody to ask) or by the approver
    ("user"). An approver's "always" is sent as "run" and turns the run's policy to "always".
    """

    kind: Literal["approval_decided"] = "approval_decided"
    call_id: str
    decision: Literal["run", "deny"]
    by: Literal["policy", "user"]


class TaskFinished(_TaskEvent):
    """A task produced its output.

    `reused`: the output was given to the run (a fork or a resume reuses an earlier run's
    outputs of the tasks before the one it starts from); no model was called and no
    `TaskStarted` came before it.
    """

    kind: Literal["task_finished"] = "task_finished"
    output: TaskOutput
    reused: bool = False


class TaskSkipped(_TaskEvent):
    """A conditional task (CrewAI's `ConditionalTask`) was skipped: its condition was false
    of the previous task's output. It has no `TaskStarted` or `TaskFinished`; its output in
    `tasks_output` is empty. `description` has its placeholders filled."""

    kind: Literal["task_skipped"] = "task_skipped"
    description: str


class MemoryRetrieved(_TaskEvent):
    """Memory was searched before a task; `items` are the texts put into its prompt."""

    kind: Literal["memory_retrieved"] = "memory_retrieved"
    memory: Literal["short_term", "long_term", "entity"]
    query: str
    items: list[str]


class MemorySaved(_TaskEvent):
    """A task's output was saved to memory; `counts` are the items per kind of memory."""

    kind: Literal["memory_saved"] = "memory_saved"
    counts: dict[str, int]


class KnowledgeRetrieved(_TaskEvent):
    """Knowledge chunks were found for a task and put into its prompt."""

    kind: Literal["knowledge_retrieved"] = "knowledge_retrieved"
    query: str
    items: list[str]
    sources: list[str]


class PlanCreated(_TaskEvent):
    """A plan for a task was made before the task ran, and added to its description.

    `source` "crew_planning": `Crew(planning=True)`'s planner, one event per task right after
    `RunStarted` (`agent_role` is the task's agent). "agent_reasoning": `Agent(reasoning=True)`,
    after the task's `TaskStarted`; `ready` is whether the agent said it was ready, and
    `attempts` how many plans it made.
    """

    kind: Literal["plan_created"] = "plan_created"
    source: Literal["crew_planning", "agent_reasoning"]
    plan: str
    ready: bool = True
    attempts: int = 1


class TraceSpan(_Event):
    """One step of the run's trace ended (`engine._trace`): an LLM call ("llm"), a tool
    call ("tool"), its approval ("approval"), a guardrail check ("guardrail"), a delegation
    to a coworker ("delegation"), a memory recall ("memory"), a person's feedback
    ("human_input"), a task ("task") or the run itself ("run").

    Sent when the step ends, so a child comes before its parent. `parent_id` is the span it
    ran in (a task's span is in the run's; the run's has None). `started_at` is unix
    seconds. `detail` holds what the step saw, keys masked: for an LLM call the exact
    `messages` sent and the `answer` (and `tool_calls`) received. `status` is "ok",
    "error" or "cancelled".
    """

    kind: Literal["trace_span"] = "trace_span"
    span_id: str
    parent_id: str | None
    span_kind: str
    name: str
    task_index: int | None
    task_name: str | None
    agent_role: str | None
    started_at: float
    duration_s: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    status: str = "ok"
    detail: dict[str, Any] = Field(default_factory=dict)


class RunFinished(_Event):
    """The run succeeded."""

    kind: Literal["run_finished"] = "run_finished"
    output: CrewOutput
    cost_usd: float | None


class RunFailed(_Event):
    """The run stopped on an error; `error` is a message meant for the user. `error_kind` is
    the `LLMError` kind when a model call failed (e.g. "stream_dropped"; None otherwise, and
    in events stored before it existed)."""

    kind: Literal["run_failed"] = "run_failed"
    error: str
    error_type: str
    task_index: int | None
    agent_role: str | None
    error_kind: str | None = None


class RunCancelled(_Event):
    """The run was cancelled before it finished: by its owner ("cancelled"), or because a
    budget was used up ("budget", `engine.budget`; `message` says which, and the output
    streamed so far is kept)."""

    kind: Literal["run_cancelled"] = "run_cancelled"
    reason: Literal["cancelled", "budget"] = "cancelled"
    message: str = ""


class BudgetWarning(_Event):
    """A budget of the run (`scope` "run") or of its batch ("batch") reached 80% of its
    `limit` in `measure` ("dollars", "tokens", "minutes"); sent once per budget. Also sent
    (with `spent` 0) when a dollar budget meets a model with no known price."""

    kind: Literal["budget_warning"] = "budget_warning"
    scope: str
    measure: Literal["dollars", "tokens", "minutes"]
    spent: float
    limit: float
    task_index: int | None = None
    message: str


class _FlowEvent(_Event):
    flow_name: str


class FlowStarted(_FlowEvent):
    """A flow run began (`run_id` is the flow run's, not a crew's). `state_id` is its state's
    `id` (the key `@persist` saves under; the same across a resumed flow's runs)."""

    kind: Literal["flow_started"] = "flow_started"
    state_id: str
    inputs: dict[str, object]


class FlowMethodStarted(_FlowEvent):
    """A step of a flow began; `trigger` is what fired it (None for a start at kickoff),
    `state` the flow's state as the step found it."""

    kind: Literal["flow_method_started"] = "flow_method_started"
    method: str
    trigger: str | None
    state: dict[str, object] = Field(default_factory=dict)


class FlowCrewStarted(_FlowEvent):
    """A crew was kicked off inside a flow's step: the crew's own events carry
    `crew_run_id`, so a viewer tags them with `method`."""

    kind: Literal["flow_crew_started"] = "flow_crew_started"
    method: str
    crew_run_id: str
    crew_name: str


class FlowMethodFinished(_FlowEvent):
    """A step ended; `result` is its return value as text (cut to 2,000 characters), and
    `state` the flow's state after it, as JSON-able values."""

    kind: Literal["flow_method_finished"] = "flow_method_finished"
    method: str
    result: str
    state: dict[str, object]


class FlowMethodFailed(_FlowEvent):
    """A step raised; the flow fails with it (a `FlowFailed` follows)."""

    kind: Literal["flow_method_failed"] = "flow_method_failed"
    method: str
    error: str
    error_type: str


class FlowFinished(_FlowEvent):
    """The flow ended; `result` is its last step's value as text, `usage` and `cost_usd` the
    sums of the crews its steps ran."""

    kind: Literal["flow_finished"] = "flow_finished"
    result: str
    state: dict[str, object]
    usage: UsageMetrics
    cost_usd: float | None


class FlowFailed(_FlowEvent):
    """The flow stopped on an error in step `method` (None: before any step ran)."""

    kind: Literal["flow_failed"] = "flow_failed"
    method: str | None
    error: str
    error_type: str
    usage: UsageMetrics


class FlowCancelled(_FlowEvent):
    """The flow was cancelled; the crews its steps were running were cancelled too."""

    kind: Literal["flow_cancelled"] = "flow_cancelled"
    usage: UsageMetrics


RunEvent: TypeAlias = Annotated[
    RunStarted
    | SettingIgnored
    | TaskStarted
    | TextDelta
    | ToolCallStarted
    | ToolCallFinished
    | UsageUpdated
    | HumanInputRequested
    | HumanInputReceived
    | ApprovalRequested
    | ApprovalDecided
    | TaskFinished
    | TaskSkipped
    | MemoryRetrieved
    | MemorySaved
    | KnowledgeRetrieved
    | PlanCreated
    | TraceSpan
    | RunFinished
    | RunFailed
    | RunCancelled
    | BudgetWarning
    | FlowStarted
    | FlowMethodStarted
    | FlowCrewStarted
    | FlowMethodFinished
    | FlowMethodFailed
    | FlowFinished
    | FlowFailed
    | FlowCancelled,
    Field(discriminator="kind"),
]
"""Any event of a run, tagged by `kind`."""

RunEventAdapter: TypeAdapter[RunEvent] = TypeAdapter(RunEvent, config=ConfigDict(defer_build=True))
"""Validates and dumps `RunEvent` values (JSON in run history). Its schema is built on first
use, not at import (it cost about 20 ms of `import desktop_app.engine`)."""

TERMINAL_KINDS = frozenset({"run_finished", "run_failed", "run_cancelled"})
"""Kinds of the events that close a run."""

FLOW_KINDS = frozenset({
    "flow_started", "flow_method_started", "flow_crew_started", "flow_method_finished",
    "flow_method_failed", "flow_finished", "flow_failed", "flow_cancelled",
})
"""Kinds of a flow run's own events (`engine.flow`), which only the event bus carries: a
crew's stream never holds them."""
