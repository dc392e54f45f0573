"""Starting the desktop app: `main()` shows the window first, then loads everything else.

Order matters for a fast start (target: the window within a second): only PySide6, qasync
and the window's shell are imported and built before `show()`. Then, with the window on
screen: storage and documents are imported in a worker thread, the views are built
(`MainWindow.attach`), settings, the history and the crew list are loaded, and finally
litellm (seconds to import) is imported in a worker thread (FIELD-NOTES: importing litellm
in a worker thread kept the window responsive).

Ctrl+C or SIGTERM closes the window the same careful way as its close button (POSIX).

Environment switches (used by tests, benchmarks and demos):
    CREWDESK_DEMO_RUNS=N      after start, run N example crews on the offline simulator.
    CREWDESK_SCREENSHOT=path  once the demo runs end, save a picture of the window and quit.
    CREWDESK_STARTUP_PROBE=1  print `CREWDESK_WINDOW_SHOWN=<epoch seconds>` at the window's
                              first paint and `CREWDESK_WINDOW_READY=...` once the views
                              and the crew list are loaded, then quit (startup benchmark).
    CREWDESK_AUTORUN=path     open this crew file in the designer, save it, and run it
                              `CREWDESK_AUTORUN_COUNT` times, reporting on stdout; with
                              `CREWDESK_AUTORUN_EDIT=text`, leave an unsaved edit (the tests
                              and benchmarks that kill the app; see `_autorun.py`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.ui.qt import QEventLoop

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from desktop_app.documents.model import CrewDocument
    from desktop_app.ui._autorun import AutoRun
    from desktop_app.ui.controllers.run_state import RunState
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.services import AppServices

__all__ = ["main", "prepare_services"]

log = logging.getLogger(__name__)

WORKER_THREADS = 64
"""Threads of the default executor: `kickoff_async` runs each hold one for the whole run."""

EXIT_GRACE_S = 2.0
"""How long worker threads may take to finish after the window closed."""


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CrewDesk window until it is closed.

    Args:
        argv: Qt's command line (default `sys.argv`).

    Returns:
        The exit code.
    """
    logging.basicConfig(level=os.environ.get("CREWDESK_LOG_LEVEL", "WARNING"))
    for handler in logging.getLogger().handlers:
        handler.addFilter(KeyMaskingFilter())
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    assert isinstance(app, QApplication)
    app.setApplicationName("CrewDesk")
    app.setOrganizationName("CrewDesk")
    app.setQuitOnLastWindowClosed(False)  # the window quits through `closed`, after shutdown
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="crewdesk-worker")
    loop.set_default_executor(executor)
    code = 0
    try:
        code = loop.run_until_complete(_run(app))
    except RuntimeError as exc:  # Qt quit on its own (session end) before the window closed
        log.warning("the event loop stopped early: %s", exc)
    finally:
        _close_loop(loop, executor)
    return code


async def _run(app: QApplication) -> int:
    from desktop_app.ui.main_window import MainWindow

    window = MainWindow()
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    app.aboutToQuit.connect(closed.set)
    if os.environ.get("CREWDESK_STARTUP_PROBE"):
        _probe_first_paint(window)
    window.show()
    _close_on_signals(window)
    background = asyncio.ensure_future(_after_show(window))
    try:
        await closed.wait()
    finally:
        background.cancel()
        await asyncio.gather(background, return_exceptions=True)
    return 0


class KeyMaskingFilter(logging.Filter):
    """Masks every key the engine knows in a log line (issue 12, point 4).

    Before the engine is loaded no key is registered, so the filter then imports nothing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record's message with known keys masked; keeps every record."""
        masker = sys.modules.get("desktop_app.engine._secrets_mask")
        if masker is not None:
            record.msg, record.args = masker.mask(record.getMessage()), None
        return True


def _close_on_signals(window: MainWindow) -> None:
    """Ctrl+C or SIGTERM in a terminal closes the window the careful way (POSIX only)."""
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, window.close)
        except (NotImplementedError, RuntimeError, ValueError):
            return  # Windows, or not the main thread: Qt's default handling stays


def prepare_services() -> AppServices:
    """Imports storage and documents (pydantic, YAML, keyring) and makes the services.

    Blocking (a few hundred ms of imports): `main` runs it in a worker thread while the
    window's shell is already on screen.
    """
    import desktop_app.documents  # noqa: F401 - imported here, off the GUI thread
    from desktop_app.ui.services import AppServices

    return AppServices.from_env()


