"""The main window's life: its start (settings, crews, history, geometry) and its careful close.

Kept apart from `main_window`, whose `start`, `confirm_close`, `shutdown` and `closeEvent`
call these, so the window's module stays about its views and commands. Closing asks first
when crews are running or the designer has unsaved changes, then cancels every run, waits
briefly for them to be recorded, flushes the history and closes the services, with a time
limit (`SHUTDOWN_LIMIT_S`), so exit never hangs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMessageBox

from desktop_app.ui import _window_state
from desktop_app.ui.keys import install_key_source

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

__all__ = ["SHUTDOWN_LIMIT_S", "close_when_agreed", "confirm_close", "shutdown", "start"]

log = logging.getLogger(__name__)

SHUTDOWN_LIMIT_S = 8.0
"""The longest closing may take before the window closes anyway."""

_Button = QMessageBox.StandardButton


async def start(window: MainWindow) -> None:
    """Loads settings, marks interrupted runs, fills the dashboard, restores geometry.

    When the designer found unsaved edits of the last session (a crash), its tab is
    shown, with its offer to restore them.
    """
    await window.services.start()
    window.spawn(install_key_source(window.services.secrets))  # slow keychains: not awaited
    settings = window.services.current_settings
    window.controller.set_concurrency_limit(settings.concurrency_limit)
    window.dashboard.mode.setCurrentText(settings.default_run_mode)
    _restore_geometry(window, settings.window_state_bytes())
    _window_state.restore_splitters(window, settings)
    window.show_theme(settings.theme)
    window.banner.setVisible(not window.services.has_provider())
    await window.dashboard.load_crews()
    await window.designer.ready()
    if window.designer.recovered_ids:
        window.tabs.setCurrentWidget(window.designer)
    from desktop_app.ui.history._resume import offer_resumes

    window.resume_offer = await offer_resumes(window)  # runs a crash or a kill cut off
    window.statusBar().showMessage(_start_message(window), 10_000)
    window.started.emit()


def _start_message(window: MainWindow) -> str:
    services = window.services
    parts = ["Ready."]
    if services.settings_warning:
        parts.append(services.settings_warning)
    if services.interrupted_runs:
        count = services.interrupted_runs
        parts.append(f"{count} run{'s' if count != 1 else ''} left running when CrewDesk "
                     "last closed are marked interrupted in History.")
    if window.designer.recovered_ids:
        parts.append("Unsaved designer edits of the last session can be restored.")
    return " ".join(parts)


def _restore_geometry(window: MainWindow, state: bytes | None) -> None:
    if state:
        window.restoreGeometry(QByteArray(state))


async def close_when_agreed(window: MainWindow, tasks: set[asyncio.Task[Any]]) -> bool:
    """Asks (`confirm_close`); agreed, cancels the window's other `tasks` and shuts down
    within `SHUTDOWN_LIMIT_S`.

    Returns:
        Whether the window may close now (False: the person kept it).
    """
    if not await window.confirm_close():
        return False
    current = asyncio.current_task()
    for task in list(tasks):  # refreshes and the like; not this task
        if task is not current:
            task.cancel()
    try:
        await asyncio.wait_for(window.shutdown(), SHUTDOWN_LIMIT_S)
    except Exception:
        log.exception("closing did not finish cleanly")
    return True


async def confirm_close(window: MainWindow) -> bool:
    """Asks about unsaved designer changes and running crews; False keeps the window."""
    from desktop_app.ui.widgets.ask import ask

    if not await window.designer.confirm_discard():
        return False
    from desktop_app.ui.flows._window import active_flows

    active = len(window.controller.active_runs()) + active_flows(window)
    if not active:
        return True
    answer = await ask(
        window, "Stop the running crews?",
        f"{active} run{'s are' if active != 1 else ' is'} still going. Closing stops "
        "them; what they streamed so far stays in History.",
        _Button.Close | _Button.Cancel, _Button.Cancel,
    )
    return answer == _Button.Close


async def shutdown(window: MainWindow) -> None:
    """Cancels the runs, saves the window's geometry, flushes and closes the services."""
    from desktop_app.ui.flows._window import close_flows

    await close_flows(window)  # ui.flows: their runs end recorded, before the history closes
    await window.controller.aclose(grace=3.0)
    await window.designer.flush_recovery()
    settings = window.services.current_settings.model_copy(deep=True)
    settings.set_window_state(bytes(window.saveGeometry().data()))
    _window_state.remember_splitters(window, settings)
    try:
        await window.services.save_settings(settings)
    except OSError:
        log.exception("could not save the window geometry")
    await window.services.close()
