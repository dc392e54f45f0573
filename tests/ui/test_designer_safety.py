"""The designer's crew page sets what the crew's tools may do: approval, unsandboxed code,
workspace and allowed files; each edit is undoable and saved with the crew."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot
from test_app_support import (
    make_view,
    services_fixture,  # noqa: F401 - the `services` fixture
)

from desktop_app.documents.crewdesk_file import load_crew
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.services import AppServices

Run = Callable[..., Any]


def test_the_crew_page_round_trips_the_safety_settings_with_undo(
    qtbot: QtBot, arun: Run, services: AppServices, tmp_path: Path
) -> None:
    view = make_view(qtbot, services, height=900)
    safety = view.crew_page.safety
    workspace = tmp_path / "work"
    workspace.mkdir()
    shared = tmp_path / "shared.csv"
    shared.write_text("a,b\n", encoding="utf-8")

    async def scenario() -> str:
        await view.ready()
        assert await view.new_crew()
        assert safety.approval_box.currentData() == "ask"  # a new crew asks
        assert safety.unsandboxed_warning.isHidden()
        index = safety.approval_box.findData("never")
        safety.approval_box.setCurrentIndex(index)
        safety.approval_box.activated.emit(index)
        safety.unsandboxed_box.click()
        assert not safety.unsandboxed_warning.isHidden()
        safety.workspace_button.click()
        dialog = await _open_dialog(view)
        dialog.setDirectory(str(workspace))
        dialog.accept()
        await view._tasks.join()
        assert safety.workspace_edit.text() == str(workspace)
        assert await safety.add_allowed(shared)
        assert safety.allowed_paths() == [str(shared)]
        settings = view.editor.document.settings
        assert (settings.approval, settings.allow_unsandboxed) == ("never", True)
        assert settings.workspace == str(workspace) and settings.allowed_paths == [str(shared)]

        view.editor.undo_stack.undo()  # the allowed file
        assert safety.allowed_paths() == []
        view.editor.undo_stack.undo()  # the workspace
        assert safety.workspace_edit.text() == ""
        view.editor.undo_stack.redo()
        view.editor.undo_stack.redo()
        assert safety.workspace_edit.text() == str(workspace)
        assert await view.save(), view.status()
        return str(view.editor.crew_id)

    crew_id = arun(scenario())
    saved = load_crew(services.library.path_of(crew_id))
    assert saved.settings.approval == "never" and saved.settings.allow_unsandboxed
    assert saved.settings.workspace == str(workspace)
    assert saved.settings.allowed_paths == [str(shared)]

    again = DesignerView(services)
    qtbot.addWidget(again)
    safety = again.crew_page.safety

    async def reopen() -> None:
        await again.ready()
        assert await again.open_crew(crew_id)
        assert safety.approval_box.currentData() == "never"
        assert safety.unsandboxed_box.isChecked()
        assert safety.workspace_edit.text() == str(workspace)
        assert safety.allowed_paths() == [str(shared)]
        safety.remove_selected_allowed()
        assert again.editor.document.settings.allowed_paths == []

    arun(reopen())


async def _open_dialog(view: DesignerView) -> QFileDialog:
    for _ in range(100):  # the dialog opens on the running loop; no nested loop waits
        dialogs = [d for d in view.findChildren(QFileDialog) if d.isVisible()]
        if dialogs:
            return dialogs[0]
        await asyncio.sleep(0.02)
    raise AssertionError("no file dialog opened")
