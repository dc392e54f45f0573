"""``crewdesk run`` keeps its runs in the app's history, and forks or resumes one of them.

Every run of a crew file is recorded in the same history database as the app's (under
``$CREWDESK_HOME`` or the platform's folder): a batch writes one "queued" row per line at once,
so a batch killed halfway still lists every line; each task's output is written when the task
ends, so a killed run keeps its finished tasks (the app marks it "interrupted" at its next
start). ``--no-history`` records nothing.

``--from-run ID --from-task N`` runs the crew from task N (1-based): the tasks before it reuse
the stored outputs of run ID (no model call), with that run's inputs unless ``--inputs`` or
``--input-set`` gives others. ``--resume ID`` goes on after a killed or failed run from its
first task without an output. The new run records where it came from (`storage.forks`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    from desktop_app.documents import CrewDocument
    from desktop_app.engine import RunEvent, TaskOutput
    from desktop_app.storage.history import RunHistory, RunRecord

T = TypeVar("T")

__all__ = [
    "CliHistory",
    "ForkPlan",
    "ForkUsageError",
    "RunTap",
    "add_history_arguments",
    "read_fork_plans",
    "refuse_for_project_code",
    "recording",
    "run_recorded",
    "with_fork_inputs",
]

AUTOFLUSH_INTERVAL = 0.5


class ForkUsageError(Exception):
    """A fork or resume asked for something the history cannot give; shown as an error."""


def _task_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("tasks are numbered from 1")
    return value


def add_history_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--from-run``, ``--from-task``, ``--resume`` and ``--no-history``."""
    add = parser.add_argument
    add("--from-run", metavar="RUN_ID", help="fork this run of the history (with --from-task)")
    add("--from-task", metavar="N", type=_task_number,
        help="run from task N (1-based); tasks before it reuse --from-run's stored outputs")
    add("--resume", metavar="RUN_ID", nargs="+",
        help="go on after killed or failed runs (a batch: several ids), each from its first "
        "task without an output")
    add("--no-history", action="store_true", help="do not record the run in the history")


@dataclass(frozen=True, slots=True)
class ForkPlan:
    """Where a run starts: the parent run, the first task that runs, and what it reuses."""

    parent_run_id: str
    start: int
    reuse: dict[int, TaskOutput]
    inputs: dict[str, Any]
    resume: bool


def check_arguments(args: argparse.Namespace) -> None:
    """Refuses combinations of the history options that make no sense.

    Raises:
        ForkUsageError: Says which options clash.
    """
    if (args.from_run is None) != (args.from_task is None):
        raise ForkUsageError("--from-run and --from-task go together")
    if args.resume is not None and args.from_run is not None:
        raise ForkUsageError("--resume and --from-run cannot be used together")
    forking = args.resume is not None or args.from_run is not None
    if forking and args.inputs_file is not None:
        raise ForkUsageError("a fork or a resume runs its runs' own inputs: --inputs-file "
                             "cannot be used")
    if forking and args.no_history:
        raise ForkUsageError("a fork or a resume is recorded in the history: drop --no-history")


def refuse_for_project_code(args: argparse.Namespace) -> None:
    """A run of a project's own code is not recorded by ``crewdesk run`` yet: refuses the
    history options there rather than ignoring them.

    Raises:
        ForkUsageError: --from-run or --resume was given.
    """
    if args.from_run is not None or args.resume is not None:
        raise ForkUsageError(
            "--from-run and --resume work on crew files (.crew.yaml) and on projects read "
            "with --static; a run of a project's own code is not kept in the history yet. "
            "Open the project in the app to fork its runs from History."
        )


