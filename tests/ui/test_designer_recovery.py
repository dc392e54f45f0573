"""Unsaved edits reach a recovery copy even when they are a single step."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pytestqt.qtbot import QtBot
from test_app_support import (
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.ui.designer import DesignerView
from desktop_app.ui.designer._recovery import RECOVERY_DELAY_MS
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]


def test_one_edit_of_a_saved_crew_is_kept_in_a_recovery_copy(
    qtbot: QtBot, arun: Run, services: AppServices
) -> None:
    view = DesignerView(services)
    qtbot.addWidget(view)
    view.show()

    async def edit_once() -> str:
        await view.ready()
        assert await view.open_crew("example:research_writer")
        assert await view.save_as()
        view.editor.set_field(("agents", 0, "role"), "One step, not saved")  # one undo step
        assert view.editor.dirty
        await asyncio.sleep(RECOVERY_DELAY_MS / 1000 + 0.3)
        await view.flush_recovery()
        return str(view.editor.crew_id)

    crew_id = arun(edit_once())
    [entry] = services.library.list_recovery()
    assert entry.id == crew_id
    assert entry.document.agents[0].role == "One step, not saved"
