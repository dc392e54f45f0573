"""Budgets: a cap on what a run (or a for-each batch of runs) may spend, in dollars, tokens or
minutes, with a warning at 80% and a clean stop at 100%.

`Crew.set_budget(per_run, per_batch=...)` sets them. Each run meters its LLM calls while they
stream: the tokens of a call are its prompt (estimated when it starts, from its text) plus
the text streamed so far (estimated per chunk); both estimates are corrected after every call
by what the provider reported for it (`UsageUpdated`'s usage), so the meter follows the
provider's own counting. Dollars are those tokens at the model's price (`_price_table`, the
same table the run's `cost_usd` comes from). Once a budget reaches 80%, the run sends one
`BudgetWarning`; once it reaches 100%, the chunk that crossed the limit is the last one: the
call is closed, the run's other tasks are cancelled, the run sends `RunCancelled(reason=
"budget")`, and the kickoff raises `BudgetExceededError`, which holds the partial output
(the finished tasks' outputs, and the streamed text of the task it stopped in).

A batch's runs share one `BudgetMeter` (`per_batch`): the for-each kickoffs open a fresh one
per call; a caller that starts the runs of a batch itself (`crewdesk run --inputs-file`)
hands the same `BudgetMeter` to every crew.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from desktop_app.engine.errors import CrewError
from desktop_app.engine.outputs import CrewOutput

__all__ = [
    "WARN_AT",
    "Budget",
    "BudgetExceededError",
    "BudgetMeter",
    "BudgetPlan",
    "Measure",
    "Spent",
]

WARN_AT = 0.8
"""The share of a budget at which a run warns (`BudgetWarning`)."""

Measure = Literal["dollars", "tokens", "minutes"]


@dataclass(frozen=True, slots=True)
class Budget:
    """Most a run or a batch may spend; None leaves that measure free.

    Raises:
        ValueError: A limit is not above zero (names it).
    """

    dollars: float | None = None
    tokens: int | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        for name in ("dollars", "tokens", "minutes"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"budget {name} must be above 0 (got {value})")

    def is_empty(self) -> bool:
        """Whether no measure is limited."""
        return self.dollars is None and self.tokens is None and self.minutes is None

    def limits(self) -> dict[Measure, float]:
        """The limited measures and their limits."""
        found: dict[Measure, float] = {}
        if self.dollars is not None:
            found["dollars"] = float(self.dollars)
        if self.tokens is not None:
            found["tokens"] = float(self.tokens)
        if self.minutes is not None:
            found["minutes"] = float(self.minutes)
        return found


def describe(measure: Measure, value: float) -> str:
    """`value` of `measure` as a person reads it: "$0.21", "38,200 tokens", "2.5 minutes"."""
    if measure == "dollars":
        return f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    if measure == "tokens":
        return f"{round(value):,} tokens"
    return f"{value:.1f} minutes"


@dataclass(frozen=True, slots=True)
class Spent:
    """What a meter has spent: dollars (of priced calls), tokens, and minutes since start."""

    dollars: float
    tokens: float
    minutes: float

    def of(self, measure: Measure) -> float:
        """The amount spent of one measure."""
        return float(getattr(self, measure))


Totals = Callable[[], tuple[int, float]]
"""A run's settled totals: tokens and dollars of its finished calls."""


