"""Released run panels' pictures leave Qt's pixmap cache (see `dashboard/_style_cache.py`).

Under CrewDesk's palette every widget draws under pixmap-cache keys of its own, so a released
panel's pictures are never used again; without the trim they stayed until the cache's 10 MB
limit (the dashboard soak, `benchmarks/reliability_soak_ui.py`, grew by 9-10 MB more).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtGui import QPixmap, QPixmapCache
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    show_dashboard,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunStatus
from desktop_app.ui.dashboard._style_cache import StyleCacheTrimmer

Arun = Callable[..., Any]

_KEY = "crewdesk-test-released-panel"


def _cached() -> bool:
    return QPixmapCache.find(_KEY, QPixmap())


def test_the_cache_is_emptied_after_every_per_trim_released_panels(qtbot: QtBot) -> None:
    trimmer = StyleCacheTrimmer(per_trim=3)
    QPixmapCache.insert(_KEY, QPixmap(4, 4))
    trimmer.released(1)
    trimmer.released(1)
    assert _cached() and trimmer.trims == 0
    trimmer.released(1)
    assert not _cached() and trimmer.trims == 1
    QPixmapCache.insert(_KEY, QPixmap(4, 4))
    trimmer.released(2)
    assert _cached()  # counting starts again after a trim
    trimmer.released(1)
    assert not _cached() and trimmer.trims == 2


@pytest.mark.usefixtures("litellm_loaded")
def test_the_dashboard_trims_the_cache_as_it_lets_ended_runs_panels_go(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        view = show_dashboard(qtbot, services, controller)
        view.grid.max_ended = 1
        view.grid.style_cache = StyleCacheTrimmer(per_trim=2)
        doc = make_document("Short", tasks=1)
        QPixmapCache.insert(_KEY, QPixmap(4, 4))
        for _ in range(4):
            state = view.start(doc, doc.default_inputs())
            await controller.wait(state)
            assert state.status is RunStatus.DONE, state.error
        assert view.grid.let_go >= 2
        assert view.grid.style_cache.trims >= 1
        assert not _cached()
        await stop_app(controller, services)

    arun(scenario())