async def _after_show(window: MainWindow) -> None:
    """Everything that can wait until the window is up."""
    services = await asyncio.to_thread(prepare_services)
    window.attach(services)
    await window.start()
    if os.environ.get("CREWDESK_STARTUP_PROBE"):
        print(f"CREWDESK_WINDOW_READY={time.time():.6f}", flush=True)
        window.close()
        return
    hooks = _start_hooks(window)  # demo runs and test hooks, owned here
    try:
        try:
            await window.services.load_engine()
        except Exception:
            log.exception("could not load litellm; runs will try again")
        await asyncio.gather(*hooks)
    finally:
        for hook in hooks:
            hook.cancel()


def _start_hooks(window: MainWindow) -> list[asyncio.Future[None]]:
    """Starts the demo runs and the autorun test hook when the environment asks for them."""
    hooks: list[asyncio.Future[None]] = []
    demo_runs = int(os.environ.get("CREWDESK_DEMO_RUNS", "0") or 0)
    if demo_runs > 0:
        hooks.append(asyncio.ensure_future(_demo(window, demo_runs)))
    plan = _autorun_plan()
    if plan is not None:
        from desktop_app.ui._autorun import autorun

        hooks.append(asyncio.ensure_future(autorun(window, plan)))
    return hooks


def _autorun_plan() -> AutoRun | None:
    """The `CREWDESK_AUTORUN` test hook's plan, when it is switched on."""
    path = os.environ.get("CREWDESK_AUTORUN")
    if not path:
        return None
    from desktop_app.ui._autorun import AutoRun

    count = int(os.environ.get("CREWDESK_AUTORUN_COUNT", "1") or 1)
    return AutoRun(Path(path), count, os.environ.get("CREWDESK_AUTORUN_EDIT", ""))


def _asks(document: CrewDocument) -> bool:
    """Whether a run of the crew would wait for a person: a task's feedback, or a tool
    (code, any named tool) under the approval "ask"."""
    tools = any(agent.allow_code_execution or agent.tools for agent in document.agents)
    return any(task.human_input for task in document.tasks) or (
        tools and document.settings.approval == "ask")


async def _demo(window: MainWindow, count: int) -> None:
    """Runs `count` example crews on the simulator; saves a screenshot when asked to.

    Crews with a task that asks a person for feedback, or whose tools would ask before
    they run (approval "ask"), are skipped: nobody answers a demo.
    """
    from desktop_app.storage.crew_library import EXAMPLE_PREFIX

    dashboard = window.dashboard
    entries = [e for e in await dashboard.load_crews() if e.id.startswith(EXAMPLE_PREFIX)]
    dashboard.dry_run.setChecked(True)
    states: list[RunState] = []
    for entry in entries:
        if len(states) == count:
            break
        document = await dashboard.select_crew(entry.id)
        if document is not None and not _asks(document):
            states.append(dashboard.start(document, dashboard.inputs.values(), entry.id))
    await asyncio.gather(*(window.controller.wait(state) for state in states))
    print("CREWDESK_DEMO_DONE=" + ",".join(state.status.value for state in states), flush=True)
    target = os.environ.get("CREWDESK_SCREENSHOT")
    if target:
        await asyncio.sleep(0.3)  # let the last frame's text and the figures paint
        path = Path(target)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        window.grab().save(str(path))
        print(f"CREWDESK_SCREENSHOT_SAVED={path}", flush=True)
        window.close()


def _probe_first_paint(window: MainWindow) -> None:
    """Prints the time of the window's first paint (the startup benchmark)."""
    from PySide6.QtCore import QEvent, QObject

    class _Probe(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                print(f"CREWDESK_WINDOW_SHOWN={time.time():.6f}", flush=True)
            return False

    probe = _Probe(window)
    window.installEventFilter(probe)


def _close_loop(loop: asyncio.AbstractEventLoop, executor: ThreadPoolExecutor) -> None:
    """Closes the loop without waiting on stuck worker threads (exit never hangs)."""
    executor.shutdown(wait=False, cancel_futures=True)
    loop.set_default_executor(None)  # type: ignore[arg-type]  # qasync accepts None
    loop.close()
    asyncio.set_event_loop(None)
    deadline = time.monotonic() + EXIT_GRACE_S
    busy = [t for t in threading.enumerate() if t.name.startswith("crewdesk-") and t.is_alive()]
    for thread in busy:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() and not thread.daemon for thread in busy):
        log.warning("worker threads still busy at exit; leaving without them")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
