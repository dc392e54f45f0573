"""The qasync event loop for GUI tests.

One `qasync.QEventLoop` per test on the session's `QApplication` (pytest-qt's `qapp`).
Drive coroutines with `arun(coro)`. Never call `qtbot.wait*` inside a coroutine, and never
use nested loops (`QDialog.exec`, static `QMessageBox` calls) in one: see FIELD-NOTES.md.
Errors the loop's exception handler sees fail the test at teardown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import PySide6.QtWidgets  # noqa: F401 - qasync must find PySide6 first
import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication

T = TypeVar("T")


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the Qt event loop, closed and checked at teardown."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        _, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=30))
        if stuck:  # a task that ignores cancellation: name it instead of hanging the suite
            stacks = [f"{task!r}: {task.get_stack()}" for task in stuck]
            pytest.fail(f"tasks still running 30 s after cancel: {stacks}")
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    # qasync leaves its Qt timer object registered after the loop closes; if the garbage
    # collector later frees it from a worker thread, the GUI thread fires a freed timer
    # (segfault in QTimerInfoList::activateTimers). Delete it here, on the GUI thread.
    shiboken6.delete(loop._timer)
    asyncio.set_event_loop(None)
    if errors:
        pytest.fail(f"the event loop reported errors: {errors}")


@pytest.fixture
def arun(qloop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """Runs a coroutine on the qasync loop to its end, with a time limit."""

    def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return qloop.run_until_complete(asyncio.wait_for(coro, timeout))

    return run
