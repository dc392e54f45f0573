"""Running a coroutine to its end from synchronous code."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
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
