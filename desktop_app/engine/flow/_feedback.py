"""`@human_feedback`: a person reviews a step's output before the flow goes on (CrewAI 1.15's).

After the step returns, its output and the decorator's `message` are shown and the person's
answer is read: from the flow's `human_feedback_handler` (a function of a
`HumanFeedbackRequest`, sync or async; the app's panel or a test), else one line of stdin (the
question on stderr). Without `emit` the step's result becomes a `HumanFeedbackResult` (its
listeners get it). With `emit=[...]` the step routes like a `@router`: the answer is collapsed
to one of the outcomes (an empty answer: `default_outcome`, else the first; an answer that is
an outcome's name: that one; otherwise the `llm` is asked, with CrewAI's prompt), and the
outcome's listeners get the `HumanFeedbackResult`. `flow.last_human_feedback` and
`flow.human_feedback_history` keep the answers.

CrewAI's async providers (`provider=`, pausing the flow) and `learn=True` are not supported:
asking for them is an error naming them.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from desktop_app.engine.flow._dsl import _marked

__all__ = ["HumanFeedbackRequest", "HumanFeedbackResult", "ask_feedback", "human_feedback"]

F = TypeVar("F", bound=Callable[..., Any])

COLLAPSE_PROMPT = (
    "Based on the following human feedback, determine which outcome best matches their "
    "intent.\n\nFeedback: {feedback}\n\nPossible outcomes: {outcomes}\n\nRespond with ONLY one "
    "of the exact outcome values listed above, nothing else."
)
"""CrewAI 1.15's `human_feedback_collapse` text."""


@dataclass
class HumanFeedbackResult:
    """A person's answer to a step's `@human_feedback` (CrewAI's fields)."""

    output: Any
    feedback: str
    outcome: str | None = None
    timestamp: datetime = field(default_factory=datetime.now)
    method_name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HumanFeedbackRequest:
    """What a feedback handler is asked: `message` about `output` of step `method`."""

    flow_name: str
    method: str
    message: str
    output: Any
    emit: tuple[str, ...] = ()


HumanFeedbackHandler = Callable[[HumanFeedbackRequest], "str | Awaitable[str]"]


def human_feedback(message: str, emit: Sequence[str] | None = None, llm: Any = None,
                   default_outcome: str | None = None, metadata: dict[str, Any] | None = None,
                   provider: Any = None, learn: bool = False, learn_source: str = "hitl",
                   learn_strict: bool = False) -> Callable[[F], F]:
    """Asks a person about the step's output after it runs (see the module's docstring).

    Raises:
        ValueError: `default_outcome` is not one of `emit` (or is given without it).
        NotImplementedError: `provider=` or `learn=True`, which CrewDesk does not run.
    """
    if provider is not None or learn:
        what = "provider= (async feedback providers)" if provider is not None else "learn=True"
        raise NotImplementedError(f"@human_feedback({what}) is not supported by CrewDesk: "
                                  "the question is answered while the flow waits")
    outcomes = tuple(emit or ())
    if default_outcome is not None and default_outcome not in outcomes:
        raise ValueError(f"default_outcome '{default_outcome}' must be one of the emit options: "
                         f"{list(outcomes)}" if outcomes else
                         "default_outcome requires emit to be specified.")
    config = {"message": message, "emit": outcomes, "llm": llm,
              "default_outcome": default_outcome, "metadata": dict(metadata or {})}

    def decorator(function: F) -> F:
        changes: dict[str, Any] = {"human_feedback": config}
        if outcomes:
            changes.update(router=True, emits=outcomes)
        return _marked(function, **changes)

    return decorator


async def ask_feedback(flow: Any, flow_name: str, method: str, config: dict[str, Any],
                       output: Any) -> HumanFeedbackResult:
    """Asks about `output` of step `method` and returns the answer, its outcome collapsed.

    Raises:
        ValueError: The answer must be classified and no model is known to do it.
    """
    emit: tuple[str, ...] = config["emit"]
    request = HumanFeedbackRequest(flow_name, method, config["message"], output, emit)
    handler: HumanFeedbackHandler | None = getattr(flow, "human_feedback_handler", None)
    if handler is not None:
        answer = handler(request)
        text = str(await answer if inspect.isawaitable(answer) else answer)
    else:
        text = await _read_terminal(request)
    outcome = await _collapse(text, emit, config["default_outcome"], config["llm"])
    result = HumanFeedbackResult(output=output, feedback=text, outcome=outcome,
                                 method_name=method, metadata=config["metadata"])
    flow.human_feedback_history.append(result)
    flow.last_human_feedback = result
    return result


async def _read_terminal(request: HumanFeedbackRequest) -> str:
    from desktop_app.engine._human_input import read_line

    shown = str(getattr(request.output, "raw", request.output))
    choices = f" ({' / '.join(request.emit)})" if request.emit else ""
    prompt = (f"\n--- feedback for step {request.method} of {request.flow_name} ---\n{shown}\n"
              f"{request.message}{choices}\n> ")
    return (await read_line(prompt, sys.stderr)).strip()


async def _collapse(text: str, emit: tuple[str, ...], default: str | None, llm: Any
                    ) -> str | None:
    if not emit:
        return None
    if not text.strip():
        return default or emit[0]
    by_name = {outcome.lower(): outcome for outcome in emit}
    if text.strip().lower() in by_name:
        return by_name[text.strip().lower()]
    from desktop_app.engine.llm import LLM

    model = llm or os.environ.get("MODEL") or os.environ.get("MODEL_NAME") or os.environ.get(
        "OPENAI_MODEL_NAME")
    if model is None:
        raise ValueError("@human_feedback(emit=...) needs llm= (or MODEL set) to classify the "
                         f"answer {text!r} into one of {list(emit)}")
    chosen = copy.copy(model if isinstance(model, LLM) else LLM(model=str(model)))
    schema = {"type": "object", "required": ["outcome"],
              "properties": {"outcome": {"type": "string", "enum": list(emit)}}}
    chosen.extra = {**chosen.extra, "response_format": {  # CrewAI asks for a Literal the same way
        "type": "json_schema", "json_schema": {"name": "FeedbackOutcome", "schema": schema}}}
    prompt = COLLAPSE_PROMPT.format(feedback=text, outcomes=", ".join(emit))
    reply = (await chosen.acall([{"role": "user", "content": prompt}])).text.strip()
    with contextlib.suppress(ValueError, AttributeError):
        picked = json.loads(reply).get("outcome")
        if picked in emit:
            return str(picked)
    for outcome in sorted(emit, key=len, reverse=True):  # a model that answered in words
        if outcome.lower() in reply.lower():
            return outcome
    raise ValueError(f"Could not classify human feedback {text!r} into one of {list(emit)} "
                     f"(the model answered {reply[:200]!r})")
