"""Issue 14: the "waiting for you" state, with the real main window, runs and the simulator.

A run that asks for feedback or for an approval says so plainly on its panel (its status
reads "Waiting for you" in the waiting colour, the panel is framed in it), the Dashboard
tab's title counts the runs waiting, and a desktop notification is given when the window is
not the active one. The state ends when the question is answered, the call decided, or the
run stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from test_app_support import (
    coder,
    litellm_loaded,  # noqa: F401 - a fixture
    make_services,
    open_window,
    panel_of,
    reviewed,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui import _theme
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.dashboard._waiting import (
    WAITING_TEXT,
    badge_sheets,
    frame_sheets,
    waiting_colours,
)
from desktop_app.ui.main_window import MainWindow

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


async def _window(qtbot: QtBot, sim: SimulatorThread) -> MainWindow:
    window = await open_window(qtbot, await make_services(sim.base_url), size=(1280, 800))
    window.activateWindow()
    await wait_until(window.isActiveWindow)
    return window


def _tab_title(window: MainWindow) -> str:
    return window.tabs.tabText(window.tabs.indexOf(window.dashboard))


async def _close(window: MainWindow) -> None:
    await window.controller.aclose()
    await window.services.close()


def test_runs_asking_for_feedback_say_so_and_the_tab_counts_them(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _window(qtbot, sim)
        dashboard = window.dashboard
        assert _tab_title(window) == "Dashboard"
        first, second = reviewed("First"), reviewed("Second")
        one = dashboard.start(first, first.default_inputs())
        two = dashboard.start(second, second.default_inputs())
        panels = [await panel_of(window.dashboard, one.run_id), await panel_of(window.dashboard, two.run_id)]
        await wait_until(lambda: all(p.input_bar.isVisible() for p in panels))
        for panel in panels:
            assert panel.status_label.text() == WAITING_TEXT
            assert panel.property("waiting") is True
            colour = waiting_colours(panel.palette())[0].name()
            assert colour in panel.status_label.styleSheet()
            assert colour in panel.styleSheet()  # the frame, in the same colour
        assert _tab_title(window) == "Dashboard · 2 waiting"
        assert dashboard.summary.text().startswith("2 waiting for you · 2 running")
        assert dashboard.runs.waiting.notifier.sent == []  # the window is the active one
        light = panels[0].status_label.styleSheet()
        _theme.apply_theme("dark")  # the waiting colour follows the theme
        try:
            assert panels[0].status_label.styleSheet() != light
            assert badge_sheets(None)[1] == panels[0].status_label.styleSheet()
            assert frame_sheets()[1] == panels[0].styleSheet()
        finally:
            _theme.apply_theme("system")  # as the test began (light here)
        assert panels[0].status_label.styleSheet() == light

        panels[0].input_bar.approve_button.click()  # answered: no longer waiting
        await wait_until(lambda: _tab_title(window) == "Dashboard · 1 waiting")
        await window.controller.wait(one)
        assert one.status is RunStatus.DONE
        assert panels[0].status_label.text() == "done" and not panels[0].property("waiting")
        assert panels[0].styleSheet() == ""

        panels[1].stop_button.click()  # the run ends: no longer waiting either
        await window.controller.wait(two)
        assert two.status is RunStatus.CANCELLED
        assert _tab_title(window) == "Dashboard"
        assert panels[1].status_label.text() == "cancelled"
        assert "waiting" not in dashboard.summary.text()
        await _close(window)

    arun(scenario())


def test_a_desktop_notice_when_a_run_waits_while_the_window_is_not_active(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _window(qtbot, sim)
        other = QWidget()  # the person works in another window
        qtbot.addWidget(other)
        other.show()
        other.activateWindow()
        await wait_until(lambda: not window.isActiveWindow())
        doc = coder("Asker", "print(6 * 7)")
        state = window.dashboard.start(doc, doc.default_inputs())
        panel = await panel_of(window.dashboard, state.run_id)
        await wait_until(panel.approval_bar.isVisible)
        assert panel.status_label.text() == WAITING_TEXT
        assert _tab_title(window) == "Dashboard · 1 waiting"
        notifier = window.dashboard.runs.waiting.notifier
        await wait_until(lambda: len(notifier.sent) == 1)
        notice = notifier.sent[0]
        assert notice.via == "alert"  # no system tray offscreen: the task bar entry flashes
        assert notice.title == "A run is waiting for you"
        assert notice.message.startswith("Asker asks for your approval: ")
        notifier.bring_back()  # what clicking the notification does
        await wait_until(window.isActiveWindow)

        panel.approval_bar.deny_button.click()  # decided: the waiting ends
        await window.controller.wait(state)
        assert _tab_title(window) == "Dashboard"
        assert panel.status_label.text() == state.status.value
        assert len(notifier.sent) == 1
        await _close(window)

    arun(scenario())
