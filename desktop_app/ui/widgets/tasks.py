"""`TaskOwner`: the owner of the asyncio tasks a view starts from its slots.

Qt slots are plain functions; the async work they start must still have an owner that keeps a
reference, reports failures and cancels what is left when the view closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

_log = logging.getLogger(__name__)


class TaskOwner:
    """Keeps the tasks it starts until they end, and cancels them on `cancel_all`.

    Args:
        on_error: Called with a failed task's exception (e.g. to show it in a status line);
            the failure is also logged as a warning.
    """

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Starts `coro` as a task on the running (qasync) loop and keeps it.

        Returns:
            The task, so that a caller may await it; None when no loop runs (Qt delivered a
            signal outside the asyncio loop, e.g. while the app shuts down): then nothing starts.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            _log.debug("no running event loop: %r not started", coro)
            return None
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    def cancel_all(self) -> None:
        """Cancels every task still running."""
        for task in list(self._tasks):
            task.cancel()

    async def join(self) -> None:
        """Waits until every task started so far has ended (errors are reported, not raised)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        _log.warning("background task failed: %s: %s", type(error).__name__, error)
        if self._on_error is not None:
            try:
                self._on_error(error)
            except RuntimeError:  # the widget that would show it is already deleted
                _log.debug("could not show the failure", exc_info=True)
