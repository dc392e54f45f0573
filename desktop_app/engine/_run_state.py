"""What one run owns and reads: its state (`RunState`), the fields of its task events
(`TaskMeta`), and its agents and tasks with their texts filled (`PreparedAgent`,
`PreparedTask`).

The run machinery (`_run`, `_run_tasks`, the agent loop and the behaviours beside it) reads
these types; `_run.prepare_tasks` makes the prepared ones. A run's state is its own: runs of
the same crew never share one.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import BaseModel

from desktop_app.engine import bus
from desktop_app.engine import events as ev
from desktop_app.engine._agent_loop import AgentStep
from desktop_app.engine._behaviours import AgentBehaviour
from desktop_app.engine._budget_run import RunBudget
from desktop_app.engine._human_input import HumanInputHandler
from desktop_app.engine._structured import OutputFormat, wanted_model
from desktop_app.engine._task_limits import RunLogFile, expired_here
from desktop_app.engine.approval import Approvals
from desktop_app.engine.llm import LLM
from desktop_app.engine.outputs import TaskOutput, UsageMetrics
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine._recall_run import RunRecall
    from desktop_app.engine._specs import TaskSpec

Emit = Callable[[ev.RunEvent], None]


class TaskMeta(TypedDict):
    """The fields every task event carries."""

    run_id: str
    task_index: int
    task_name: str | None
    agent_role: str


@dataclass(slots=True)
class PreparedAgent:
    """An agent's texts filled for one run."""

    role: str
    goal: str
    backstory: str
    llm: LLM
    tools: list[BaseTool]
    max_iter: int
    behaviour: AgentBehaviour = field(default_factory=AgentBehaviour)
    max_execution_time: float | None = None
    max_retry_limit: int = 0
    inject_date: bool = False
    date_format: str = "%Y-%m-%d"
    step_callback: Callable[..., Any] | None = None


@dataclass(slots=True)
class PreparedTask:
    """A task's texts filled for one run."""

    index: int
    name: str | None
    description: str
    expected_output: str
    agent: PreparedAgent
    context_indexes: list[int] | None
    source: TaskSpec
    output_file: str | None = None
    coworkers: list[PreparedAgent] | None = None
    own_agent_role: str = ""

    @property
    def output_format(self) -> OutputFormat:
        """"raw", "json" or "pydantic", from the task's output model."""
        return wanted_model(self.source.output_pydantic, self.source.output_json)[0]

    @property
    def output_model(self) -> type[BaseModel] | None:
        """The task's `output_pydantic` or `output_json` model."""
        return wanted_model(self.source.output_pydantic, self.source.output_json)[1]

    @property
    def guardrail(self) -> Callable[[TaskOutput], Any] | str | None:
        """The task's guardrail: a function, or a requirement for the model to check."""
        return self.source.guardrail

    @property
    def all_guardrails(self) -> list[Callable[[TaskOutput], Any] | str]:
        """The task's `guardrails`, then its `guardrail`, in the order CrewAI runs them."""
        many = self.source.guardrails
        listed = [many] if callable(many) or isinstance(many, str) else list(many or [])
        return [*listed, *([self.guardrail] if self.guardrail is not None else [])]

    @property
    def guardrail_max_retries(self) -> int:
        """How often a refused answer is asked for again."""
        return self.source.guardrail_max_retries


@dataclass(slots=True)
class RunState:
    """Everything one run owns.

    Attributes:
        run_id: Unique id of the run, on every event.
        emit: The run's own listener, or None. Events also go to the bus's subscribers
            (`desktop_app.engine.bus`); `send` gives them to both.
        blocking: True on the `kickoff` path: LLM calls and tools block this run's private
            loop (which serves this run alone) instead of awaiting.
        cancel_flag: Set from outside to stop a blocking run at its next chunk.
        step_callback: The crew's `step_callback`, called with each `AgentStep`.
        task_callback: The crew's `task_callback`, called with each `TaskOutput`.
        human_input_handler: The crew's `human_input_handler` (None: read stdin).
        stop_threads: Set when the run ends early, so async tasks in worker threads (the
            blocking path) stop at their next chunk.
        lock: Guards `usage` and `cost_usd`, which worker threads update too.
        recall: The run's memory and knowledge, when the crew has either.
        log_file: The crew's `output_log_file`, when it has one.
        approvals: The run's own copy of the crew's `Approvals` (`Crew.approvals()`), its
            workspace resolved; an approver's "always" turns its policy to "always".
        reuse: Outputs given to the run by task index (a fork or a resume, `_fork`): those
            tasks make no model call and their outputs are context for the later ones.
        budget: The run's budgets as it spends them (`_budget_run`), when its crew has any.
    """

    run_id: str
    emit: Emit | None
    blocking: bool = False
    cancel_flag: threading.Event | None = None
    usage: UsageMetrics = field(default_factory=UsageMetrics)
    cost_usd: float | None = None
    step_callback: Callable[[AgentStep], Any] | None = None
    task_callback: Callable[[TaskOutput], Any] | None = None
    human_input_handler: HumanInputHandler | None = None
    stop_threads: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    recall: RunRecall | None = None
    log_file: RunLogFile | None = None
    approvals: Approvals = field(default_factory=Approvals)
    reuse: Mapping[int, TaskOutput] = field(default_factory=dict)
    budget: RunBudget | None = None

    def cancelled(self) -> bool:
        """Whether a blocking run was asked to stop (or the task on this thread ran out of
        its `max_execution_time`)."""
        if self.stop_threads.is_set() or expired_here():
            return True
        return self.cancel_flag is not None and self.cancel_flag.is_set()

    def send(self, event: ev.RunEvent) -> None:
        """Gives `event` to the run's listener, if any, and to the bus's subscribers."""
        if self.emit is not None:
            self.emit(event)
        if bus.active():
            bus.publish(event)

    def listening(self) -> Emit | None:
        """Where events go now (the run's listener and the bus), or None when nobody listens,
        so that a run makes no per-chunk events for nobody."""
        if self.emit is None and not bus.active():
            return None
        return self.send


def new_run_id() -> str:
    """A fresh run id."""
    return uuid.uuid4().hex
