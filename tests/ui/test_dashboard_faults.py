"""Provider faults through the main window's dashboard: each ends in its own panel.

Real widgets (offscreen), the run controller, litellm over HTTP to the simulator, a real
history file. The window's responsiveness under a 1 MB answer is measured in
`benchmarks/reliability_faults_app.py`, not here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_app_support import (
    CREDENTIAL,
    TEST_KEY,
    close_window,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.paths import AppPaths
from desktop_app.storage.settings import ProviderSettings, Settings
from desktop_app.ui.controllers import RunState, RunStatus
from desktop_app.ui.dashboard.run_panel import SETTINGS_LINK, RunPanel
from desktop_app.ui.dashboard.stream_view import (
    INSERT_SLICE_CHARS,
    MAX_DOCUMENT_CHARS,
    StreamView,
)
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.services import AppServices
from desktop_app.ui.settings import SettingsDialog

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


async def _window(qtbot: QtBot, base_url: str) -> MainWindow:
    """The main window on two providers: another one first, then "Local" on the simulator."""
    services = AppServices(AppPaths.from_env())
    await services.start()
    await services.secrets.aset(CREDENTIAL, TEST_KEY)
    await services.save_settings(
        Settings(
            providers=[
                ProviderSettings(
                    id="other",
                    kind="anthropic",
                    display_name="Other",
                    default_model="anthropic/claude-x",
                    credential_name="other-key",
                ),
                ProviderSettings(
                    id="local",
                    kind="openai",
                    display_name="Local",
                    base_url=base_url,
                    credential_name=CREDENTIAL,
                    default_model="openai/sim",
                ),
            ],
            default_provider="local",
            concurrency_limit=4,
        )
    )
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as `main()` does: the window quits through `closed`
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.resize(1300, 800)
    window.show()
    await window.start()
    return window


def _panel(window: MainWindow, state: RunState) -> RunPanel:
    panel = window.dashboard.grid.panel_for(state.run_id)
    assert panel is not None
    return panel


async def _run_beside_a_healthy_one(window: MainWindow, model: str) -> tuple[RunState, RunState]:
    good = make_document("Good")
    bad = make_document("Bad", model=model, tasks=1)
    ok = window.dashboard.start(good, good.default_inputs())
    failed = window.dashboard.start(bad, bad.default_inputs())
    await asyncio.gather(window.controller.wait(ok), window.controller.wait(failed))
    assert ok.status is RunStatus.DONE, ok.error
    assert _panel(window, ok).status_label.text() == "done"
    return ok, failed


def test_a_refused_key_names_its_provider_and_opens_settings_at_it(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _window(qtbot, sim.base_url)
        _ok, failed = await _run_beside_a_healthy_one(window, "openai/sim:status=401")
        assert failed.status is RunStatus.FAILED and failed.error_is_auth
        assert failed.refused_provider_id == "local"
        panel = _panel(window, failed)
        label = panel.error_label.text()
        assert "The key for Local was refused." in label
        assert f'href="{SETTINGS_LINK}local"' in label
        assert TEST_KEY not in label and TEST_KEY not in panel.shown_text()
        assert "the key for openai was refused" in panel.shown_text()
        panel.error_label.linkActivated.emit(f"{SETTINGS_LINK}local")
        dialog = window.findChild(SettingsDialog)
        assert isinstance(dialog, SettingsDialog)
        await dialog.ready()
        provider = dialog.current_provider()
        assert provider is not None and provider.id == "local"
        assert dialog.provider_list.currentRow() == 1
        dialog.reject()
        record = await window.services.history.get_run(failed.run_id)
        assert record is not None and record.status == "failed"
        assert record.error is not None and "refused" in record.error
        await close_window(window)

    arun(scenario())


def test_a_dropped_stream_keeps_its_text_in_the_panel_and_the_history(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _window(qtbot, sim.base_url)
        _ok, failed = await _run_beside_a_healthy_one(
            window, "openai/sim:drop_after=5,tokens=40,ttft=0.005"
        )
        assert failed.status is RunStatus.FAILED and not failed.error_is_auth
        assert "cut off" in failed.error
        panel = _panel(window, failed)
        assert "cut off" in panel.error_label.text()
        assert 'href="settings' not in panel.error_label.text()
        shown = panel.shown_text()
        partial = shown[: shown.index("✗")]
        assert "Answer to:" in partial  # five chunks of the answer, kept
        record = await window.services.history.get_run(failed.run_id)
        assert record is not None and record.status == "failed"
        stored = record.task_text[0]
        assert stored.startswith("Answer to:") and stored in partial
        await close_window(window)

    arun(scenario())


def test_a_1mb_answer_fills_one_panel_while_another_keeps_streaming(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _window(qtbot, sim.base_url)
        steady_doc = make_document(
            "Steady", model="openai/sim:tps=50,tokens=150,ttft=0.005", tasks=1
        )
        big_doc = make_document("Big", model="openai/sim:bytes=1000000,tokens=50,tps=100", tasks=1)
        steady = window.dashboard.start(steady_doc, steady_doc.default_inputs())
        updates: list[float] = []
        steady.textAppended.connect(lambda _text: updates.append(time.monotonic()))
        await wait_until(lambda: bool(updates))
        big = window.dashboard.start(big_doc, big_doc.default_inputs())
        await wait_until(lambda: bool(big.transcript()))
        big_started = time.monotonic()
        await window.controller.wait(big)
        big_ended = time.monotonic()
        assert big.status is RunStatus.DONE, big.error
        assert steady.status is RunStatus.RUNNING  # still going: it streamed all along
        assert any(big_started <= t <= big_ended for t in updates)
        await window.controller.wait(steady)
        assert steady.status is RunStatus.DONE, steady.error
        text = big.transcript()
        assert len(text) >= 1_000_000
        shown = _panel(window, big).shown_text()
        assert len(shown) <= MAX_DOCUMENT_CHARS and text.endswith(shown[-5000:])
        assert _panel(window, steady).shown_text() == steady.transcript()
        record = await window.services.history.get_run(big.run_id)
        assert record is not None and len(record.task_text[0]) >= 1_000_000
        assert text.endswith(record.task_text[0])
        await close_window(window)

    arun(scenario())


def test_a_huge_piece_goes_into_the_view_in_slices(qtbot: QtBot) -> None:
    view = StreamView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    text = "".join(f"word{i} " for i in range(150_000))  # about 1 MB
    view.append_text(text)
    assert 0 < view.document().characterCount() < 2 * INSERT_SLICE_CHARS  # one slice now
    assert view.has_backlog
    qtbot.waitUntil(lambda: not view.has_backlog)  # the rest, a slice per turn
    shown = view.shown_text()
    assert MAX_DOCUMENT_CHARS * 0.8 < len(shown) <= MAX_DOCUMENT_CHARS
    assert text.endswith(shown)
