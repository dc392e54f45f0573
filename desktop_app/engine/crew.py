"""`Crew`: agents and tasks, and the kickoff family, with CrewAI's names and meaning.

- `akickoff` is native async from end to end: every LLM call is async on the caller's loop
  (httpx for OpenAI-protocol providers, litellm's async API for the rest), tools are
  awaited, nothing blocks the loop.
- `kickoff` is synchronous: it runs the same engine on a private event loop in the calling
  thread, where LLM calls are blocking (httpx's, or litellm's sync API).
- `kickoff_async` runs `kickoff` in a worker thread (`asyncio.to_thread`), as CrewAI does;
  cancelling it stops the thread's run at its next chunk and closes its HTTP stream.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from desktop_app.engine import _flow_scope as flow_scope
from desktop_app.engine import events as ev
from desktop_app.engine._agent_loop import AgentStep
from desktop_app.engine._blocking import gather_owned, run_to_end, settled
from desktop_app.engine._crewai_surface import CrewAIModel, IgnoredSetting
from desktop_app.engine._fork import check_reuse, replay_outputs
from desktop_app.engine._hierarchical import (
    coworker_agents,
    default_manager_fields,
    manager_problem,
)
from desktop_app.engine._human_input import HumanInputHandler
from desktop_app.engine._interpolate import placeholders
from desktop_app.engine._litellm_pacing import crew_start_turn
from desktop_app.engine._run import RunState, execute, new_run_id
from desktop_app.engine.agent import Agent, Messages, install_one_task_crew
from desktop_app.engine.approval import Approvals, default_approvals
from desktop_app.engine.budget import Budget, BudgetMeter, BudgetPlan
from desktop_app.engine.knowledge import BaseKnowledgeSource, KnowledgeConfig
from desktop_app.engine.llm import LLM
from desktop_app.engine.memory import MemoryConfig
from desktop_app.engine.outputs import CrewOutput, TaskOutput, UsageMetrics
from desktop_app.engine.streaming import CrewStreamingOutput, RunEventStream, _BlockingPump
from desktop_app.engine.task import ConditionalTask, Task

Inputs = Mapping[str, Any]
Reuse = Mapping[int, TaskOutput] | None
Emit = Callable[[ev.RunEvent], None]
T = TypeVar("T")


class Process(StrEnum):
    """How a crew orders its tasks."""

    sequential = "sequential"
    hierarchical = "hierarchical"


class Crew(CrewAIModel):
    """A crew, as CrewAI's `Crew`.

    Takes every parameter of CrewAI 1.15's `Crew`; parameters CrewDesk does not act on warn
    (`IgnoredSettingWarning`, see `_crewai_surface.IGNORED`).

    Attributes:
        agents: The agents.
        tasks: The tasks, run in order.
        process: `Process.sequential` (each task by its agent, or the crew's first) or
            `Process.hierarchical` (a manager delegates each task to the agents; see
            `manager_llm` and `manager_agent`).
        manager_llm: The model of the manager CrewDesk makes for a hierarchical crew (an
            `LLM` or a litellm model string).
        manager_agent: The manager of a hierarchical crew, instead of one made from
            `manager_llm`: an agent with no tools, not in `agents`.
        human_input_handler: Answers the feedback questions of tasks with `human_input`: gets
            a `HumanInputRequest`, returns the feedback ("" approves), sync or async. None
            reads the feedback from stdin.
        stream: Kickoff methods return a `CrewStreamingOutput` instead of a `CrewOutput`.
        verbose: Print every agent's steps on stdout (CrewAI's bool, or an old project's 2).
        name: Shown in events and run history.
        step_callback: Called (or awaited) with each `AgentStep` of every agent.
        task_callback: Called (or awaited) with each finished task's `TaskOutput`.
        before_kickoff_callbacks: Each gets the inputs dict and returns the inputs to use
            (sync or async), before the run starts.
        after_kickoff_callbacks: Each gets the `CrewOutput` and returns the one to return.
        memory: Short-term, long-term and entity memory (`desktop_app.engine.memory`).
        memory_config: Where the crew's stores live and how much is recalled.
        embedder: CrewAI's embedder setting (`{"provider": "openai", "config": {"model":
            ...}}`): adds semantic search to memory and knowledge. None: full-text only.
        knowledge_sources: Knowledge every agent of the crew draws on.
        knowledge_config: How many knowledge chunks go into a prompt.
        config: CrewAI's crew `config`: a dict (or JSON text) with "agents" and "tasks"
            (a task's "agent" is a role), used when `agents` and `tasks` are not given.
        id: A unique id (uuid4), as CrewAI's.
        planning: Before the run, a planner writes a step-by-step plan for every task.
        planning_llm: The planner's model.
        max_rpm: Most LLM requests per minute of the whole crew.
        function_calling_llm: The model that makes tool calls for agents with none of their own.
        output_log_file: Log the run to a file: True for "logs.txt", or a path ending in
            ".txt" or ".json", as CrewAI.
        usage_metrics: Token usage of the latest run (set when it ends, as CrewAI).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)
    crewai_class: ClassVar[str] = "Crew"
    merges_config: ClassVar[bool] = False

    agents: list[Agent] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    process: Process = Process.sequential
    manager_llm: LLM | None = None
    manager_agent: Agent | None = None
    human_input_handler: HumanInputHandler | None = None
    stream: bool = False
    verbose: bool | int = False
    name: str | None = None
    step_callback: Callable[[AgentStep], Any] | None = None
    task_callback: Callable[[TaskOutput], Any] | None = None
    before_kickoff_callbacks: list[Callable[[dict[str, Any]], Any]] = Field(default_factory=list)
    after_kickoff_callbacks: list[Callable[[CrewOutput], Any]] = Field(default_factory=list)
    # Memory and knowledge (desktop_app.engine.memory, desktop_app.engine.knowledge).
    memory: bool = False
    memory_config: MemoryConfig | None = None
    embedder: dict[str, Any] | None = None
    knowledge_sources: list[BaseKnowledgeSource] = Field(default_factory=list)
    knowledge_config: KnowledgeConfig | None = None
    config: dict[str, Any] | None = None
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    output_log_file: bool | str | None = None
    usage_metrics: UsageMetrics | None = None
    # Behaviours of _planning, _rate_limit and _delegation.
    planning: bool = False
    planning_llm: LLM | None = None
    max_rpm: int | None = None
    function_calling_llm: LLM | None = None
    _made_manager: tuple[LLM, Agent] | None = PrivateAttr(default=None)
    _approvals: Approvals | None = PrivateAttr(default=None)
    _budget: BudgetPlan = PrivateAttr(default_factory=BudgetPlan)

    @field_validator("manager_llm", "planning_llm", "function_calling_llm", mode="before")
    @classmethod
    def _llm_from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return LLM(model=value)
        return value

    @field_validator("knowledge_sources", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("planning", "verbose", "stream", mode="before")
    @classmethod
    def _none_is_false(cls, value: Any) -> Any:
        return False if value is None else value

    @field_validator("config", mode="before")
    @classmethod
    def _config_from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _from_config(self) -> Crew:
        """Builds agents and tasks from `config`, as CrewAI, when none are given."""
        if not self.config or self.agents or self.tasks:
            return self
        agents_config = self.config.get("agents")
        tasks_config = self.config.get("tasks")
        if not agents_config or not tasks_config:
            raise ValueError("Crew(config=...) needs both 'agents' and 'tasks'.")
        self.__dict__["process"] = Process(self.config.get("process", self.process))
        agents = [Agent(**dict(one)) for one in agents_config]
        by_role = {agent.role: agent for agent in agents}
        tasks = []
        for one in tasks_config:
            values = dict(one)
            role = values.pop("agent", None)
            if role is not None and role not in by_role:
                raise ValueError(f"Crew config: task agent '{role}' is not one of the agents.")
            tasks.append(Task(**values, agent=by_role.get(role) if role else None))
        self.__dict__["agents"] = agents
        self.__dict__["tasks"] = tasks
        return self

    @model_validator(mode="after")
    def _check(self) -> Crew:
        problem = _conditional_problem(self.tasks)
        if problem is not None:
            raise ValueError(problem)
        if self.process is Process.hierarchical:
            problem = manager_problem(self.manager_llm, self.manager_agent, self.agents)
            if problem is not None:
                raise ValueError(problem)
            return self
        for index, task in enumerate(self.tasks):
            if task.agent is None and not self.agents:
                label = f"'{task.name}'" if task.name else str(index + 1)
                raise ValueError(f"Task {label} has no agent and the crew has no agents.")
        return self

    def set_approvals(self, approvals: Approvals) -> None:
        """Sets how this crew's runs approve side-effecting tool calls (running code, the
        network, writing files, reading outside its workspace): its policy, approver,
        workspace and allowed paths. Each run takes its own copy when it starts."""
        self._approvals = approvals

    def approvals(self) -> Approvals:
        """This crew's approvals: its own (`set_approvals`), else the process's default
        (`desktop_app.engine.approval.default_approvals`)."""
        return self._approvals if self._approvals is not None else default_approvals()

    def set_budget(self, per_run: Budget | None = None, *,
                   per_batch: Budget | BudgetMeter | None = None) -> None:
        """Caps what each run, and each for-each batch, may spend (`engine.budget`): a
        warning at 80%, a clean stop at 100%. A `BudgetMeter` as `per_batch` is shared as
        it is (with other crews of one batch); a `Budget` gets a fresh meter per batch."""
        self._budget.per_run, self._budget.per_batch = per_run, per_batch

    def budget_plan(self) -> BudgetPlan:
        """This crew's budgets (`set_budget`)."""
        return self._budget

    def owner_label(self) -> str:
        """How messages name this crew: "Crew 'name'"."""
        return f"Crew '{self.display_name()}'"

    def all_ignored_settings(self) -> list[IgnoredSetting]:
        """The ignored settings of the crew, its agents (and manager), their LLMs and its
        tasks, each object once: what a run reports as `SettingIgnored` events."""
        found: list[IgnoredSetting] = list(self.ignored_settings())
        seen: set[int] = set()
        agents = [*self.agents, *(t.agent for t in self.tasks if t.agent is not None)]
        if self.manager_agent is not None:
            agents.append(self.manager_agent)
        llms = [self.manager_llm, self.planning_llm, self.function_calling_llm]
        for agent in agents:
            if id(agent) not in seen:
                seen.add(id(agent))
                found.extend(agent.ignored_settings())
                llms.extend([agent.llm, agent.function_calling_llm])
        for task in self.tasks:
            found.extend(task.ignored_settings())
        for llm in llms:
            if llm is not None and id(llm) not in seen:
                seen.add(id(llm))
                found.extend(llm.ignored_settings())
        return found

    def agent_for(self, task: Task) -> Agent:
        """The agent that does `task`: the manager in a hierarchical crew; else the task's
        own agent, or the crew's first."""
        if self.process is Process.hierarchical:
            return self.manager()
        return task.agent if task.agent is not None else self.agents[0]

    def coworkers_for(self, task: Task) -> list[Agent] | None:
        """Whom the manager may delegate `task` to; None in a sequential crew."""
        if self.process is not Process.hierarchical:
            return None
        return coworker_agents(self.agents, task.agent)

    def manager(self) -> Agent:
        """The manager of a hierarchical crew: `manager_agent`, or one made (once per
        `manager_llm`) with CrewAI's manager texts.

        Raises:
            ValueError: The crew has neither.
        """
        if self.manager_agent is not None:
            return self.manager_agent
        if self.manager_llm is None:
            raise ValueError("this crew has no manager_llm and no manager_agent")
        made = self._made_manager
        if made is None or made[0] is not self.manager_llm:
            made = (self.manager_llm, Agent(**default_manager_fields(self.manager_llm)))
            self._made_manager = made
        return made[1]

    def display_name(self) -> str:
        """The crew's name, or a name made from its first task."""
        if self.name:
            return self.name
        return self.tasks[0].name or "crew" if self.tasks else "crew"

    def train(
        self, n_iterations: int = 1, filename: str = "", inputs: Inputs | None = None
    ) -> None:
        """CrewAI's training loop: not supported by CrewDesk.

        Raises:
            NotImplementedError: Always; names what to do instead.
        """
        raise NotImplementedError(
            "Crew.train() is not supported by CrewDesk. Run the crew with "
            "Task(human_input=True) to give feedback on answers, and put what you learn into "
            "the agents' backstory or the tasks' expected_output."
        )

    def test(
        self, n_iterations: int = 1, eval_llm: LLM | str | None = None, inputs: Inputs | None = None
    ) -> None:
        """CrewAI's evaluation loop: not supported by CrewDesk.

        Raises:
            NotImplementedError: Always; names what to do instead.
        """
        raise NotImplementedError(
            "Crew.test() is not supported by CrewDesk. Run the crew with kickoff_for_each() "
            "over your test inputs and check each task's output with a guardrail."
        )

    def replay(self, task_id: str, inputs: Inputs | None = None) -> CrewOutput:
        """CrewAI's replay: runs again from the task `task_id`, reusing the latest run's
        outputs of the tasks before it (no model call for them; see `_fork`). Blocks.

        Raises:
            ValueError: No task has that id, or a task before it has not run yet.
        """
        reuse = replay_outputs(self.tasks, task_id)
        return self._run_blocking(inputs, None, None, reuse)

    def reset_memories(self, command_type: str = "all") -> None:
        """Empties the crew's stores, as CrewAI's: "short", "long", "entity", "knowledge" or
        "all" (blocking: from a loop, use `asyncio.to_thread`)."""
        from desktop_app.engine.memory._admin import reset_crew_memories

        reset_crew_memories(self, command_type)

    # --- async, native --------------------------------------------------------------

    async def akickoff(self, inputs: Inputs | None = None) -> Any:
        """Runs the crew natively on this event loop.

        Returns:
            A `CrewOutput`, or a `CrewStreamingOutput` when `stream=True`.
        """
        if self.stream:
            return CrewStreamingOutput(events=RunEventStream(lambda emit: self._arun(inputs, emit)))
        await crew_start_turn()
        return await self._arun(inputs, None)

    async def akickoff_for_each(self, inputs: Sequence[Inputs]) -> Any:
        """Runs the crew once per input, all at once, natively.

        Returns:
            A list of `CrewOutput` in input order, or one `CrewStreamingOutput` over all runs
            when `stream=True`.
        """
        def runner(emit: Emit | None) -> Awaitable[list[CrewOutput]]:
            return gather_owned([self._arun(one, emit) for one in inputs])

        self._budget.open_batch()

        if self.stream:
            return CrewStreamingOutput(events=RunEventStream(runner), many=True)
        return await runner(None)

    def _arun(self, inputs: Inputs | None, emit: Emit | None,
              reuse: Reuse = None) -> Coroutine[Any, Any, CrewOutput]:
        state = RunState(run_id=new_run_id(), emit=emit, reuse=check_reuse(len(self.tasks), reuse))
        return flow_scope.tracked(execute(self, inputs, state), flow_scope.current(), state,
                                  self.display_name())

    def stream_events(
        self,
        inputs: Inputs | None = None,
        *,
        mode: Literal["akickoff", "kickoff_async"] = "akickoff",
        reuse: Reuse = None,
    ) -> RunEventStream[CrewOutput]:
        """Starts one run and returns its typed event stream (call on a running loop).

        Read it with `async for event in stream`; after the last event, `stream.value()` is
        the `CrewOutput` (or the run's error is raised). `await stream.aclose()` cancels it.

        Args:
            inputs: Values for the placeholders.
            mode: "akickoff" (native async on this loop) or "kickoff_async" (a worker thread).
            reuse: Outputs of earlier runs by task index, not made again (a fork, `_fork`).
        """
        if mode == "akickoff":
            return RunEventStream(lambda emit: self._arun(inputs, emit, reuse))
        return RunEventStream(lambda emit: self._threaded(inputs, emit, reuse))

    # --- threads ------------------------------------------------------------------

    async def kickoff_async(self, inputs: Inputs | None = None) -> Any:
        """Runs the synchronous `kickoff` in a worker thread (`asyncio.to_thread`).

        Returns:
            A `CrewOutput`, or a `CrewStreamingOutput` when `stream=True`.
        """
        if self.stream:
            return CrewStreamingOutput(
                events=RunEventStream(lambda emit: self._threaded(inputs, emit))
            )
        return await self._threaded(inputs, None)

    async def kickoff_for_each_async(self, inputs: Sequence[Inputs]) -> Any:
        """Runs `kickoff` once per input, each in a worker thread, all at once."""
        def runner(emit: Emit | None) -> Awaitable[list[CrewOutput]]:
            return gather_owned([self._threaded(one, emit) for one in inputs])

        self._budget.open_batch()

        if self.stream:
            return CrewStreamingOutput(events=RunEventStream(runner), many=True)
        return await runner(None)

    async def _threaded(self, inputs: Inputs | None, emit: Emit | None,
                        reuse: Reuse = None) -> CrewOutput:
        flag = threading.Event()
        try:
            ok, value = await asyncio.to_thread(
                settled, lambda: self._run_blocking(inputs, emit, flag, reuse)
            )
        except asyncio.CancelledError:
            flag.set()
            raise
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]  # the CrewOutput of _run_blocking

    # --- blocking -----------------------------------------------------------------

    def kickoff(self, inputs: Inputs | None = None) -> Any:
        """Runs the crew and blocks until it ends.

        Returns:
            A `CrewOutput`, or a `CrewStreamingOutput` to read with `for` when `stream=True`.
        """
        if self.stream:
            return CrewStreamingOutput(
                pump=_BlockingPump(lambda emit: self._run_blocking(inputs, emit, None))
            )
        return self._run_blocking(inputs, None, None)

    def kickoff_for_each(self, inputs: Sequence[Inputs]) -> list[Any]:
        """Runs `kickoff` once per input, one after another."""
        self._budget.open_batch()
        return [self.kickoff(one) for one in inputs]

    def _run_blocking(
        self, inputs: Inputs | None, emit: Emit | None, flag: threading.Event | None,
        reuse: Reuse = None,
    ) -> CrewOutput:
        step = flow_scope.current()
        if flag is None and step is not None:
            flag = step.cancel  # a cancelled flow stops the kickoff() of its sync step
        state = RunState(run_id=new_run_id(), emit=emit, blocking=True, cancel_flag=flag,
                         reuse=check_reuse(len(self.tasks), reuse))
        run = flow_scope.tracked(execute(self, inputs, state), step, state, self.display_name())
        return run_to_end(run, thread_name="crewdesk-kickoff")


def _conditional_problem(tasks: Sequence[Task]) -> str | None:
    """What CrewAI refuses of a crew's conditional tasks (its messages), or None."""
    if tasks and all(isinstance(task, ConditionalTask) for task in tasks):
        return "Crew must include at least one non-conditional task"
    if tasks and isinstance(tasks[0], ConditionalTask):
        return "The first task cannot be a ConditionalTask."
    for task in tasks:
        if task.async_execution and isinstance(task, ConditionalTask):
            return f"Conditional Task: {task.description}, cannot be executed asynchronously."
    return None


def _one_task_crew(
    agent: Agent, messages: Messages, response_format: type[BaseModel] | None
) -> tuple[Crew, dict[str, Any]]:
    """The crew `Agent.kickoff` runs: one task for the agent, whose description is the
    prompt (a chat's messages one per paragraph), and inputs that keep any `{name}` in the
    prompt and the agent's texts as written (CrewAI does not fill them there)."""
    if isinstance(messages, str):
        prompt = messages
    else:
        prompt = "\n\n".join(
            f"{message.get('role', 'user')}: {message.get('content') or ''}"
            for message in messages
        )
    task = Task(
        description=prompt,
        expected_output="The best answer to the request above.",
        agent=agent,
        output_pydantic=response_format,
        guardrail=agent.guardrail,
        guardrail_max_retries=agent.guardrail_max_retries,
    )
    texts = (prompt, agent.role, agent.goal, agent.backstory)
    literal = {name: f"{{{name}}}" for text in texts for name in placeholders(text)}
    return Crew(agents=[agent], tasks=[task], name=agent.role), literal


install_one_task_crew(_one_task_crew)
