"""`Agent(reasoning=True, max_reasoning_attempts=N)`: the agent plans before each task.

As CrewAI's `AgentReasoning`: the agent's model gets CrewAI's planning texts (a strategic
planning system prompt, then the task, its expected output, the agent's tools and a limit of
20 steps) and CrewAI's `create_reasoning_plan` function to answer with a plan, its steps and
whether it is ready. While it says it is not ready, it is asked to refine its plan (CrewAI's
refine text), up to `max_reasoning_attempts` plans in all. A model that answers in text
instead of calling the function is read as CrewAI reads it: the text is the plan, and it is
ready when it says so ("READY", not "NOT READY").

The plan is then added to the task's description for this run ("\\n\\nPlanning:\\n<plan>",
CrewAI's `handle_reasoning`), so it is part of the task's prompt, and a `PlanCreated` event
shows it. CrewDesk runs the task in its usual loop; CrewAI 1.15's step-by-step executor of a
plan's steps (`planning_config` observation, replanning) is not reproduced: the steps are
listed in the plan text instead.

Differences, on purpose: with `max_reasoning_attempts=None` CrewAI refines until the agent
is ready, possibly forever; CrewDesk stops after `UNBOUNDED_ATTEMPTS_CAP` plans and goes on
with the last one, as CrewAI does when attempts run out. A failed planning call is logged and
the task runs without a plan, as in CrewAI.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from desktop_app.engine import events as ev
from desktop_app.engine._behaviours import call_aside
from desktop_app.engine.errors import CrewError
from desktop_app.engine.llm import LLMResult, Message

if TYPE_CHECKING:
    from desktop_app.engine._run_state import PreparedTask, RunState, TaskMeta

log = logging.getLogger("desktop_app.engine")

MAX_STEPS = 20
"""CrewAI's `PlanningConfig.max_steps` default, named in the planning prompt."""
UNBOUNDED_ATTEMPTS_CAP = 10
"""Most plans made when `max_reasoning_attempts` is None (CrewAI: no limit)."""

SYSTEM_PROMPT = (
    "You are a strategic planning assistant. Create concrete, executable plans where every "
    "step produces a verifiable result."
)
CREATE_PLAN_PROMPT = (
    "Create an execution plan for the following task:\n\n## Task\n{description}\n\n"
    "## Expected Output\n{expected_output}\n\n## Available Tools\n{tools}\n\n"
    "## Planning Principles\nFocus on CONCRETE, EXECUTABLE steps. Each step must clearly state "
    "WHAT ACTION to take and HOW to verify it succeeded. The number of steps should match the "
    "task complexity. Hard limit: {max_steps} steps.\n\n## Rules:\n- Each step must have a "
    "clear DONE criterion\n- Do NOT group unrelated actions: if steps can fail independently, "
    "keep them separate\n- NO standalone \"thinking\" or \"planning\" steps \u2014 act, don't "
    "just observe\n- The last step must produce the required output\n\nAfter your plan, state "
    "READY or NOT READY."
)
REFINE_PLAN_PROMPT = (
    "Your previous plan:\n{current_plan}\n\nYou indicated you weren't ready. Refine your plan "
    "to address the specific gap.\n\nKeep the plan minimal - only add steps that directly "
    "address the issue.\n\nConclude with READY or NOT READY as before."
)
_STEP_PROPERTIES: dict[str, Any] = {
    "step_number": {"type": "integer", "description": "Step number (1-based)"},
    "description": {"type": "string", "description": "What to do in this step"},
    "tool_to_use": {
        "type": ["string", "null"],
        "description": "Tool to use for this step, or null if no tool needed",
    },
    "depends_on": {
        "type": "array",
        "items": {"type": "integer"},
        "description": "Step numbers this step depends on (empty array if none)",
    },
}
FUNCTION_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "create_reasoning_plan",
        "description": "Create or refine a reasoning plan for a task with structured steps",
        "parameters": {
            "type": "object",
            "properties": {
                "plan": {"type": "string", "description": "A brief summary of the overall plan."},
                "steps": {
                    "type": "array",
                    "description": "List of discrete steps to execute the plan",
                    "items": {
                        "type": "object",
                        "properties": _STEP_PROPERTIES,
                        "required": list(_STEP_PROPERTIES),
                        "additionalProperties": False,
                    },
                },
                "ready": {
                    "type": "boolean",
                    "description": "Whether the agent is ready to execute the task.",
                },
            },
            "required": ["plan", "steps", "ready"],
            "additionalProperties": False,
        },
    },
}
_NOT_READY = re.compile(r"\bNOT\s+READY\b", re.IGNORECASE)
_READY = re.compile(r"\bREADY\b")


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """One plan of the agent: its text (summary and steps) and whether it is ready."""

    text: str
    ready: bool


