"""`Task(human_input=True)`: a person reviews the task's answer; the agent revises on feedback.

As in CrewAI, after the agent's final answer the person is asked for feedback: an empty
answer approves the output; anything else goes back to the agent (who may use its tools
again) and the new answer is checked (guardrail, output model) and shown again, until the
person approves it.

CrewAI reads the feedback from stdin. Here a `Crew(human_input_handler=...)` answers instead
(the GUI's run controller, the CLI): it gets a `HumanInputRequest` and returns the feedback,
sync or async. An async handler is awaited on the run's loop; a sync one runs in a worker
thread on the `akickoff` path (it may block, as `input()` does) and is called directly on
the blocking paths (`kickoff`, `kickoff_async`), whose loop serves that run alone. Without a
handler the feedback is read from stdin in a daemon thread, so the loop never blocks and a
run cancelled meanwhile never keeps the process from exiting. Each question and answer is
also an event of the run (`HumanInputRequested`, `HumanInputReceived`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias

from pydantic import BaseModel, ConfigDict

from desktop_app.engine import events as ev
from desktop_app.engine._guardrails import finish_output
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._trace import Span

if TYPE_CHECKING:
    from desktop_app.engine._agent_loop import AgentLoop
    from desktop_app.engine._run_state import PreparedTask, RunState, TaskMeta
    from desktop_app.engine.outputs import TaskOutput


class HumanInputRequest(BaseModel):
    """What a human input handler is asked to review.

    Attributes:
        run_id: The run, as on its events.
        task_index: The task's position in the crew (from 0).
        task_name: The task's name, or None.
        agent_role: The role of the agent that answered.
        description: The task's description, placeholders filled.
        output: The answer to review (the task's raw output so far).
        round: 1 for the first question about this task, 2 after one revision, and so on.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    run_id: str
    task_index: int
    task_name: str | None
    agent_role: str
    description: str
    output: str
    round: int


HumanInputHandler: TypeAlias = Callable[[HumanInputRequest], "str | None | Awaitable[str | None]"]
"""Returns the person's feedback for a request; empty (or None) approves the output."""

FEEDBACK_GUIDE = (
    "\n=====\n## HUMAN FEEDBACK: Provide feedback on the Final Result and the Agent's actions.\n"
    " - If you are happy with the result, press Enter without typing anything.\n"
    " - Otherwise, say what to improve; you can give feedback several times.\n=====\n"
)


def feedback_message(feedback: str) -> str:
    """What the agent is told when the person asks for changes (CrewAI's words)."""
    return (
        f"User feedback: {feedback}\n"
        "Instructions: Use this feedback to enhance the next output iteration.\n"
        "Note: Do not respond or add commentary."
    )


def prompt_text(request: HumanInputRequest) -> str:
    """The question as a terminal shows it: the answer, then how to reply."""
    label = f"'{request.task_name}'" if request.task_name else str(request.task_index + 1)
    return (
        f"\n## Final Result of task {label} ({request.agent_role}):\n{request.output}\n"
        f"{FEEDBACK_GUIDE}Feedback: "
    )


async def review_with_human(
    task: PreparedTask, loop: AgentLoop, output: TaskOutput, state: RunState, meta: TaskMeta
) -> TaskOutput:
    """Asks for feedback until the person approves; returns the approved output."""
    round_ = 1
    while True:
        request = HumanInputRequest(
            description=task.description, output=output.raw, round=round_, **meta
        )
        state.send(
            ev.HumanInputRequested(
                description=task.description, output=output.raw, round=round_, **meta
            )
        )
        with Span(state, "human_input", f"Feedback round {round_}", meta) as span:
            feedback = await ask_human(
                state.human_input_handler, request, blocking=state.blocking
            )
            if span.active:
                span.detail = {"round": round_, "feedback": mask(feedback)}
        state.send(ev.HumanInputReceived(feedback=feedback, round=round_, **meta))
        if not feedback:
            return output
        raw = await loop.revise(feedback_message(feedback), use_tools=True)
        output = await finish_output(task, loop, raw)
        round_ += 1


async def ask_human(
    handler: HumanInputHandler | None, request: HumanInputRequest, *, blocking: bool
) -> str:
    """The feedback for `request`, stripped: from the handler, else from stdin.

    Raises:
        TypeError: The handler returned something other than a string or None.
    """
    if handler is None:
        answer: Any = await read_line(prompt_text(request))
    elif inspect.iscoroutinefunction(handler) or blocking:
        answer = handler(request)
    else:
        answer = await asyncio.to_thread(handler, request)
    if inspect.isawaitable(answer):
        answer = await answer
    if answer is None:
        return ""
    if not isinstance(answer, str):
        raise TypeError(
            f"the human_input_handler must return the feedback as a str, not {type(answer).__name__}"
        )
    return answer.strip()


_STDIN_LOCK = threading.Lock()
"""One question on the terminal at a time, when several runs ask at once."""


async def read_line(prompt: str, out: TextIO | None = None) -> str:
    """Prints `prompt` (to `out`, default stdout) and reads one line from stdin in a daemon
    thread, one question at a time across runs; the end of stdin reads as "".

    A cancelled wait leaves the thread blocked on stdin; as a daemon it never holds up the
    process's exit (`asyncio.to_thread` would: the loop's executor waits for its jobs).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():  # the run stopped waiting
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def target() -> None:
        line: str | None = None
        error: BaseException | None = None
        try:
            with _STDIN_LOCK:
                stream = out or sys.stdout
                stream.write(prompt)
                stream.flush()
                line = sys.stdin.readline()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting run
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed while the person typed
            loop.call_soon_threadsafe(settle, line, error)

    threading.Thread(target=target, name="crewdesk-human-input", daemon=True).start()
    return await future
