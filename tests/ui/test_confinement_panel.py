"""A shared crew whose knowledge reaches outside its folder fails in its own panel, by name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    make_services,
    sim_fixture,  # noqa: F401 - the `sim` fixture
)

from desktop_app.documents import KnowledgeSourceSpec
from desktop_app.simulator import SimulatorThread
from desktop_app.ui.controllers import RunController, RunStatus
from desktop_app.ui.dashboard import DashboardView

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def test_a_knowledge_file_outside_the_crews_folder_fails_only_its_own_panel(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    secret = tmp_path / "secret" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("planted-secret-7f3a", encoding="utf-8")

    async def scenario() -> None:
        services = await make_services(sim.base_url)
        view = DashboardView(services, RunController(services))
        qtbot.addWidget(view)
        view.resize(1300, 800)
        view.show()
        good = make_document("Good", tasks=1)
        shared = make_document("Shared", tasks=1)
        shared.agents[0].knowledge_sources = [KnowledgeSourceSpec(kind="text", path=str(secret))]
        crew_id = await services.library.asave(shared)
        ok = view.start(good, good.default_inputs())
        failed = view.start(shared, shared.default_inputs(), crew_id=crew_id)
        await asyncio.gather(view._controller.wait(ok), view._controller.wait(failed))
        assert ok.status is RunStatus.DONE, ok.error
        assert failed.status is RunStatus.FAILED
        panel = view.grid.panel_for(failed.run_id)
        assert panel is not None and panel.error_label.isVisible()
        assert "agents[0].knowledge_sources[0].path: the knowledge file" in (
            panel.error_label.text())
        shown = panel.shown_text()  # the whole message, in the panel's text
        assert f"the knowledge file '{secret}' is outside the crew's folder" in shown
        assert "add it under Allowed files in the crew's settings" in shown
        assert "planted-secret" not in shown
        # Allowed by name, the same crew runs.
        shared.settings.allowed_paths = [str(secret)]
        allowed = view.start(shared, shared.default_inputs(), crew_id=crew_id)
        await view._controller.wait(allowed)
        assert allowed.status is RunStatus.DONE, allowed.error
        await view._controller.aclose()
        await services.close()

    arun(scenario())
