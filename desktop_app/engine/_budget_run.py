"""A run's budgets while it runs: each LLM call metered as it streams (see `engine.budget`).

`open_run_budget` attaches the run to its crew's meters; `charged_call` wraps one LLM call of
an agent: it checks the budgets before the call, meters every streamed chunk (and stops the
run at the chunk that uses a budget up, by raising `BudgetStop` out of the stream, which
closes the call), and corrects its estimates by the usage the provider reports. `deadline`
stops an async run at its time limit even while no chunk arrives (a long tool call); the
blocking path checks the time at every chunk and call. `execute` turns a `BudgetStop` into a
`RunCancelled(reason="budget")` and a `BudgetExceededError` holding the partial output.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from desktop_app.engine import _price_table
from desktop_app.engine import events as ev
from desktop_app.engine.budget import (
    WARN_AT,
    BudgetExceededError,
    BudgetMeter,
    BudgetPlan,
    Measure,
    stop_message,
    warning_message,
)
from desktop_app.engine.outputs import CrewOutput, TaskOutput

if TYPE_CHECKING:
    from desktop_app.engine._run_state import RunState
    from desktop_app.engine.llm import LLM, LLMResult, Message

TextSink = Callable[[str], None]

CHARS_PER_TOKEN = 4.0
"""The first guess of a text's tokens (about 4 characters a token in English, OpenAI's rule
of thumb); each finished call corrects it by what the provider counted."""


class BudgetStop(BaseException):
    """A budget was used up: raised from a chunk sink or before a call, through the LLM
    client's and the task's error handling (which catch `Exception`), to `execute`.

    A `BaseException`, as `asyncio.CancelledError`, so that no retry, guardrail or task
    wrapper mistakes it for a failure of the call.
    """

    def __init__(self, meter: BudgetMeter, measure: Measure, spent: float, limit: float,
                 task_index: int | None, *, ahead: bool = False) -> None:
        super().__init__(stop_message(meter.scope, measure, spent, limit, ahead=ahead))
        self.ahead = ahead
        self.meter = meter
        self.measure: Measure = measure
        self.spent = spent
        self.limit = limit
        self.task_index = task_index


class RunBudget:
    """One run's meters, its estimate corrections, and what it produced so far."""

    def __init__(self, meters: Sequence[BudgetMeter], state: RunState) -> None:
        self.meters = list(meters)
        self._state = state
        self._prompt_ratio = 1.0
        self._completion_ratio = 1.0
        self._ids = itertools.count()
        self._partial: dict[int, list[str]] = {}
        self.finished: dict[int, TaskOutput] = {}
        self._unpriced: set[str] = set()
        for meter in self.meters:
            meter.attach(self._totals)

    def _totals(self) -> tuple[int, float]:
        state = self._state
        return state.usage.total_tokens, state.cost_usd or 0.0

    def minutes_left(self) -> float | None:
        """Minutes until the nearest time limit, or None."""
        left = [m for m in (meter.minutes_left() for meter in self.meters) if m is not None]
        return min(left) if left else None

    def check(self, task_index: int | None) -> None:
        """Warns once per meter at 80%; stops the run at 100%.

        Raises:
            BudgetStop: A budget is used up.
        """
        for meter in self.meters:
            worst = meter.worst()
            if worst is None:
                continue
            measure, spent, limit, share = worst
            if share >= 1.0:
                raise BudgetStop(meter, measure, spent, limit, task_index)
            if share >= WARN_AT and meter.first_warning():
                self._warn(meter.scope, measure, spent, limit, task_index,
                           warning_message(meter.scope, measure, spent, limit))

    def _warn(self, scope: str, measure: Measure, spent: float, limit: float,
              task_index: int | None, message: str) -> None:
        self._state.send(ev.BudgetWarning(
            run_id=self._state.run_id, scope=scope, measure=measure, spent=spent, limit=limit,
            task_index=task_index, message=message,
        ))

    def price(self, model: str, task_index: int | None) -> tuple[float, float] | None:
        """USD per prompt and completion token of `model`; warns once per unpriced model
        when a budget counts dollars (its calls then count as free)."""
        provider, _, name = model.partition("/") if "/" in model else ("openai", "", model)
        price = _price_table.price_of(provider, name) if _price_table.loaded() else None
        dollars = [meter for meter in self.meters if meter.budget.dollars is not None]
        if price is None and dollars and model not in self._unpriced:
            self._unpriced.add(model)
            meter = dollars[0]
            self._warn(meter.scope, "dollars", 0.0, float(meter.budget.dollars or 0), task_index,
                       f"the model {model} has no known price: its calls do not count "
                       "toward the dollar budget")
        return price

    def open(self, model: str, messages: Sequence[Message], task_index: int | None,
             on_text: TextSink | None) -> _Charge:
        """Checks the budgets, then meters a call of `model` about to send `messages`."""
        self.check(task_index)
        guess = sum(_chars(message) for message in messages) / CHARS_PER_TOKEN
        charge = _Charge(self, next(self._ids), self.price(model, task_index), guess,
                         task_index, on_text)
        try:
            self.check(task_index)  # the prompt alone would use a budget up: not sent
        except BudgetStop as stop:
            charge.close()
            raise BudgetStop(stop.meter, stop.measure, stop.meter.spent().of(stop.measure),
                             stop.limit, task_index, ahead=True) from None
        return charge

    def corrected(self, prompt_guess: float, completion_guess: float) -> tuple[float, float]:
        """The guesses times what the provider counted for the guesses before."""
        return prompt_guess * self._prompt_ratio, completion_guess * self._completion_ratio

    def learn(self, result: LLMResult, prompt_guess: float, completion_guess: float) -> None:
        """Corrects later guesses by the usage the provider reported for this call."""
        usage = result.usage
        if usage.prompt_tokens and prompt_guess > 0:
            self._prompt_ratio = usage.prompt_tokens / prompt_guess
        if usage.completion_tokens and completion_guess > 0:
            self._completion_ratio = usage.completion_tokens / completion_guess

    def streamed(self, task_index: int | None, text: str) -> None:
        """Keeps streamed text for the partial output."""
        self._partial.setdefault(-1 if task_index is None else task_index, []).append(text)

    def exceeded(self, stop: BudgetStop) -> BudgetExceededError:
        """The error a stopped run raises, with its partial output."""
        outputs = [self.finished[index] for index in sorted(self.finished)]
        index = stop.task_index
        partial = "".join(self._partial.get(-1 if index is None else index, []))
        if index is not None and index not in self.finished and partial:
            outputs.append(TaskOutput(description="", raw=partial, agent=""))
        output = CrewOutput(raw=outputs[-1].raw if outputs else "", tasks_output=outputs,
                            token_usage=self._state.usage.model_copy())
        return BudgetExceededError(stop.meter.scope, stop.measure, stop.spent, stop.limit,
                                   index, output, ahead=stop.ahead)

    def watching(self, emit: Callable[[ev.RunEvent], None] | None
                 ) -> Callable[[ev.RunEvent], None]:
        """The run's listener, keeping each finished task's output for the partial output."""
        def listen(event: ev.RunEvent) -> None:
            if event.kind == "task_finished":
                self.finished[event.task_index] = event.output
            if emit is not None:
                emit(event)

        return listen


