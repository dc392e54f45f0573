"""The designer's CrewAI projects: showing an open project's crew, listing open projects
beside the library's crews, and saving the designer's values into the project's own files.

`DesignerView` delegates to these functions; the projects themselves are opened by the
window (`ProjectOpener`) and kept in `AppServices.projects`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.storage.crew_library import CrewEntry
from desktop_app.ui.designer._project import save_into_project
from desktop_app.ui.designer._safety import kept_approval
from desktop_app.ui.projects._session import OpenProject
from desktop_app.ui.widgets.protocols import ServicesLike

if TYPE_CHECKING:
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["project_entries", "save_project", "show_project"]


def project_entries(services: ServicesLike) -> list[CrewEntry]:
    """The open CrewAI projects as lines of the crew list (after the library's crews)."""
    return [CrewEntry(opened.crew_id, f"{opened.document.name} (CrewAI project)",
                      opened.root, False) for opened in services.projects.all()]


async def show_project(view: DesignerView, opened: OpenProject) -> bool:
    """Shows an open CrewAI project (after asking about unsaved changes)."""
    if not await view.confirm_discard():
        return False
    view.project_panel.show_project(opened)
    dirty = opened.document != opened.crew.document
    document = await kept_approval(view.services, opened.crew_id, opened.document)
    view.editor.open(document, crew_id=opened.crew_id, dirty=dirty)
    view.tabs.setCurrentWidget(view.crew_page)
    view.show_list()
    view.say(f"Opened the CrewAI project {opened.root}."
             + (f"\n{opened.error}" if opened.error else ""))
    return True


async def save_project(view: DesignerView, opened: OpenProject) -> bool:
    """Writes the designer's values into the project's own YAML or `crew.jsonc`."""
    editor = view.editor
    doc = editor.document
    if editor.issues():
        view.say(f"Not saved: fix {len(editor.issues())} problem(s) first.")
        return False
    clean, message = await save_into_project(opened, doc)
    if clean and editor.document == doc:
        editor.mark_saved(opened.crew_id)
    view.say(message)
    return clean
