"""`HumanInputBroker`: the person's answers to the questions of running crews.

A task with `human_input` asks for feedback through the crew's `human_input_handler`. The
broker makes one handler per run: it shows the question in that run's `RunState` (its panel
shows a prompt) and waits on an `asyncio.Future` that the broker owns, until `answer()` gives
the person's text. Other runs keep streaming meanwhile. Several questions of one run (its
async tasks) wait in order, one shown at a time.

The handler may be called on the GUI loop (`akickoff`) or on a run's private loop in a worker
thread (`kickoff_async`); then the question is handed to the GUI loop, and the worker waits
for the answer from there. `cancel(run_id)` (a stopped or finished run) cancels every wait of
that run, which cancels the run's engine side too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.ui.controllers.run_state import InputPrompt, RunState

if TYPE_CHECKING:
    from desktop_app.engine import HumanInputRequest

__all__ = ["HumanInputBroker"]

Handler = Callable[["HumanInputRequest"], Awaitable[str]]


@dataclass(slots=True)
class _Question:
    prompt: InputPrompt
    answer: asyncio.Future[str]


class HumanInputBroker:
    """Owns the questions that runs wait on, one queue per run."""

    def __init__(self) -> None:
        """Creates a broker with no questions."""
        self._waiting: dict[str, list[_Question]] = {}

    def handler_for(self, state: RunState) -> Handler:
        """The `human_input_handler` of one run (make it on the GUI loop)."""
        gui_loop = asyncio.get_running_loop()

        async def handler(request: HumanInputRequest) -> str:
            prompt = InputPrompt(
                request.task_index, request.agent_role, request.output, request.round
            )
            if asyncio.get_running_loop() is gui_loop:
                return await self._ask(state, prompt)
            handed = asyncio.run_coroutine_threadsafe(self._ask(state, prompt), gui_loop)
            return await asyncio.wrap_future(handed)

        return handler

    def waiting(self, run_id: str) -> bool:
        """Whether the run waits for an answer."""
        return bool(self._waiting.get(run_id))

    def answer(self, run_id: str, text: str) -> bool:
        """Answers the run's current question ("" approves); returns whether one waited."""
        queue = self._waiting.get(run_id)
        if not queue or queue[0].answer.done():
            return False
        queue[0].answer.set_result(text)
        return True

    def cancel(self, run_id: str) -> None:
        """Cancels every wait of the run."""
        for question in list(self._waiting.get(run_id, ())):
            question.answer.cancel()

    def cancel_all(self) -> None:
        """Cancels every wait of every run."""
        for run_id in list(self._waiting):
            self.cancel(run_id)

    async def _ask(self, state: RunState, prompt: InputPrompt) -> str:
        question = _Question(prompt, asyncio.get_running_loop().create_future())
        queue = self._waiting.setdefault(state.run_id, [])
        queue.append(question)
        if len(queue) == 1:
            state.ask_input(prompt)
        try:
            return await question.answer
        finally:
            self._forget(state, question)

    def _forget(self, state: RunState, question: _Question) -> None:
        queue = self._waiting.get(state.run_id, [])
        was_shown = bool(queue) and queue[0] is question
        if question in queue:
            queue.remove(question)
        if not queue:
            self._waiting.pop(state.run_id, None)
            state.close_input()
        elif was_shown:
            state.ask_input(queue[0].prompt)
