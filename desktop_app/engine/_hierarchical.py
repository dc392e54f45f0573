"""`Process.hierarchical`: a manager agent does every task by delegating to its coworkers.

As in CrewAI, the manager is the crew's `manager_agent` (an agent with no tools of its own),
or an agent CrewDesk makes with CrewAI's manager texts around `manager_llm`. For each task it
gets two tools: "Delegate work to coworker" (task, context, coworker) and "Ask question to
coworker" (question, context, coworker). Each call runs the named coworker's own agent loop,
with its own tools, on a small task made of the request, and returns the coworker's answer
to the manager, which reviews it and gives the task's final answer. A task's coworkers are
the crew's agents, or only the task's own agent when it has one (as CrewAI does).

Coworkers are found by role, compared lower-cased with blanks and quotes removed at the
ends; an unknown name goes back to the manager's model as a tool error listing every valid
role. Everything a coworker does streams as the task's events with the coworker's role as
`agent_role` (the manager's own text and tool calls carry the manager's role), and its LLM
calls count in the run's usage like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, Field, PrivateAttr

from desktop_app.engine._agent_loop import AgentLoop, StepSink, build_messages
from desktop_app.engine._blocking import run_to_end
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._specs import AgentSpec, CoworkerRequest
from desktop_app.engine._trace import Span
from desktop_app.engine.llm import LLM
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedAgent, PreparedTask, RunState, TaskMeta

MANAGER_ROLE = "Crew Manager"
MANAGER_GOAL = "Manage the team to complete the task in the best way possible."
MANAGER_BACKSTORY = (
    "You are a seasoned manager with a knack for getting the best out of your team.\n"
    "You are also known for your ability to delegate work to the right people, and to ask "
    "the right questions to get the best out of your team.\nEven though you don't perform "
    "tasks by yourself, you have a lot of experience in the field, which allows you to "
    "properly evaluate the work of your team members."
)
COWORKER_EXPECTED_OUTPUT = (
    "Your best answer to your coworker asking you this, accounting for the context shared."
)
DELEGATE_TOOL_NAME = "Delegate work to coworker"
ASK_TOOL_NAME = "Ask question to coworker"


A = TypeVar("A", bound=AgentSpec)


def default_manager_fields(llm: LLM) -> dict[str, Any]:
    """The fields of the manager CrewDesk makes around a crew's `manager_llm` (CrewAI's
    texts); `Crew` makes the `Agent` (this module sits below the public classes)."""
    return {"role": MANAGER_ROLE, "goal": MANAGER_GOAL, "backstory": MANAGER_BACKSTORY, "llm": llm}


def manager_problem(
    manager_llm: LLM | None, manager_agent: AgentSpec | None, agents: Sequence[AgentSpec]
) -> str | None:
    """Why a hierarchical crew with these settings cannot run, or None when it can."""
    if manager_llm is None and manager_agent is None:
        return (
            "A hierarchical crew needs a manager: set `manager_llm` (the model of the manager "
            "that CrewDesk makes) or `manager_agent` (an Agent with no tools)."
        )
    if manager_agent is not None:
        if manager_agent.tools or manager_agent.allow_code_execution:
            return (
                f"The manager agent '{manager_agent.role}' must have no tools (and no code "
                "execution): it works through the delegation tools it is given."
            )
        if any(agent is manager_agent for agent in agents):
            return (
                f"The manager agent '{manager_agent.role}' must not be in the crew's agents "
                "list: the agents are its coworkers."
            )
    if not agents:
        return "A hierarchical crew needs agents: they are the coworkers the manager delegates to."
    return None


def coworker_agents(agents: Sequence[A], task_agent: A | None) -> list[A]:
    """Whom the manager may delegate a task to: the task's own agent if it has one, else
    everyone."""
    return [task_agent] if task_agent is not None else list(agents)


def sanitize_role(role: str) -> str:
    """A role as coworker names are compared: lower case, single spaces, no outer quotes."""
    return " ".join(role.strip().strip("\"'").split()).lower()


def with_coworker_tools(
    task: PreparedTask, state: RunState, on_step: StepSink | None
) -> PreparedTask:
    """The task with the delegation tools added to its (manager) agent, when it has
    coworkers; the task itself otherwise."""
    if task.coworkers is None:
        return task
    team = _Team(task, task.coworkers, state, on_step)
    tools: list[BaseTool] = [DelegateWorkTool.for_team(team), AskQuestionTool.for_team(team)]
    agent = dataclasses.replace(task.agent, tools=[*task.agent.tools, *tools])
    return dataclasses.replace(task, agent=agent)


@dataclass(slots=True)
class _Team:
    """The coworkers of one task in one run, and how to put one of them to work."""

    parent: PreparedTask
    coworkers: list[PreparedAgent]
    state: RunState
    on_step: StepSink | None

    def roles(self) -> str:
        return ", ".join(coworker.role for coworker in self.coworkers)

    def find(self, name: str) -> PreparedAgent:
        """The coworker called `name`.

        Raises:
            ValueError: No coworker has that role; the message lists the valid ones.
        """
        wanted = sanitize_role(name)
        for coworker in self.coworkers:
            if sanitize_role(coworker.role) == wanted:
                return coworker
        options = "\n".join(f"- {sanitize_role(c.role)}" for c in self.coworkers)
        raise ValueError(
            f"coworker '{name}' not found, it must be one of the following options:\n{options}"
        )

    async def work(self, name: str, request: str, context: str) -> str:
        """Runs the named coworker's agent loop on `request` and returns its answer."""
        coworker = self.find(name)
        parent = self.parent
        task = dataclasses.replace(
            parent,
            description=request,
            expected_output=COWORKER_EXPECTED_OUTPUT,
            agent=coworker,
            context_indexes=None,
            source=CoworkerRequest(description=request, expected_output=COWORKER_EXPECTED_OUTPUT),
            output_file=None,
            coworkers=None,
        )
        meta: TaskMeta = {
            "run_id": self.state.run_id,
            "task_index": parent.index,
            "task_name": parent.name,
            "agent_role": coworker.role,
        }
        messages = build_messages(task, context)
        with Span(self.state, "delegation", coworker.role, meta) as span:
            answer = await AgentLoop(task, messages, self.state, meta, self.on_step).run()
            if span.active:
                span.detail = {"request": mask(request), "answer": mask(answer)}
        return answer


