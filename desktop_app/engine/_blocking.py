"""Running a coroutine to its end from synchronous code."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_end(coro: Coroutine[Any, Any, T], *, thread_name: str = "crewdesk-blocking") -> T:
    """Runs `coro` on a new event loop, in this thread or, if this thread already runs a
    loop (a notebook, a sync tool called from async code), in a helper thread, and returns
    its result or raises its error."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    helper = threading.Thread(target=target, name=thread_name)
    helper.start()
    helper.join()
    if errors:
        raise errors[0]
    return box[0]


def settled(work: Callable[[], T]) -> tuple[bool, Any]:
    """Runs `work` and returns `(True, result)` or `(False, error)`, never raising.

    The thread pool of a qasync loop (the GUI's) catches only `Exception`: a cancelled
    blocking run, which ends with `CancelledError`, would escape the job, end the pool's
    QThread and leave the job's future unset. The error is raised on the loop instead.
    """
    try:
        return True, work()
    except BaseException as exc:  # noqa: BLE001 - re-raised by the caller, on the loop
        return False, exc


async def gather_owned(coros: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Runs coroutines at once; on the first error or a cancel, cancels the rest and
    waits for them, then re-raises. Results come in input order."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