def read_fork_plans(args: argparse.Namespace) -> tuple[ForkPlan, ...]:
    """The fork or the resumes the arguments ask for, one per run of the batch, read from
    the history before the runs start (empty: neither). Blocking: before the event loop.

    Raises:
        ForkUsageError: The options clash, a run is unknown, finished (for --resume), or
            lacks an output a task before the start needs.
    """
    check_arguments(args)
    parents: list[str] = list(args.resume or ([args.from_run] if args.from_run else []))
    if not parents:
        return ()
    from desktop_app.storage.history import HistoryDB, HistoryError, HistoryVersionError
    from desktop_app.storage.paths import AppPaths

    path = AppPaths.from_env().history_db
    if not path.is_file():
        raise ForkUsageError(f"no run {parents[0]}: there is no history yet ({path})")
    try:
        with HistoryDB(path) as db:
            records = {parent: db.get_run(parent) for parent in parents}
    except (HistoryError, HistoryVersionError) as exc:
        raise ForkUsageError(str(exc)) from exc
    plans: list[ForkPlan] = []
    for parent, record in records.items():
        if record is None:
            raise ForkUsageError(f"no run {parent} in the history ({path})")
        if args.resume is not None and record.status == "finished":
            raise ForkUsageError(f"run {parent} finished: fork it with --from-run {parent} "
                                 "--from-task N instead")
        plans.append(_plan_of(record, args))
    return tuple(plans)


def _plan_of(record: RunRecord, args: argparse.Namespace) -> ForkPlan:
    from desktop_app.storage.forks import ForkError, first_unfinished_task, reused_outputs

    start = first_unfinished_task(record) if args.resume else args.from_task - 1
    try:
        reuse = reused_outputs(record, start)
    except ForkError as exc:
        if args.resume:
            raise ForkUsageError(f"run {record.run_id}: every task has an output; nothing is "
                                 "left to resume") from exc
        raise ForkUsageError(str(exc)) from exc
    given = args.inputs is not None or args.input_set is not None
    return ForkPlan(record.run_id, start, reuse, {} if given else dict(record.inputs),
                    resume=args.resume is not None)


def with_fork_inputs(
    batch: list[dict[str, Any]], plans: Sequence[ForkPlan]
) -> list[dict[str, Any]]:
    """The batch's inputs: one per fork or resume, each its parent run's inputs laid over
    the given ones (the given ones alone when ``--inputs`` or ``--input-set`` named them)."""
    if not plans:
        return batch
    return [{**batch[0], **plan.inputs} for plan in plans]


@dataclass
class RunTap:
    """Records one run of the batch: its events as they come, then how it ended."""

    history: RunHistory
    run_id: str
    plan: ForkPlan | None = None
    ended: bool = False
    _usage: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def reuse(self) -> dict[int, TaskOutput] | None:
        """The outputs the run reuses (a fork or a resume), else None."""
        return self.plan.reuse if self.plan is not None else None

    async def see(self, event: RunEvent) -> None:
        """Writes what `event` adds to the run (text is buffered; outputs are written now)."""
        history = self.history
        if event.kind == "run_started":
            await history.mark_running(self.run_id)
        elif event.kind == "text":
            history.append_text(self.run_id, event.task_index, event.content)
        elif event.kind == "trace_span":  # buffered like the text, under the history's id
            history.append_span(event, self.run_id)
        elif event.kind == "task_finished":
            await history.record_task_output(
                self.run_id, event.task_index, raw=event.output.raw, name=event.task_name,
                agent=event.agent_role,
            )
        elif event.kind == "run_finished":
            await self._end("finished", final_output=event.output.raw,
                            usage=event.output.token_usage.model_dump(), cost_usd=event.cost_usd)
        elif event.kind == "run_failed":
            await self._end("failed", error=event.error)
            await self._failed_for(event.error_kind)
        elif event.kind == "run_cancelled":
            await self._end("cancelled", error=event.message or None)
            if event.reason == "budget":  # History reads "stopped by budget"
                from desktop_app.storage.stop_reasons import record_stop_reason

                await record_stop_reason(history, self.run_id, event.reason)

    async def _failed_for(self, error_kind: str | None) -> None:
        """A run the network cut off gets stop reason "network": offered again at the next
        start of the app (and ``--resume`` goes on after it)."""
        from desktop_app.storage.stop_reasons import failure_stop_reason, record_stop_reason

        reason = failure_stop_reason(error_kind)
        if reason is not None:
            await record_stop_reason(self.history, self.run_id, reason)

    async def close(self, error: str | None) -> None:
        """Ends a run the engine did not end (it failed before starting, or was stopped)."""
        if not self.ended:
            await self._end("failed" if error is not None else "cancelled", error=error)

    async def _end(self, status: Any, **details: Any) -> None:
        self.ended = True
        await self.history.finish_run(self.run_id, status, **details)


