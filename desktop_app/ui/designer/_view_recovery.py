"""The designer's recovered edits: unsaved changes of the last session (a crash), offered
back at start by the recovery banner, restored as undoable edits or thrown away.

`DesignerView` delegates to these functions; the copies themselves are written by
`RecoveryKeeper` (`_recovery.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CrewDocument
from desktop_app.ui.controllers.run_controller import PROJECT_ID_PREFIX

if TYPE_CHECKING:
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["discard_recovery", "forget_recovered", "restore_recovery"]


async def restore_recovery(view: DesignerView, recovery_id: str) -> bool:
    """Opens recovered edits as unsaved changes; undo goes back to the saved crew."""
    entry = next((e for e in view.recovered if e.id == recovery_id), None)
    if entry is None or not await view.confirm_discard():
        return False
    if recovery_id.startswith(PROJECT_ID_PREFIX):
        return await _restore_project_edits(view, recovery_id, entry.document)
    saved: CrewDocument | None = None
    if not recovery_id.startswith("draft:"):
        try:
            saved = await view.library.aload(recovery_id)
        except (CrewFileError, ValueError):
            saved = None
    if saved is None:
        view.editor.open(entry.document, crew_id=None, draft_id=recovery_id, dirty=True)
    else:
        view.editor.open(saved, crew_id=recovery_id)
        view.editor.push("Recovered edits", entry.document)
    forget_recovered(view, recovery_id)
    view.show_list()
    view.say(f"Restored unsaved edits of {entry.document.name}.")
    return True


async def _restore_project_edits(view: DesignerView, crew_id: str, document: CrewDocument) -> bool:
    opened = view.services.projects.get(crew_id)
    if opened is None:
        folder = crew_id.removeprefix(PROJECT_ID_PREFIX)
        view.say(f"Open the CrewAI project {folder} first (File › Open CrewAI project…), "
                 "then restore its edits.")
        return False
    view.project_panel.show_project(opened)
    view.editor.open(opened.crew.document, crew_id=crew_id)
    view.editor.push("Recovered edits", document)
    forget_recovered(view, crew_id)
    view.show_list()
    view.say(f"Restored unsaved edits of the project {opened.root}.")
    return True


async def discard_recovery(view: DesignerView, recovery_id: str) -> None:
    """Throws away a recovery copy offered at start."""
    await view.recovery.drop(recovery_id)
    forget_recovered(view, recovery_id)


def forget_recovered(view: DesignerView, recovery_id: str) -> None:
    """No longer offers a recovery copy (restored or thrown away)."""
    view.recovered = [e for e in view.recovered if e.id != recovery_id]
    view.recovery_banner.show_entries(view.recovered)
