"""Stores used from event loops: every SQLite call runs on the store's own worker thread.

SQLite is blocking, so no store call may run on an event loop (on the app's loop, the GUI
thread). Each open store file has one `StoreHandle`: one connection, owned by one worker
thread (a single-thread executor). Runs on any loop or thread share it: `akickoff` runs on the
caller's loop, `kickoff` and `kickoff_async` on private loops in worker threads, and all of
them await the same handle. Calls on one store run one at a time, in order.

Handles are counted: `open_store` gives the run a lease, and the last lease to go closes the
connection and ends the thread, so an idle process keeps no store thread.

Why not `aiosqlite`: it also runs one thread per connection, but starts it per connection
object and offers a cursor-level API; a store's unit of work is a few statements inside one
transaction (`FtsStore` methods), which one hop to the worker thread does whole. Why not
`asyncio.to_thread`: the default executor has several threads, and one SQLite connection
must stay on one thread (and `loop.close()` waits for default-executor jobs).
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from desktop_app.engine._fts import FtsStore

P = ParamSpec("P")
T = TypeVar("T")


class StoreHandle:
    """One store file, opened lazily on its worker thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crewdesk-store")
        self._store: FtsStore | None = None
        self.leases = 0

    async def call(
        self, method: Callable[Concatenate[FtsStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Runs `method(store, *args, **kwargs)` on the worker thread and returns its result."""
        job = functools.partial(self._run, method, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, job)

    def call_blocking(
        self, method: Callable[Concatenate[FtsStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Runs `method` on the worker thread and waits for it (for synchronous callers)."""
        job = functools.partial(self._run, method, *args, **kwargs)
        return self._executor.submit(job).result()

    def _run(
        self, method: Callable[Concatenate[FtsStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._store is None:
            self._store = FtsStore(self.path)
        return method(self._store, *args, **kwargs)

    def _close_on_thread(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def shut(self) -> None:
        """Closes the connection on its thread and lets the thread end (does not wait)."""
        self._executor.submit(self._close_on_thread)
        self._executor.shutdown(wait=False)


_handles: dict[Path, StoreHandle] = {}
_handles_lock = threading.Lock()


def _key(path: Path) -> Path:
    """The registry key of a store file: its absolute path (no file system call, so it can
    run on an event loop; `Path.resolve` would stat the file)."""
    return Path(os.path.abspath(path))


def _acquire(path: Path) -> StoreHandle:
    key = _key(path)
    with _handles_lock:
        handle = _handles.get(key)
        if handle is None:
            handle = _handles[key] = StoreHandle(key)
        handle.leases += 1
        return handle


def _release(handle: StoreHandle) -> None:
    with _handles_lock:
        handle.leases -= 1
        if handle.leases > 0:
            return
        del _handles[handle.path]
    handle.shut()


@asynccontextmanager
async def open_store(path: Path) -> AsyncIterator[StoreHandle]:
    """A lease on the store at `path` for as long as the block runs (for async callers)."""
    handle = _acquire(path)
    try:
        yield handle
    finally:
        _release(handle)


def with_store(
    path: Path, method: Callable[Concatenate[FtsStore, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Runs one `method` on the store at `path` (blocking), sharing a handle open elsewhere."""
    handle = _acquire(path)
    try:
        return handle.call_blocking(method, *args, **kwargs)
    finally:
        _release(handle)


def open_store_count() -> int:
    """How many store files are open now (for tests and the app's shutdown)."""
    with _handles_lock:
        return len(_handles)


def is_open(path: Path) -> bool:
    """Whether a run holds the store at `path`."""
    with _handles_lock:
        return _key(path) in _handles
