"""``crewdesk run``'s crews running: one to its end (`run_one`), or a batch of them at once.

Each crew's event stream is shown as it comes through a `StreamPrinter`; feedback questions
(tasks with ``human_input``) and approvals of side-effecting tool calls are asked on the
terminal when the stream reaches them; a failing crew ends itself only, never the batch. With
a history, each run's events are recorded as they come (`desktop_app._cli_fork.RunTap`).
Shared by crew files (`desktop_app._cli_crew_file`) and a project's crew run with inputs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app import _cli_fork as fork
from desktop_app._cli_llm import refused_key_provider
from desktop_app._cli_output import RunResult, StreamPrinter
from desktop_app._terminal_approval import TerminalApprovals
from desktop_app._terminal_feedback import TerminalFeedback

if TYPE_CHECKING:
    from desktop_app.engine import Crew
    from desktop_app.engine.events import RunEvent

__all__ = ["run_batch", "run_one"]


async def run_one(
    crew: Crew,
    index: int,
    inputs: dict[str, Any],
    mode: str,
    printer: StreamPrinter,
    feedback: TerminalFeedback | None = None,
    approvals: TerminalApprovals | None = None,
    tap: fork.RunTap | None = None,
) -> RunResult:
    """Runs one crew to its end, streaming; an error ends this crew only. Feedback questions
    (tasks with ``human_input``) are asked on the terminal when the stream reaches them, and
    so are approvals of side-effecting tool calls (with ``approvals``)."""
    from desktop_app.engine import MissingInputError

    feedback = feedback or TerminalFeedback(printer)
    crew.human_input_handler = feedback.handler_for(index)
    if approvals is not None:
        approvals.attach(crew, index)
    stream = crew.stream_events(inputs, mode="akickoff" if mode == "akickoff" else "kickoff_async",
                                reuse=tap.reuse if tap is not None else None)
    error: str | None = None
    try:
        async for event in stream:
            if tap is not None:
                await tap.see(event)  # the history keeps each finished task at once
            await _show(event, index, printer, feedback, approvals)
        return RunResult(index, inputs, output=stream.value())
    except Exception as exc:  # noqa: BLE001 - one failing crew must not stop the batch
        error = str(exc) or type(exc).__name__
        return RunResult(index, inputs, error=error,
                         refused_key=refused_key_provider(exc),
                         missing_input=exc.placeholder
                         if isinstance(exc, MissingInputError) else None)
    finally:
        printer.flush(index)
        await stream.aclose()
        if tap is not None:
            await tap.close(error)


async def _show(event: RunEvent, index: int, printer: StreamPrinter, feedback: TerminalFeedback,
                approvals: TerminalApprovals | None) -> None:
    """Shows one event of crew ``index``, or asks what it asks (feedback, an approval)."""
    from desktop_app.engine.streaming import chunk_of

    if event.kind == "human_input_requested":
        await feedback.ask(index, event)
    elif event.kind == "approval_requested" and approvals is not None:
        approvals.noticed(index, event)
    elif event.kind in ("setting_ignored", "budget_warning"):
        printer.warning(event.message)
    elif event.kind == "plan_created":
        printer.plan(index, event.task_index, event.task_name, event.plan)
    elif event.kind == "task_skipped":
        printer.skipped(index, event.task_index, event.task_name)
    elif (chunk := chunk_of(event)) is not None:
        printer.chunk(index, chunk)


async def run_batch(
    make_crew: Callable[[], Crew],
    batch: Sequence[dict[str, Any]],
    *,
    concurrency: int,
    mode: str,
    printer: StreamPrinter,
    progress: TextIO | None,
    errors: TextIO | None = None,
    approvals: TerminalApprovals | None = None,
    history: fork.CliHistory | None = None,
) -> list[RunResult]:
    """Runs one crew per inputs, at most ``concurrency`` at once, each to its end.

    A crew that fails says why on ``errors`` at once (``error: [n] ...``), then the batch
    goes on. With ``approvals``, each crew asks on the terminal before side-effecting calls.
    """
    semaphore = asyncio.Semaphore(concurrency)
    finished: list[RunResult] = []
    feedback = TerminalFeedback(printer)

    async def one(index: int, inputs: dict[str, Any]) -> RunResult:
        async with semaphore:
            if len(batch) > 1:
                printer.status(index, f"started with {json.dumps(inputs, default=str)}")
            result = await run_one(make_crew(), index, inputs, mode, printer, feedback,
                                   approvals, history.tap(index) if history else None)
        if history is not None:
            result.history_run_id = history.run_ids()[index - 1]
        finished.append(result)
        _tell_ended(result, len(batch), finished, printer, progress, errors)
        return result

    return list(await asyncio.gather(*(one(i, v) for i, v in enumerate(batch, 1))))


def _tell_ended(result: RunResult, size: int, finished: Sequence[RunResult],
                printer: StreamPrinter, progress: TextIO | None, errors: TextIO | None) -> None:
    """Says at once how a crew of a batch of ``size`` ended: its error, and the progress."""
    index = result.index
    if result.error is not None and errors is not None:
        errors.write(f"error: {f'[{index}] ' if size > 1 else ''}{result.error}\n")
        errors.flush()
    if result.error is not None and size > 1:
        printer.status(index, f"failed: {result.error}")
    if progress is not None:
        failed = sum(1 for item in finished if item.error is not None)
        progress.write(f"{len(finished)}/{size} done, {failed} failed\n")
        progress.flush()
