"""From an agent's answer to a `TaskOutput`: guardrail checks and structured output, with retries.

A guardrail (CrewAI's `Task.guardrail`) is a function of the `TaskOutput` that returns
`(True, value)` to accept (the value may replace the answer) or `(False, error)` to send the
agent back to work with the error, at most `guardrail_max_retries` times. A guardrail given
as text is a requirement that the agent's model checks the answer against (it must reply
with a JSON verdict; no verdict counts as a refusal). A structured
answer that does not fit `output_pydantic`/`output_json` is asked for again once, with the
validation error; after that the task fails with a message that names the model and the error.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._structured import convert, extract_json_object, format_instructions
from desktop_app.engine._trace import Span
from desktop_app.engine.outputs import OutputFormat, TaskOutput

if TYPE_CHECKING:
    from desktop_app.engine._agent_loop import AgentLoop
    from desktop_app.engine._run_state import PreparedTask

FORMAT_RETRIES = 1
"""How many times a structured answer that does not fit its model is asked for again."""


async def call_user(function: Callable[..., Any], *args: Any) -> Any:
    """Calls a user's callback, guardrail or hook; awaits it when it is async."""
    result = function(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def make_output(task: PreparedTask, raw: str) -> tuple[TaskOutput, str | None]:
    """The task's output for `raw`, and why it does not fit the output model (or None)."""
    converted = convert(raw, task.output_format, task.output_model)
    output = TaskOutput(
        description=task.description,
        name=task.name or task.description,  # as CrewAI
        expected_output=task.expected_output,
        summary=" ".join(task.description.split()[:10]) + "...",
        raw=raw,
        agent=task.agent.role,
        output_format=OutputFormat(task.output_format),
        json_dict=converted.json_dict,
        pydantic=converted.pydantic,
    )
    return output, converted.error


async def finish_output(task: PreparedTask, loop: AgentLoop, raw: str) -> TaskOutput:
    """Checks the answer with the guardrail and the output model, asking again as needed.

    Raises:
        ValueError: The guardrail still refuses after its retries, or the answer still does
            not fit the output model after `FORMAT_RETRIES`.
    """
    guardrail_failures = format_failures = 0
    while True:
        output, error = make_output(task, raw)
        passed, value, output, error = await _check_all(task, loop, output, error)
        if not passed:
            guardrail_failures += 1
            if guardrail_failures > task.guardrail_max_retries:
                raise ValueError(
                    f"Task failed guardrail validation after {task.guardrail_max_retries} "
                    f"retries. Last error: {value}"
                )
            raw = await loop.revise(_guardrail_feedback(value), use_tools=True)
            continue
        if error is None:
            return output
        format_failures += 1
        if format_failures > FORMAT_RETRIES:
            raise ValueError(_format_failure(task, error, format_failures))
        raw = await loop.revise(_format_feedback(task, error), use_tools=False)


async def _check_all(
    task: PreparedTask, loop: AgentLoop, output: TaskOutput, error: str | None
) -> tuple[bool, Any, TaskOutput, str | None]:
    """Runs the task's guardrails in order (CrewAI: `guardrails`, then `guardrail`), each on
    the output the one before accepted; stops at the first refusal."""
    for guardrail in task.all_guardrails:
        with Span(loop.run_state, "guardrail", _guardrail_name(guardrail), loop.meta) as span:
            passed, value = await _check(guardrail, loop, output)
            if span.active:
                span.status = "ok" if passed else "refused"
                span.detail = {"passed": passed, "feedback": "" if passed else mask(str(value))}
        if not passed:
            return False, value, output, error
        output, error = _accepted(task, output, value)
    return True, None, output, error


def _guardrail_name(guardrail: Callable[[TaskOutput], Any] | str) -> str:
    """A guardrail's name in a trace: its function's name, or its requirement's start."""
    if isinstance(guardrail, str):
        return guardrail if len(guardrail) <= 60 else guardrail[:59] + "…"
    return getattr(guardrail, "__name__", type(guardrail).__name__)


async def _check(
    guardrail: Callable[[TaskOutput], Any] | str, loop: AgentLoop, output: TaskOutput
) -> tuple[bool, Any]:
    if isinstance(guardrail, str):
        return await _check_with_model(guardrail, loop, output)
    return _guardrail_result(await call_user(guardrail, output))


async def _check_with_model(
    requirement: str, loop: AgentLoop, output: TaskOutput
) -> tuple[bool, Any]:
    """Asks the agent's model whether the answer meets `requirement`."""
    reply = await loop.ask_aside([
        {"role": "system", "content": (
            "You check whether an answer meets a requirement. Reply with only a JSON object: "
            '{"valid": true or false, "feedback": "what is wrong, if anything"}'
        )},
        {"role": "user", "content": f"Requirement: {requirement}\n\nAnswer:\n{output.raw}"},
    ])
    verdict = extract_json_object(reply) or {}
    valid = verdict.get("valid")
    if not isinstance(valid, bool):
        return False, f"the check of the requirement gave no verdict: {reply.strip()[:200]}"
    return (True, None) if valid else (False, str(verdict.get("feedback") or requirement))


def _guardrail_result(result: Any) -> tuple[bool, Any]:
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool)):
        raise TypeError("a guardrail must return a tuple (bool, value)")
    return result[0], result[1]


def _accepted(task: PreparedTask, output: TaskOutput, value: Any) -> tuple[TaskOutput, str | None]:
    """The output after a guardrail accepted it with `value` (which may replace it)."""
    if isinstance(value, TaskOutput):
        return value, None
    if isinstance(value, BaseModel):
        kind = task.output_format
        return output.model_copy(update={
            "raw": value.model_dump_json(),
            "json_dict": value.model_dump(mode="json"),
            "pydantic": value if kind == "pydantic" else None,
        }), None
    if isinstance(value, dict):
        return make_output(task, json.dumps(value))
    if value is None or (isinstance(value, str) and value == output.raw):
        return make_output(task, output.raw)
    return make_output(task, str(value))


def _guardrail_feedback(error: Any) -> str:
    return (
        f"Your previous answer did not pass the task's check: {error}\n\n"
        "Try again and fix that; give your complete final answer."
    )


def _format_feedback(task: PreparedTask, error: str) -> str:
    model = task.output_model
    instructions = format_instructions(model) if model is not None else ""
    return f"Your previous answer does not fit the required format: {error}\n{instructions}"


def _format_failure(task: PreparedTask, error: str, attempts: int) -> str:
    model = task.output_model
    name = model.__name__ if model is not None else "?"
    field = "output_pydantic" if task.output_format == "pydantic" else "output_json"
    return f"the answer did not fit {field} {name} after {attempts} attempts: {error}"

