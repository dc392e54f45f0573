"""`Crew(planning=True)`: one planner call before the tasks run, as CrewAI's `CrewPlanner`.

The planner is CrewAI's "Task Execution Planner" on `planning_llm` (else the default model
from the environment). It gets CrewAI's summary of every task (description, expected output,
agent, goal, tools) and answers with CrewAI's `PlannerTaskPydanticOutput`: a step-by-step
plan per task. The answer is asked for as structured output (a `json_schema`
`response_format`, with the schema also in the prompt for models that ignore it) and read by
the engine's structured-output reader; an answer that does not fit is sent back with what is
wrong, twice at most. Each task's plan is appended to its description for this run (CrewAI:
`task.description += plan`), and a `PlanCreated` event per task shows it.

A planner that never gives a usable answer fails the run (CrewAI raises "Failed to get the
Planning output"); a task the planner left out runs without a plan, with a warning in the log.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from desktop_app.engine import events as ev
from desktop_app.engine._behaviours import as_llm, call_aside, with_options
from desktop_app.engine._structured import convert, format_instructions
from desktop_app.engine.errors import CrewError
from desktop_app.engine.llm import LLM, Message, default_base_url, default_model

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedAgent, PreparedTask, RunState
    from desktop_app.engine._specs import CrewSpec

log = logging.getLogger("desktop_app.engine")

PLANNER_ROLE = "Task Execution Planner"
PLANNER_GOAL = (
    "Your goal is to create an extremely detailed, step-by-step plan based on the tasks and "
    "tools available to each agent so that they can perform the tasks in an exemplary manner"
)
PLANNER_BACKSTORY = "Planner agent for crew planning"
PLANNER_EXPECTED_OUTPUT = (
    "Step by step plan on how the agents can execute their tasks using the available tools "
    "with mastery"
)
FORMAT_RETRIES = 2
"""How often an answer that does not fit `PlannerTaskPydanticOutput` is asked for again."""


class PlanPerTask(BaseModel):
    """Represents a plan for a specific task (CrewAI's model)."""

    task_number: int = Field(
        description="The 1-indexed task number this plan corresponds to", ge=1
    )
    task: str = Field(description="The task for which the plan is created")
    plan: str = Field(
        description=(
            "The step by step plan on how the agents can execute their tasks using the "
            "available tools with mastery"
        ),
    )


class PlannerTaskPydanticOutput(BaseModel):
    """Output format for task planning results (CrewAI's model)."""

    list_of_plans_per_task: list[PlanPerTask] = Field(
        ...,
        description=(
            "Step by step plan on how the agents can execute their tasks using the available "
            "tools with mastery"
        ),
    )


class PlanningError(CrewError):
    """The crew's planner gave no usable plan."""


async def plan_tasks(
    crew: CrewSpec, tasks: Sequence[PreparedTask], state: RunState
) -> list[PreparedTask]:
    """The run's tasks with the planner's plans appended, when the crew plans; else as given.

    Raises:
        PlanningError: The planner's answers never fit the plan model.
    """
    if not crew.planning or not tasks:
        return list(tasks)
    hierarchical = str(crew.process) == "hierarchical"
    llm = as_llm(crew.planning_llm) or LLM(model=default_model(), base_url=default_base_url())
    plans = await _ask_planner(llm, tasks_summary(tasks, hierarchical), state)
    by_number: dict[int, str] = {}
    for step in plans.list_of_plans_per_task:
        if step.task_number in by_number:
            log.warning("Duplicate plan for Task Number %d, using the first plan", step.task_number)
        else:
            by_number[step.task_number] = step.plan
    planned: list[PreparedTask] = []
    for task in tasks:
        plan = by_number.get(task.index + 1)
        if plan is None:
            log.warning("No plan found for Task Number %d", task.index + 1)
            planned.append(task)
            continue
        planned.append(dataclasses.replace(task, description=task.description + plan))
        state.send(ev.PlanCreated(
            run_id=state.run_id, task_index=task.index, task_name=task.name,
            agent_role=task.agent.role, source="crew_planning", plan=plan,
        ))
    return planned


def tasks_summary(tasks: Sequence[PreparedTask], hierarchical: bool) -> str:
    """CrewAI's summary of the tasks, which the planner plans from."""
    parts = []
    for task in tasks:
        agent = _own_agent(task, hierarchical)
        tools = f"[{', '.join(t.name for t in agent.tools)}]" if agent and agent.tools else (
            '"agent has no tools"'
        )
        task_tools = getattr(task.source, "tools", None)
        task_tools_text = f"[{', '.join(t.name for t in task_tools)}]" if task_tools else (
            "[]" if task_tools is not None else "None"
        )
        parts.append(
            f"""
                Task Number {task.index + 1} - {task.description}
                "task_description": {task.description}
                "task_expected_output": {task.expected_output}
                "agent": {agent.role if agent else "None"}
                "agent_goal": {agent.goal if agent else "None"}
                "task_tools": {task_tools_text}
                "agent_tools": {tools}"""
        )
    return " ".join(parts)


def _own_agent(task: PreparedTask, hierarchical: bool) -> PreparedAgent | None:
    """The task's own agent (in a hierarchical crew the manager does the task instead)."""
    if not hierarchical:
        return task.agent
    if task.source.agent is None or not task.coworkers:
        return None
    return task.coworkers[0]


def planner_messages(summary: str) -> list[Message]:
    """The planner's two messages, with CrewAI's planner agent and task texts."""
    description = (
        f"Based on these tasks summary: {summary} \n Create the most descriptive plan based on "
        "the tasks descriptions, tools available, and agents' goals for them to execute their "
        "goals with perfection."
    )
    system = f"You are {PLANNER_ROLE}. {PLANNER_BACKSTORY}\nYour personal goal is: {PLANNER_GOAL}"
    user = (
        f"Current Task: {description}\n\n"
        f"This is the expected criteria for your final answer: {PLANNER_EXPECTED_OUTPUT}\n"
        "You MUST return the actual complete content as the final answer, not a summary.\n"
        f"{format_instructions(PlannerTaskPydanticOutput)}"
        "\n\nBegin! This is VERY important to you, give your best Final Answer."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def response_format() -> dict[str, object]:
    """The `json_schema` response format of the plan model."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": PlannerTaskPydanticOutput.__name__,
            "schema": PlannerTaskPydanticOutput.model_json_schema(),
        },
    }


async def _ask_planner(llm: LLM, summary: str, state: RunState) -> PlannerTaskPydanticOutput:
    structured = with_options(llm, response_format=response_format())
    messages = planner_messages(summary)
    error = ""
    for _ in range(1 + FORMAT_RETRIES):
        answer = (await call_aside(structured, messages, state)).text
        converted = convert(answer, "pydantic", PlannerTaskPydanticOutput)
        if isinstance(converted.pydantic, PlannerTaskPydanticOutput):
            return converted.pydantic
        error = converted.error or "the answer does not fit the plan model"
        messages = [
            *messages,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": (
                f"Your answer does not fit the required format: {error}. "
                f"{format_instructions(PlannerTaskPydanticOutput)}"
            )},
        ]
    raise PlanningError(
        f"Crew planning failed: the planner ({llm.model}) gave no usable plan after "
        f"{1 + FORMAT_RETRIES} answers ({error}). Set planning_llm to a model that follows "
        "JSON schemas, or planning=False."
    )