class CliHistory:
    """The history of one ``crewdesk run``: a row per run of the batch, written as it goes."""

    def __init__(self, history: RunHistory, plans: Sequence[ForkPlan] = ()) -> None:
        """Wraps an open history; `plans` are the fork or the resumes, one per run."""
        self.history = history
        self.plans = tuple(plans)
        self._taps: dict[int, RunTap] = {}

    async def start_batch(self, document: CrewDocument, batch: Sequence[dict[str, Any]],
                          mode: str) -> None:
        """Writes one queued run per inputs (index from 1), the fork origin included."""
        from desktop_app.storage.forks import RunForks

        snapshot = document.model_dump(mode="json")
        for index, inputs in enumerate(batch, 1):
            run_id = await self.history.start_run(
                document.name, crew_snapshot=snapshot, inputs=inputs, mode=f"cli {mode}",
                status="queued",
            )
            plan = self.plans[index - 1] if index <= len(self.plans) else None
            self._taps[index] = RunTap(self.history, run_id, plan)
            if plan is not None:
                forks = RunForks(self.history)
                await forks.set_origin(run_id, plan.parent_run_id, plan.start)
                if plan.resume:
                    await forks.decide(plan.parent_run_id, "resumed")

    def tap(self, index: int) -> RunTap | None:
        """The recorder of run `index` of the batch."""
        return self._taps.get(index)

    def run_ids(self) -> list[str]:
        """The history's ids of the batch's runs, in order."""
        return [self._taps[index].run_id for index in sorted(self._taps)]


@contextlib.asynccontextmanager
async def recording(
    args: argparse.Namespace, plans: Sequence[ForkPlan], err: TextIO | None = None
) -> AsyncIterator[CliHistory | None]:
    """Opens the history for a run of the CLI and flushes streamed text while it goes
    (None with ``--no-history``, or when the history cannot be opened: a warning on `err`
    says so and the run goes on); the flusher is owned here and stopped at the end."""
    if args.no_history:
        yield None
        return
    from desktop_app.storage.history import HistoryError, HistoryVersionError, RunHistory
    from desktop_app.storage.paths import AppPaths

    history = RunHistory(AppPaths.from_env())
    try:
        await history.open()
    except (HistoryError, HistoryVersionError) as exc:  # the run goes on, unrecorded
        await history.close()
        if err is not None:
            err.write(f"warning: {exc}; this run is not kept in the history\n")
        opened = False
    else:
        opened = True
    if not opened:
        yield None
        return
    try:
        flusher = asyncio.ensure_future(history.run_autoflush(AUTOFLUSH_INTERVAL))
        try:
            yield CliHistory(history, plans)
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
    finally:
        await history.close()


async def run_recorded(
    args: argparse.Namespace,
    plans: Sequence[ForkPlan],
    document: CrewDocument,
    batch: Sequence[dict[str, Any]],
    run: Callable[[CliHistory | None], Awaitable[list[T]]],
    err: TextIO,
) -> list[T]:
    """Runs the batch with `run`, recording it in the history (unless ``--no-history``);
    says on `err` under which ids the runs are kept."""
    async with recording(args, plans, err) as history:
        if history is not None:
            await history.start_batch(document, batch, args.mode)
            ids = history.run_ids()  # said at once: a killed run is resumed by its id
            runs = f"run {ids[0]}" if len(ids) == 1 else f"runs {' '.join(ids)}"
            err.write(f"note: recorded in the history as {runs}\n")
            err.flush()
        return await run(history)