class _Charge:
    """One metered call: its estimate, updated per chunk, in every meter."""

    def __init__(self, budget: RunBudget, call: int, price: tuple[float, float] | None,
                 prompt_guess: float, task_index: int | None, on_text: TextSink | None) -> None:
        self._budget = budget
        self._call = call
        self._price = price
        self.prompt_guess = prompt_guess
        self.completion_guess = 0.0
        self._task_index = task_index
        self._forward = on_text
        self._publish()

    def _publish(self) -> None:
        prompt, completion = self._budget.corrected(self.prompt_guess, self.completion_guess)
        price = self._price
        dollars = 0.0 if price is None else prompt * price[0] + completion * price[1]
        for meter in self._budget.meters:
            meter.set_flying(self._call, prompt + completion, dollars)

    def on_text(self, text: str) -> None:
        """Takes one streamed chunk: passes it on, meters it, and checks the budgets."""
        if self._forward is not None:
            self._forward(text)
        self._budget.streamed(self._task_index, text)
        self.completion_guess += max(1.0, len(text) / CHARS_PER_TOKEN)
        self._publish()
        self._budget.check(self._task_index)

    def settled(self, result: LLMResult) -> LLMResult:
        """The call finished: its usage corrects later guesses."""
        self._budget.learn(result, self.prompt_guess, self.completion_guess)
        return result

    def close(self) -> None:
        """The call ended: its estimate leaves the meters (its usage is in the run's)."""
        for meter in self._budget.meters:
            meter.land(self._call)


class _Unmetered:
    """A call of a run without budgets."""

    def __init__(self, on_text: TextSink | None) -> None:
        self.on_text = on_text

    def settled(self, result: LLMResult) -> LLMResult:
        """Returns `result`."""
        return result


def _chars(message: Message) -> int:
    content = message.get("content")
    size = len(content) if isinstance(content, str) else len(str(content or ""))
    for call in message.get("tool_calls") or ():
        function = call.get("function", {}) if isinstance(call, dict) else {}
        size += len(str(function.get("arguments", ""))) + len(str(function.get("name", "")))
    return size


async def open_run_budget(plan: BudgetPlan, state: RunState) -> None:
    """Attaches the run to its crew's meters (`state.budget`; None without budgets)."""
    meters = plan.meters()
    if not meters:
        return
    if any(meter.budget.dollars is not None for meter in meters) and not _price_table.loaded():
        await asyncio.to_thread(_price_table.load)  # read once, off the loop
    budget = RunBudget(meters, state)
    state.emit = budget.watching(state.emit)
    state.budget = budget


@contextmanager
def charged_call(state: RunState, llm: LLM, messages: Sequence[Message],
                 task_index: int | None, on_text: TextSink | None) -> Iterator[Any]:
    """Meters one LLM call of the run; yields what gives `on_text` (metered) and takes the
    result (`settled(result)`).

    Raises:
        BudgetStop: A budget was used up before the call or by one of its chunks.
    """
    budget = state.budget
    if budget is None:
        yield _Unmetered(on_text)
        return
    charge = budget.open(llm.target().model, messages, task_index, on_text)
    try:
        yield charge
    finally:
        charge.close()


@asynccontextmanager
async def deadline(state: RunState) -> AsyncIterator[None]:
    """Stops an async run at its time budget, even between chunks.

    Raises:
        BudgetStop: The time ran out.
    """
    budget = state.budget
    left = budget.minutes_left() if budget is not None else None
    if budget is None or left is None or state.blocking:
        yield
        return
    timer = asyncio.timeout(max(left, 0.0) * 60.0)
    try:
        async with timer:
            yield
    except TimeoutError:
        if not timer.expired():
            raise
        budget.check(None)
        meter = next(m for m in budget.meters if m.budget.minutes is not None)
        limit = float(meter.budget.minutes or 0.0)
        raise BudgetStop(meter, "minutes", max(meter.spent().minutes, limit), limit,
                         None) from None
