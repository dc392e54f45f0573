"""The window's own tasks: none is started when Qt delivers a signal with no asyncio loop
running (a run ending while the app shuts down), and a task that fails after the window was
deleted is logged, not an error in a callback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from desktop_app.storage.paths import AppPaths
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import AppServices


def test_a_signal_outside_the_loop_starts_no_window_task(qtbot: QtBot) -> None:
    window = MainWindow(AppServices(AppPaths.from_env()))
    qtbot.addWidget(window)
    ran: list[str] = []

    async def work() -> None:
        ran.append("ran")

    coro = work()
    window.spawn(coro)  # no loop runs here, as in a signal delivered during shutdown
    assert window._tasks == set()
    assert coro.cr_frame is None  # closed, never to run stepless
    assert ran == []


def test_a_task_failing_after_the_window_is_deleted_is_only_logged(
    qtbot: QtBot, arun: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    window = MainWindow(AppServices(AppPaths.from_env()))
    release = asyncio.Event()

    async def fails_late() -> None:
        await release.wait()
        raise RuntimeError("late failure")

    async def scenario() -> None:
        window.spawn(fails_late())
        shiboken6.delete(window)  # the window goes first, its task ends after
        release.set()
        for _ in range(5):
            await asyncio.sleep(0)

    with caplog.at_level(logging.WARNING):
        arun(scenario())
    assert "late failure" in caplog.text  # the loop's error handler saw nothing (qloop checks)