class _CoworkerTool(BaseTool):
    """A tool of the manager that puts a coworker to work (see the subclasses)."""

    is_async_native: ClassVar[bool] = True
    _team: _Team | None = PrivateAttr(default=None)

    def _run(self, **kwargs: Any) -> Any:
        return run_to_end(self._arun(**kwargs), thread_name="crewdesk-coworker")

    def _bound(self, team: _Team) -> _CoworkerTool:
        self._team = team
        return self

    def _work(self, coworker: str, request: str, context: str) -> Any:
        if self._team is None:
            raise RuntimeError("this tool works only inside a hierarchical crew's run")
        return self._team.work(coworker, request, context)


class _DelegateArgs(BaseModel):
    task: str = Field(description="The task to delegate")
    context: str = Field(default="", description="The context for the task")
    coworker: str = Field(description="The role/name of the coworker to delegate to")


class _AskArgs(BaseModel):
    question: str = Field(description="The question to ask")
    context: str = Field(default="", description="The context for the question")
    coworker: str = Field(description="The role/name of the coworker to ask")


class DelegateWorkTool(_CoworkerTool):
    """CrewAI's "Delegate work to coworker"."""

    @classmethod
    def for_team(cls, team: _Team) -> _CoworkerTool:
        """The tool for the coworkers of one task."""
        return cls(
            name=DELEGATE_TOOL_NAME,
            description=(
                f"Delegate a specific task to one of the following coworkers: {team.roles()}\n"
                "The input to this tool should be the coworker, the task you want them to do, "
                "and ALL necessary context to execute the task, they know nothing about the "
                "task, so share absolutely everything you know, don't reference things but "
                "instead explain them."
            ),
            args_schema=_DelegateArgs,
        )._bound(team)

    async def _arun(self, **kwargs: Any) -> Any:
        return await self._work(kwargs["coworker"], kwargs["task"], kwargs.get("context", ""))


class AskQuestionTool(_CoworkerTool):
    """CrewAI's "Ask question to coworker"."""

    @classmethod
    def for_team(cls, team: _Team) -> _CoworkerTool:
        """The tool for the coworkers of one task."""
        return cls(
            name=ASK_TOOL_NAME,
            description=(
                f"Ask a specific question to one of the following coworkers: {team.roles()}\n"
                "The input to this tool should be the coworker, the question you have for "
                "them, and ALL necessary context to ask the question properly, they know "
                "nothing about the question, so share absolutely everything you know, don't "
                "reference things but instead explain them."
            ),
            args_schema=_AskArgs,
        )._bound(team)

    async def _arun(self, **kwargs: Any) -> Any:
        return await self._work(kwargs["coworker"], kwargs["question"], kwargs.get("context", ""))
