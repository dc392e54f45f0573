"""`crewdesk run`'s budget options: ``--budget-usd``, ``--budget-tokens``, ``--budget-minutes``
(per run) and ``--batch-budget-usd``, ``--batch-budget-tokens``, ``--batch-budget-minutes``
(the runs of an ``--inputs-file`` batch together).

An option given replaces that measure of the crew file's own ``settings.budget`` (or
``settings.batch_budget``); the others stay. A batch's crews share one `BudgetMeter`, so the
batch budget counts every run of the batch. A run stopped by a budget ends as "stopped by
budget" (exit code 1), its streamed output kept on the terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.documents import BudgetSpec, CrewDocument
    from desktop_app.engine import Budget, BudgetMeter, Crew


def _above_zero(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError("must be above 0")
        return value

    return parse


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the budget options to ``crewdesk run``'s parser."""
    group = parser.add_argument_group(
        "budgets", "a warning at 80%, a clean stop at 100% that keeps the output so far")
    for prefix, whose in (("budget", "each run"), ("batch-budget", "the whole batch")):
        group.add_argument(f"--{prefix}-usd", type=_above_zero(float), metavar="DOLLARS",
                           help=f"most {whose} may spend, in US dollars")
        group.add_argument(f"--{prefix}-tokens", type=_above_zero(int), metavar="N",
                           help=f"most tokens {whose} may use")
        group.add_argument(f"--{prefix}-minutes", type=_above_zero(float), metavar="M",
                           help=f"most minutes {whose} may take")


@dataclass(frozen=True, slots=True)
class CliBudgets:
    """The budgets of one ``crewdesk run``: per run, and the batch's shared meter."""

    per_run: Budget | None
    batch: BudgetMeter | None

    def apply(self, crew: Crew) -> None:
        """Sets them on a crew of the batch."""
        crew.set_budget(self.per_run, per_batch=self.batch)


def _merged(spec: BudgetSpec | None, args: argparse.Namespace, prefix: str) -> Budget | None:
    from desktop_app.engine import Budget

    given = {"dollars": getattr(args, f"{prefix}_usd", None),
             "tokens": getattr(args, f"{prefix}_tokens", None),
             "minutes": getattr(args, f"{prefix}_minutes", None)}
    values = {name: given[name] if given[name] is not None
              else (getattr(spec, name) if spec is not None else None) for name in given}
    budget = Budget(**values)
    return None if budget.is_empty() else budget


def budgets_of(args: argparse.Namespace, document: CrewDocument) -> CliBudgets:
    """The crew file's budgets with the command line's options laid over them."""
    from desktop_app.engine import BudgetMeter

    batch = _merged(document.settings.batch_budget, args, "batch_budget")
    return CliBudgets(_merged(document.settings.budget, args, "budget"),
                      BudgetMeter(batch) if batch is not None else None)