async def with_reasoning(task: PreparedTask, state: RunState, meta: TaskMeta) -> PreparedTask:
    """The task with the agent's plan added to its description, when the agent reasons."""
    behaviour = task.agent.behaviour
    if not behaviour.reasoning:
        return task
    limit = behaviour.max_reasoning_attempts or UNBOUNDED_ATTEMPTS_CAP
    try:
        plan, attempts = await _reason(task, state, meta, max(1, limit))
    except CrewError as exc:
        log.error("Error during planning (agent '%s'): %s", task.agent.role, exc)
        return task
    state.send(ev.PlanCreated(
        source="agent_reasoning", plan=plan.text, ready=plan.ready, attempts=attempts, **meta
    ))
    return dataclasses.replace(task, description=f"{task.description}\n\nPlanning:\n{plan.text}")


async def _reason(
    task: PreparedTask, state: RunState, meta: TaskMeta, limit: int
) -> tuple[Plan, int]:
    tools = ", ".join(tool.function_name() for tool in task.agent.tools) or "No tools available"
    prompt = CREATE_PLAN_PROMPT.format(
        description=task.description,
        expected_output=task.expected_output,
        tools=tools,
        max_steps=MAX_STEPS,
    )
    plan = await _ask(task, state, meta, prompt)
    attempts = 1
    while not plan.ready and attempts < limit:
        attempts += 1
        plan = await _ask(task, state, meta, REFINE_PLAN_PROMPT.format(current_plan=plan.text))
    if not plan.ready:
        log.warning(
            "Agent planning reached maximum attempts (%d) without being ready. "
            "Proceeding with current plan.", attempts,
        )
    return plan, attempts


async def _ask(task: PreparedTask, state: RunState, meta: TaskMeta, prompt: str) -> Plan:
    messages: list[Message] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": prompt},
    ]
    agent = task.agent
    result = await call_aside(
        agent.llm, messages, state, meta=meta, tools=[FUNCTION_SCHEMA],
        limiter=agent.behaviour.limiter,
    )
    return read_plan(result)


def read_plan(result: LLMResult) -> Plan:
    """The plan in an answer: the `create_reasoning_plan` call's arguments, else the text."""
    for call in result.tool_calls:
        if call.name != "create_reasoning_plan":
            continue
        try:
            arguments = json.loads(call.arguments)
        except ValueError:
            continue
        if isinstance(arguments, dict) and "plan" in arguments:
            return Plan(_plan_text(arguments), bool(arguments.get("ready", True)))
    text = result.text.strip()
    if not text:
        return Plan("No plan was generated.", False)
    return Plan(text, bool(_READY.search(text)) and not _NOT_READY.search(text))


def _plan_text(arguments: dict[str, Any]) -> str:
    """The plan's summary, then its steps one per line."""
    lines = [str(arguments.get("plan", "")).strip()]
    steps = arguments.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else [], start=1):
        if not isinstance(step, dict):
            continue
        line = f"{step.get('step_number', index)}. {step.get('description', '')}".rstrip()
        if step.get("tool_to_use"):
            line += f" (tool: {step['tool_to_use']})"
        lines.append(line)
    return "\n".join(line for line in lines if line)
