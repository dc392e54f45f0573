"""`TerminalFeedback`: ``crewdesk run`` answers the feedback questions of tasks on the terminal.

A task with ``human_input`` asks for feedback after its answer. The run's engine side calls
the crew's ``human_input_handler``, which only waits; the terminal side asks when the run's
stream reaches the question (its `HumanInputRequested` event), so every chunk before it is
on the screen first. The question goes to stderr (``--output -`` keeps stdout clean JSON) and
the answer is one line of stdin, read in a daemon thread; an empty line or the end of stdin
approves. The two sides meet in a thread-safe future per question, since the handler runs on
a worker thread's loop in ``--mode kickoff-async``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from desktop_app.engine import HumanInputRequest
    from desktop_app.engine.events import HumanInputRequested

__all__ = ["TerminalFeedback", "feedback_prompt"]

_Key = tuple[int, int, int]


class _Printer(Protocol):
    quiet: bool

    def prefix(self, index: int) -> str: ...

    def flush(self, index: int) -> None: ...


def feedback_prompt(printer: _Printer, index: int, event: HumanInputRequested) -> str:
    """The question of a task of crew ``index``, as the terminal shows it."""
    prefix = printer.prefix(index)
    name = f" {event.task_name}" if event.task_name else ""
    again = f", round {event.round}" if event.round > 1 else ""
    shown = f"{prefix}{event.output}\n" if printer.quiet else ""
    return (
        f"{shown}{prefix}?? task {event.task_index + 1}{name} ({event.agent_role}{again}) "
        "asks for feedback: type what to change, or press Enter to approve: "
    )


class TerminalFeedback:
    """The questions of the crews of one ``crewdesk run``, and their answers."""

    def __init__(self, printer: _Printer) -> None:
        """Creates the mailbox.

        Args:
            printer: Shows the crews' streams (its prefixes are the crews' prefixes).
        """
        self._printer = printer
        self._answers: dict[_Key, concurrent.futures.Future[str]] = {}
        self._lock = threading.Lock()

    def handler_for(self, index: int) -> Callable[[HumanInputRequest], Awaitable[str]]:
        """The ``human_input_handler`` of crew ``index``: waits for the terminal's answer."""

        async def wait(request: HumanInputRequest) -> str:
            key = (index, request.task_index, request.round)
            try:
                return await asyncio.wrap_future(self._slot(key))
            finally:
                with self._lock:
                    self._answers.pop(key, None)

        return wait

    async def ask(self, index: int, event: HumanInputRequested) -> None:
        """Asks the question of ``event`` (crew ``index``) and hands the answer over."""
        from desktop_app.engine import read_stdin_line

        self._printer.flush(index)
        prompt = feedback_prompt(self._printer, index, event)
        answer = await read_stdin_line(prompt, sys.stderr)
        if not sys.stdin.isatty():  # nobody typed it: show it, and end the prompt's line
            sys.stderr.write(answer if answer.endswith("\n") else answer + "\n")
        slot = self._slot((index, event.task_index, event.round))
        if not slot.done():  # the run may have stopped waiting
            slot.set_result(answer)

    def _slot(self, key: _Key) -> concurrent.futures.Future[str]:
        with self._lock:
            return self._answers.setdefault(key, concurrent.futures.Future())
