"""RunHistory: the async API runs every database call on its own worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_app.storage.history import RunHistory
from desktop_app.storage.paths import AppPaths


class _ThreadRecordingClock:
    """A clock that notes the thread of each reading and can be made slow."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.delay = 0.0

    def __call__(self) -> datetime:
        self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        return datetime.now(UTC)


@pytest.mark.asyncio
async def test_database_work_runs_off_the_loop_thread(app_paths: AppPaths) -> None:
    clock = _ThreadRecordingClock()
    history = RunHistory(app_paths, clock=clock)
    assert history.path == app_paths.history_db
    assert not history.path.exists()  # creating it did no I/O

    async with history:
        run_id = await history.start_run("Writers", inputs={"topic": "owls"})
        await history.finish_run(run_id, "finished", final_output="Owls.")

    assert clock.threads
    assert threading.get_ident() not in clock.threads
    assert history.path.exists()


@pytest.mark.asyncio
async def test_a_slow_database_call_does_not_stall_the_loop(tmp_path: Path) -> None:
    clock = _ThreadRecordingClock()
    history = RunHistory(tmp_path / "h.sqlite3", clock=clock)
    await history.open()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        clock.delay = 0.2
        await history.start_run("slow")
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await history.close()

    assert ticks >= 5


@pytest.mark.asyncio
async def test_the_whole_api_from_the_loop(tmp_path: Path) -> None:
    async with RunHistory(tmp_path / "h.sqlite3") as history:
        queued = await history.start_run("Q", status="queued")
        await history.mark_running(queued)
        history.append_text(queued, 0, "streamed ")
        history.append_text(queued, 0, "answer")
        assert history.pending_chars() == len("streamed answer")
        await history.record_task_output(queued, 0, raw="streamed answer", agent="Writer")
        await history.finish_run(queued, "finished", final_output="streamed answer",
                                 usage={"total_tokens": 3}, cost_usd=0.5)
        left = await history.start_run("left running")

        assert await history.mark_interrupted() == 1
        assert [r.run_id for r in await history.list_runs("streamed")] == [queued]
        record = await history.get_run(queued)
        assert record is not None
        assert record.task_text == {0: "streamed answer"}
        assert await history.integrity_check() == "ok"
        assert await history.delete_run(left) is True
        assert [r.run_id for r in await history.list_runs()] == [queued]


@pytest.mark.asyncio
async def test_text_appended_before_open_and_at_close_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history = RunHistory(path)
    history.append_text("r", 0, "early ")  # before the database is even open
    await history.start_run("c", run_id="r")
    history.append_text("r", 0, "late")
    await history.close()
    await history.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        await history.flush()

    async with RunHistory(path) as reopened:
        record = await reopened.get_run("r")
    assert record is not None
    assert record.task_text == {0: "early late"}


@pytest.mark.asyncio
async def test_autoflush_writes_without_being_asked(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    async with RunHistory(path) as history:
        run_id = await history.start_run("c")
        flusher = asyncio.create_task(history.run_autoflush(0.02))
        try:
            history.append_text(run_id, 0, "tick")
            for _ in range(200):
                await asyncio.sleep(0.01)
                if history.pending_chars() == 0:
                    break
            assert history.pending_chars() == 0
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        async with RunHistory(path) as other:  # another connection sees it
            record = await other.get_run(run_id)
    assert record is not None
    assert record.task_text == {0: "tick"}


@pytest.mark.asyncio
async def test_many_runs_stream_at_once(tmp_path: Path) -> None:
    async with RunHistory(tmp_path / "h.sqlite3") as history:

        async def crew(n: int) -> str:
            run_id = await history.start_run(f"crew {n}")
            for i in range(50):
                history.append_text(run_id, i // 25, f"{n}:{i} ")
                if i % 10 == 0:
                    await history.flush()
                await asyncio.sleep(0)
            await history.finish_run(run_id, "finished")
            return run_id

        ids = await asyncio.gather(*(crew(n) for n in range(20)))
        for n, run_id in enumerate(ids):
            record = await history.get_run(run_id)
            assert record is not None
            expected = [" ".join(f"{n}:{i}" for i in range(s, s + 25)) + " " for s in (0, 25)]
            assert [record.task_text[0], record.task_text[1]] == expected


@pytest.mark.asyncio
async def test_close_writes_text_even_if_nothing_opened_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    async with RunHistory(path) as history:
        await history.start_run("c", run_id="r")

    late = RunHistory(path)
    late.append_text("r", 0, "last words")
    await late.close()

    async with RunHistory(path) as reopened:
        record = await reopened.get_run("r")
    assert record is not None
    assert record.task_text == {0: "last words"}
