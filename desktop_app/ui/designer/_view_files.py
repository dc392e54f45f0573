"""The designer's file commands: a crew file opened from anywhere, a CrewAI project imported
as a new crew, the open crew exported as a CrewAI project, and their file choosers.

`DesignerView` delegates to these functions, so the view keeps to showing and editing a
crew. File work runs in worker threads; choosers are non-blocking dialogs (`choose_path`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.documents import knowledge_left_out
from desktop_app.documents.errors import CrewFileError
from desktop_app.ui.widgets.ask import choose_path

if TYPE_CHECKING:
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["choose_export", "choose_file", "choose_import", "export_crewai", "import_crewai",
           "open_file"]


async def open_file(view: DesignerView, path: Path) -> bool:
    """Opens a `.crew.yaml` file from anywhere as a new crew (saved into the library)."""
    try:
        doc = await asyncio.to_thread(view.library.read_file, path)
    except CrewFileError as exc:
        view.say(f"Cannot open {path}:\n{exc}")
        return False
    return await view.new_crew(doc, f"Opened {path}; save it to keep it in your crews.")


async def import_crewai(view: DesignerView, path: Path) -> bool:
    """Imports a CrewAI project as a new, unsaved crew; notices go to the status line."""
    try:
        doc, notices = await asyncio.to_thread(view.library.import_crewai, path)
    except CrewFileError as exc:
        view.say(f"Cannot import {path}:\n{exc}")
        return False
    note = f"Imported {path}."
    if notices:
        note += f" {len(notices)} field(s) kept but not used:\n" + "\n".join(notices[:8])
    return await view.new_crew(doc, note)


async def export_crewai(view: DesignerView, folder: Path) -> bool:
    """Writes the open crew as a CrewAI project into `folder` (a new subfolder named after
    the crew when `folder` already holds files) and says where it went."""
    library = view.library
    document, base_dir = view.editor.document, library.base_dir_of(view.editor.crew_id)
    try:
        written = await asyncio.to_thread(library.export_crewai, document, folder, base_dir)
        left_out = await asyncio.to_thread(knowledge_left_out, document, base_dir)
    except CrewFileError as exc:
        view.say(f"Cannot export:\n{exc}")
        return False
    where = "" if written == folder else f" ({folder} already held files)"
    # Knowledge files outside the crew's folder are not shared by an export: each is named.
    not_copied = "".join(f"\n{item}" for item in left_out)
    view.say(f"Exported as a CrewAI project to {written}{where}.{not_copied}")
    return True


async def choose_file(view: DesignerView) -> None:
    """Asks for a crew file, then opens it."""
    path = await choose_path(view, "Open crew file", name_filter="Crew files (*.crew.yaml)")
    if path is not None:
        await open_file(view, path)


async def choose_import(view: DesignerView) -> None:
    """Asks for a CrewAI project folder, then opens it (the window's handler) or imports it."""
    path = await choose_path(view, "Import a CrewAI project folder", directory=True)
    if path is None:
        return
    if view.import_handler is not None:  # the window's "Open CrewAI project…"
        await view.import_handler(path)
    else:
        await import_crewai(view, path)


async def choose_export(view: DesignerView) -> None:
    """Asks for a folder, then exports the open crew there as a CrewAI project."""
    path = await choose_path(view, "Export as a CrewAI project into", directory=True)
    if path is not None:
        await export_crewai(view, path)
