"""The welcome page inside the designer: when it shows, and what its buttons do there.

`install` (called by `designer._view_layout.lay_out`) connects the page's requests to the
designer and leaves the page as soon as a crew is opened or started. `show_welcome` fills
the cards from the library's examples and shows the page; the main window calls
`show_if_empty` once it has started, so a first start opens on the examples rather than on an
empty, nameless crew.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.documents.errors import CrewFileError
from desktop_app.ui._welcome import ExampleInfo

if TYPE_CHECKING:
    from desktop_app.storage.crew_library import CrewLibrary
    from desktop_app.ui.designer._view import DesignerView

__all__ = ["examples", "install", "show_editor", "show_if_empty", "show_welcome"]


def install(view: DesignerView) -> None:
    """Connects ``view.welcome``'s buttons to the designer (once, when it is laid out)."""
    from desktop_app.ui.designer import _view_files

    welcome = view.welcome
    welcome.openRequested.connect(lambda crew_id: view.spawn(view.open_crew(crew_id)))
    welcome.newRequested.connect(lambda: view.spawn(view.new_crew()))
    welcome.openFileRequested.connect(lambda: view.spawn(_view_files.choose_file(view)))
    welcome.projectRequested.connect(lambda: view.spawn(_view_files.choose_import(view)))
    view.editor.documentChanged.connect(lambda: _leave_when_open(view))
    view.editor.dirtyChanged.connect(lambda _dirty: _leave_when_open(view))


def _has_crew(view: DesignerView) -> bool:
    editor = view.editor
    return editor.crew_id is not None or editor.dirty or view.open_project is not None


def _leave_when_open(view: DesignerView) -> None:
    if view.pages.currentWidget() is view.welcome and _has_crew(view):
        show_editor(view)


def show_editor(view: DesignerView) -> None:
    """Shows the open crew (canvas and inspector) instead of the welcome page."""
    view.pages.setCurrentIndex(0)
    view.show_list()  # an unsaved new crew is listed again


async def examples(library: CrewLibrary) -> list[ExampleInfo]:
    """The library's example crews as cards show them (an unreadable one is left out)."""
    infos: list[ExampleInfo] = []
    for entry in await library.alist():
        if not entry.is_example:
            continue
        try:
            document = await library.aload(entry.id)
        except (CrewFileError, ValueError, OSError):
            continue  # a broken example is reported where it is opened, not here
        infos.append(ExampleInfo(
            entry.id, document.name, " ".join(document.description.split()),
            hierarchical=document.process == "hierarchical",
            asks=any(task.human_input for task in document.tasks)))
    return infos


async def show_welcome(view: DesignerView) -> None:
    """Fills the example cards and shows the welcome page, its first card focused (when the
    designer is on screen)."""
    _show(view, await examples(view.library))


async def show_if_empty(view: DesignerView) -> None:
    """Shows the welcome page when no crew is open and no unsaved edits wait (first start).

    Checked again once the examples are read: a crew opened meanwhile stays in view.
    """
    infos = await examples(view.library)
    if not _has_crew(view) and not view.recovered_ids:
        _show(view, infos)


def _show(view: DesignerView, infos: list[ExampleInfo]) -> None:
    view.welcome.show_examples(infos)
    view.pages.setCurrentWidget(view.welcome)
    view.show_list()  # the empty draft behind the page is not listed as a crew
    if view.welcome.isVisible():  # never focus a hidden page (the keys would go nowhere)
        view.welcome.focus_first()