class BudgetMeter:
    """What one budget has spent over the runs it meters (one run, or a batch's runs).

    Thread-safe: runs of a batch may stream in worker threads. The spent amount is the
    settled totals of every run attached (their finished calls, as the provider counted
    them) plus the estimates of the calls streaming now.

    Args:
        budget: The limits.
        scope: "run" or "batch", for messages.
        clock: Seconds, monotonic (tests may pass their own).
    """

    def __init__(
        self, budget: Budget, scope: Literal["run", "batch"] = "batch",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self.scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._runs: list[Totals] = []
        self._flying: dict[int, tuple[float, float]] = {}
        self._started: float | None = None
        self._warned = False

    def attach(self, totals: Totals) -> None:
        """Counts a run's settled totals from now on; the first run starts the clock."""
        with self._lock:
            self._runs.append(totals)
            if self._started is None:
                self._started = self._clock()

    def set_flying(self, call: int, tokens: float, dollars: float) -> None:
        """Sets the estimate of a call that is streaming now."""
        with self._lock:
            self._flying[call] = (tokens, dollars)

    def land(self, call: int) -> None:
        """Forgets a call's estimate (its usage is in its run's totals now)."""
        with self._lock:
            self._flying.pop(call, None)

    def spent(self) -> Spent:
        """What was spent so far."""
        with self._lock:
            runs, flying, started = list(self._runs), list(self._flying.values()), self._started
        tokens = dollars = 0.0
        for totals in runs:
            run_tokens, run_dollars = totals()
            tokens += run_tokens
            dollars += run_dollars
        tokens += sum(item[0] for item in flying)
        dollars += sum(item[1] for item in flying)
        minutes = 0.0 if started is None else (self._clock() - started) / 60.0
        return Spent(dollars=dollars, tokens=tokens, minutes=minutes)

    def worst(self) -> tuple[Measure, float, float, float] | None:
        """The measure nearest its limit: (measure, spent, limit, share), or None."""
        spent = self.spent()
        found: tuple[Measure, float, float, float] | None = None
        for measure, limit in self.budget.limits().items():
            share = spent.of(measure) / limit
            if found is None or share > found[3]:
                found = (measure, spent.of(measure), limit, share)
        return found

    def first_warning(self) -> bool:
        """True the first time it is asked (the meter warns once)."""
        with self._lock:
            first, self._warned = not self._warned, True
        return first

    def minutes_left(self) -> float | None:
        """Minutes until the time limit, or None without one."""
        if self.budget.minutes is None:
            return None
        return self.budget.minutes - self.spent().minutes


class BudgetPlan:
    """A crew's budgets: one per run, one per batch (a `Budget`, or a `BudgetMeter` shared
    with other crews); `Crew.set_budget` sets it."""

    def __init__(self) -> None:
        self.per_run: Budget | None = None
        self.per_batch: Budget | BudgetMeter | None = None
        self._batch: BudgetMeter | None = None

    def open_batch(self) -> None:
        """Starts a batch (a for-each kickoff): its runs share one fresh meter."""
        per_batch = self.per_batch
        self._batch = BudgetMeter(per_batch) if isinstance(per_batch, Budget) else None

    def meters(self) -> list[BudgetMeter]:
        """The meters of a run starting now: its own, and its batch's (outside a for-each
        kickoff, a `per_batch` budget is a batch of this one run)."""
        found: list[BudgetMeter] = []
        if self.per_run is not None and not self.per_run.is_empty():
            found.append(BudgetMeter(self.per_run, "run"))
        per_batch = self.per_batch
        if isinstance(per_batch, BudgetMeter):
            found.append(per_batch)
        elif per_batch is not None and not per_batch.is_empty():
            found.append(self._batch or BudgetMeter(per_batch))
        return found


class BudgetExceededError(CrewError):
    """A run stopped because a budget was used up.

    Attributes:
        scope: "run" or "batch".
        measure: "dollars", "tokens" or "minutes".
        spent: What was spent of that measure when it stopped.
        limit: The limit.
        task_index: The task it stopped in (None: between tasks).
        ahead: It stopped before a call whose prompt alone would have passed the limit
            (`spent` is then what was spent before it).
        output: The partial output: the finished tasks' outputs, then the stopped task's
            streamed text (`raw` is that text, or the last finished task's).
    """

    def __init__(
        self, scope: str, measure: Measure, spent: float, limit: float,
        task_index: int | None, output: CrewOutput, *, ahead: bool = False,
    ) -> None:
        self.scope = scope
        self.measure = measure
        self.spent = spent
        self.limit = limit
        self.task_index = task_index
        self.output = output
        self.ahead = ahead
        super().__init__(stop_message(scope, measure, spent, limit, ahead=ahead))


def stop_message(scope: str, measure: Measure, spent: float, limit: float, *,
                 ahead: bool = False) -> str:
    """"stopped by budget: the run's budget of $0.50 was used ($0.5002)"; `ahead`: the
    next call's prompt alone would have passed it."""
    whose = "the run's" if scope == "run" else "the batch's"
    if ahead:
        return (f"stopped by budget: the next call would pass {whose} budget of "
                f"{describe(measure, limit)} ({describe(measure, spent)} used)")
    return (f"stopped by budget: {whose} budget of {describe(measure, limit)} was used "
            f"({describe(measure, spent)})")


def warning_message(scope: str, measure: Measure, spent: float, limit: float) -> str:
    """"80% of the run's budget of $0.50 is used ($0.40)"."""
    whose = "the run's" if scope == "run" else "the batch's"
    share = min(spent / limit, 1.0) if limit else 1.0
    return (f"{share:.0%} of {whose} budget of {describe(measure, limit)} is used "
            f"({describe(measure, spent)})")
