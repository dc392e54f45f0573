"""`DesignerView`: the list of crews beside the editor of the selected crew.

The view owns a `CrewEditor` (the document, its undo stack, its unsaved state) and shows it in
a canvas (nodes and edges, `canvas.CrewCanvas`) beside three tabs (crew, agents, tasks) that
inspect the selected node. Every
change is kept in a recovery copy (debounced, written in a worker thread), so that unsaved
edits survive a crash; they are offered back when the designer starts.

All file work goes through the `CrewLibrary`'s async wrappers; questions use `ask()` (a
non-blocking dialog and a future), never a nested event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QStackedWidget, QTabWidget, QWidget

from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CrewDocument
from desktop_app.storage.crew_library import (
    CrewEntry,
    CrewLibrary,
    RecoveryEntry,
    new_draft_id,
)
from desktop_app.ui._welcome import WelcomeView
from desktop_app.ui.dashboard._endpoints import remember_typed_endpoints
from desktop_app.ui.designer import (
    _edits,
    _problems,
    _view_canvas,
    _view_files,
    _view_layout,
    _view_projects,
    _view_recovery,
)
from desktop_app.ui.designer._agent_form import AgentForm
from desktop_app.ui.designer._bars import DIRTY_MARK, Banner, CrewList, RecoveryBanner
from desktop_app.ui.designer._editor import CrewEditor, SnapshotCommand
from desktop_app.ui.designer._pages import CrewPage, ItemsPage
from desktop_app.ui.designer._project import ProjectPanel, lock_form
from desktop_app.ui.designer._recovery import RecoveryKeeper
from desktop_app.ui.designer._safety import keep_approval
from desktop_app.ui.designer._task_form import TaskForm
from desktop_app.ui.designer._tool_host import ServicesToolHost
from desktop_app.ui.designer.canvas import CrewCanvas
from desktop_app.ui.projects._session import OpenProject
from desktop_app.ui.widgets.ask import ask
from desktop_app.ui.widgets.protocols import ServicesLike
from desktop_app.ui.widgets.read_only import set_read_only
from desktop_app.ui.widgets.tasks import TaskOwner

_Button = QMessageBox.StandardButton


class DesignerView(QWidget):
    """Lists the crews and edits the selected one.

    Attributes:
        editor: The crew being designed (document, undo stack, unsaved state).

    Signals:
        runRequested(str): The user asked to run the crew with this id (saved first).
        dirtyChanged(bool): The open crew now has (True) or no longer has unsaved changes.
    """

    runRequested = Signal(str)
    dirtyChanged = Signal(bool)

    undo_action: QAction
    redo_action: QAction
    buttons: dict[str, QPushButton]
    welcome: WelcomeView  # shown instead of the editor when no crew is open (_view_layout)
    pages: QStackedWidget  # the editor (0) or the welcome page

    def __init__(self, services: ServicesLike, parent: QWidget | None = None) -> None:
        """Builds the view; it loads the crew list once the event loop runs (see `ready`).

        Args:
            services: The app's services (`library`, `settings` are used).
            parent: The Qt parent.
        """
        super().__init__(parent)
        self._services = services
        self.library: CrewLibrary = services.library
        self._tasks = TaskOwner(self._on_task_failed)  # the view's asyncio tasks
        self._entries: list[CrewEntry] = []
        self.recovered: list[RecoveryEntry] = []  # offered back at start
        self._start_task: asyncio.Task[None] | None = None
        self.import_handler: Callable[[Path], Awaitable[object]] | None = None
        self.editor = CrewEditor(self)
        self.editor.draft_id = new_draft_id()
        self.recovery = RecoveryKeeper(self.editor, self.library, self._on_task_failed)
        self._build()
        self.editor.documentChanged.connect(self._on_editor_document_changed)
        self.editor.dirtyChanged.connect(self._on_editor_dirty_changed)
        self._on_editor_document_changed()
        QTimer.singleShot(0, self, self._on_start_timer)

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.crew_list = CrewList()
        self.crew_list.crewActivated.connect(self._on_crew_list_crew_activated)
        self.crew_list.newRequested.connect(lambda: self._tasks.spawn(self.new_crew()))
        self.crew_list.deleteRequested.connect(
            lambda crew_id: self._tasks.spawn(self.delete_crew(crew_id, confirm=True))
        )
        self.crew_list.openFileRequested.connect(
            lambda: self._tasks.spawn(_view_files.choose_file(self)))
        self.crew_list.importRequested.connect(
            lambda: self._tasks.spawn(_view_files.choose_import(self)))
        self.recovery_banner = RecoveryBanner()
        self.recovery_banner.restoreRequested.connect(
            lambda crew_id: self._tasks.spawn(self.restore_recovery(crew_id))
        )
        self.recovery_banner.discardRequested.connect(
            lambda crew_id: self._tasks.spawn(self.discard_recovery(crew_id))
        )
        self.example_banner = Banner("exampleBanner")
        self.example_banner.label.setText("This example is read-only: save a copy to change it.")
        self.example_banner.add_button("Save a copy", "saveCopy").clicked.connect(
            lambda: self._tasks.spawn(self.save_as())
        )
        self.crew_page = CrewPage(self.editor, self._tasks)
        self.crew_page.problems_list.placeActivated.connect(partial(_problems.jump_to, self))
        self.agent_form = AgentForm(self.editor, self._tasks)
        self.agent_form.tool_picker.set_host(ServicesToolHost(self._services, self.editor))
        self.task_form = TaskForm(self.editor)
        self.agents_page = ItemsPage(self.editor, "agents", self.agent_form,
                                     self._show_agent)
        self.tasks_page = ItemsPage(self.editor, "tasks", self.task_form, self._show_task)
        self.project_panel = ProjectPanel()
        self.tasks_page.items_list.currentRowChanged.connect(self._on_tasks_list_row_changed)
        self.canvas = CrewCanvas(self.editor)
        self.canvas.nodeSelected.connect(lambda ref: _view_canvas.show_node(self, ref))
        self.canvas.message.connect(self.say)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.crew_page, "Crew")
        self.tabs.addTab(self.agents_page, "Agents")
        self.tabs.addTab(self.tasks_page, "Tasks")
        self.status_label = QLabel()
        self.status_label.setObjectName("designerStatus")
        self.status_label.setWordWrap(True)
        _view_layout.lay_out(self, _view_layout.build_toolbar(self))

    # -- showing -----------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Whether the open crew has unsaved changes."""
        return self.editor.dirty

    def title(self) -> str:
        """The open crew's name, with "•" when it has unsaved changes."""
        name = self.editor.document.name or "Untitled crew"
        return f"{name} {DIRTY_MARK}" if self.editor.dirty else name

    def status(self) -> str:
        """The last status message (saved, errors ...)."""
        return self.status_label.text()

    @property
    def recovered_ids(self) -> list[str]:
        """Ids of the recovery copies found at start and not yet restored or discarded."""
        return [entry.id for entry in self.recovered]

    def say(self, text: str) -> None:
        """Shows a status line (saved, opened, errors ...)."""
        self.status_label.setText(text)

    def _on_editor_document_changed(self) -> None:
        doc = self.editor.document
        issues, notes = self.editor.issues(), _problems.notes_for(self)
        grouped = _edits.issues_by_field(issues + [(note.loc, note.message) for note in notes])
        self.crew_page.refresh(doc, issues, notes)
        self.agents_page.refresh(doc, grouped)
        self.tasks_page.refresh(doc, grouped)
        self._follow_project(doc)
        self.setWindowTitle(self.title())
        self.buttons["run"].setToolTip(
            f"Fix {len(issues)} problem(s) first" if issues else "Save and run this crew"
        )
        self._show_read_only()

    def _show_agent(self, doc: CrewDocument, index: int, issues: Mapping[_edits.Loc, Sequence[str]]) -> None:
        self.agent_form.show_agent(doc, index, issues)
        self._lock_form(self.agent_form, "agents", doc.agents[index].key
                        if 0 <= index < len(doc.agents) else None)

    def _show_task(self, doc: CrewDocument, index: int, issues: Mapping[_edits.Loc, Sequence[str]]) -> None:
        self.task_form.show_task(doc, index, issues)
        self._lock_form(self.task_form, "tasks", doc.tasks[index].key
                        if 0 <= index < len(doc.tasks) else None)

    def _lock_form(self, form: AgentForm | TaskForm, kind: str, key: str | None) -> None:
        lock_form(form, self.open_project, kind, key)

    def _show_read_only(self) -> None:
        coded = self.open_project is not None  # a project's crew settings: in its code
        pages: list[QWidget] = [self.crew_page, self.agents_page, self.tasks_page]
        for page in pages:  # read-only, yet readable (not greyed out)
            set_read_only(page, self.editor.read_only or (coded and page is self.crew_page),
                          [self.crew_page.memory_button])
        if self.open_project is not None:
            self.crew_page.setToolTip("A CrewAI project's crew settings live in its code "
                                      "(crew.py): change them there.")
        else:
            self.crew_page.setToolTip("")
        self.example_banner.setVisible(self.editor.read_only)
        self.canvas.set_locks(_view_canvas.canvas_locks(self))

    def _on_editor_dirty_changed(self, dirty: bool) -> None:
        self.setWindowTitle(self.title())
        self._show_read_only()
        self.show_list()
        self.dirtyChanged.emit(dirty)

    def show_list(self) -> None:
        """Lists the library's crews and the open CrewAI projects, the open crew marked."""
        draft = self.editor.document.name or "Untitled crew"
        unsaved = self.editor.dirty or (self.editor.crew_id is None  # none on the welcome page
                                        and self.pages.currentWidget() is not self.welcome)
        projects = _view_projects.project_entries(self._services)
        self.crew_list.show_entries([*self._entries, *projects], self.editor.crew_id,
                                    draft if unsaved else None)

    def _on_tasks_list_row_changed(self, row: int) -> None:
        _view_canvas.show_task_row(self, row)

    def _on_crew_list_crew_activated(self, crew_id: str) -> None:
        if crew_id == self.editor.crew_id:
            return
        opened = self._services.projects.get(crew_id)
        self._tasks.spawn(self.open_crew(crew_id) if opened is None
                          else self.show_project(opened))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Runs `coro` as a task of the view (cancelled on close; a failure is shown)."""
        self._tasks.spawn(coro)

    def _on_task_failed(self, error: BaseException) -> None:
        self.say(f"Failed: {error}")

    # -- CrewAI projects ----------------------------------------------------------------

    @property
    def services(self) -> ServicesLike:
        """The app's services the view was built on."""
        return self._services

    @property
    def open_project(self) -> OpenProject | None:
        """The CrewAI project the designer shows, if it shows one."""
        return self._services.projects.get(self.editor.crew_id)

    def _follow_project(self, doc: CrewDocument) -> None:
        opened = self.open_project
        if opened is None:
            self.project_panel.hide()
            return
        if doc.settings.approval != opened.document.settings.approval:
            self._tasks.spawn(keep_approval(self._services, opened.crew_id,
                                            doc.settings.approval))
        opened.document = doc  # runs use the designer's values, saved or not

    async def show_project(self, opened: OpenProject) -> bool:
        """Shows an open CrewAI project (after asking about unsaved changes)."""
        return await _view_projects.show_project(self, opened)

    def show_project_error(self, path: Path, message: str) -> None:
        """Says why the project at ``path`` could not be opened."""
        self.say(f"Cannot open the CrewAI project {path}:\n{message}")

    # -- start -------------------------------------------------------------------------

    def _on_start_timer(self) -> None:
        if self._start_task is None:
            self._start_task = self._tasks.spawn(self._start())

    async def ready(self) -> None:
        """Waits until the crew list, the credentials and the recovery copies are loaded."""
        if self._start_task is None:
            self._start_task = self._tasks.spawn(self._start())
        if self._start_task is not None:
            await asyncio.shield(self._start_task)

    async def _start(self) -> None:
        await self.refresh()
        self.recovered = await self.library.alist_recovery()
        self.recovery_banner.show_entries(self.recovered)

    async def refresh(self) -> None:
        """Reloads the list of crews and the credential names of the configured providers.

        Call it after the settings changed (`SettingsDialog.settingsChanged`).
        """
        self._entries = await self.library.alist()
        self.show_list()
        loaded = await self._services.settings.aload()
        names = [p.credential_name for p in loaded.settings.providers if p.credential_name]
        self.agent_form.set_credentials(names)
        await self.agent_form.tool_picker.refresh(force=True)  # MCP servers may have changed

    # -- opening -----------------------------------------------------------------------

    async def confirm_discard(self) -> bool:
        """Asks what to do with unsaved changes before they would be replaced.

        Returns:
            True when it is fine to go on (saved, or discarded), False to stay.
        """
        if not self.editor.dirty:
            return True
        answer = await ask(
            self, "Unsaved changes",
            f"“{self.editor.document.name}” has unsaved changes. Save them?",
            _Button.Save | _Button.Discard | _Button.Cancel, _Button.Save,
        )
        if answer == _Button.Save:
            return await self.save()
        if answer == _Button.Discard:
            await self.recovery.drop(self.editor.recovery_id)
            return True
        return False

    async def open_crew(self, crew_id: str) -> bool:
        """Opens a crew of the library (after asking about unsaved changes).

        Returns:
            True when it was opened.
        """
        if not await self.confirm_discard():
            self.show_list()
            return False
        try:
            doc = await self.library.aload(crew_id)
        except (CrewFileError, ValueError) as exc:
            self.say(f"Cannot open this crew:\n{exc}")
            self.show_list()
            return False
        self.editor.open(doc, crew_id=crew_id, read_only=self.library.is_example(crew_id))
        self.show_list()
        self.say(f"Opened {doc.name}.")
        return True

    async def new_crew(self, doc: CrewDocument | None = None, note: str = "") -> bool:
        """Starts a new, unsaved crew (empty, or `doc` from an import or a file)."""
        if not await self.confirm_discard():
            return False
        document = _edits.new_document() if doc is None else doc
        self.editor.open(document, crew_id=None, draft_id=new_draft_id(), dirty=True)
        self.tabs.setCurrentWidget(self.crew_page)
        self.show_list()
        self.say(note or "New crew: give it a name, agents and tasks, then save.")
        return True

    async def open_file(self, path: Path) -> bool:
        """Opens a `.crew.yaml` file from anywhere as a new crew (saved into the library)."""
        return await _view_files.open_file(self, path)

    async def import_crewai(self, path: Path) -> bool:
        """Imports a CrewAI project as a new, unsaved crew; notices go to the status line."""
        return await _view_files.import_crewai(self, path)

    async def export_crewai(self, folder: Path) -> bool:
        """Writes the open crew as a CrewAI project into `folder` (a new subfolder named after
        the crew when `folder` already holds files) and says where it went."""
        return await _view_files.export_crewai(self, folder)

    # -- saving ------------------------------------------------------------------------

    async def save(self) -> bool:
        """Saves the open crew (an example or a new crew as a new crew).

        Returns:
            True when it is saved; False when it has problems or cannot be written.
        """
        opened = self.open_project
        if opened is not None:
            return await _view_projects.save_project(self, opened)
        if self.editor.read_only or self.editor.crew_id is None:
            return await self.save_as()
        if not self.editor.dirty:
            return True
        return await self._save_to(self.editor.crew_id)

    async def save_as(self) -> bool:
        """Saves the open crew as a new crew of the library (a copy)."""
        return await self._save_to(None)

    async def _save_to(self, crew_id: str | None) -> bool:
        doc = self.editor.document
        issues = self.editor.issues()
        if issues:
            self.tabs.setCurrentWidget(self.crew_page)
            self.say(f"Not saved: fix {len(issues)} problem(s) first (see Problems).")
            return False
        old_recovery = self.editor.recovery_id
        opened = self._opened_document()
        try:
            saved_id = await self.library.asave(doc, crew_id)
        except (CrewFileError, ValueError) as exc:
            self.say(f"Not saved:\n{exc}")
            return False
        if self.editor.document == doc:
            self.recovery.cancel_pending()
            self.editor.mark_saved(saved_id)
            if old_recovery != saved_id:
                await self.recovery.drop(old_recovery)
            await self.recovery.drop(saved_id)
        self._show_read_only()
        await remember_typed_endpoints(self._services, saved_id, opened, doc)
        await self.refresh()
        self.say(f"Saved {doc.name}.")
        return True

    def take_saved_always(self, crew_id: str) -> None:
        """A run's "Always" was saved into this crew's settings: the open crew takes it too
        (an undoable step that leaves a saved crew saved), so a later save keeps it."""
        if self.editor.crew_id != crew_id or self.editor.document.settings.approval == "always":
            return
        was_saved = not self.editor.dirty
        self.editor.set_field(("settings", "approval"), "always", "Always (from a run)")
        if was_saved:
            self.editor.mark_saved(crew_id)

    def _opened_document(self) -> CrewDocument:
        """The crew as it was opened (before the first edit still on the undo stack)."""
        stack = self.editor.undo_stack
        first = stack.command(0) if stack.count() else None
        return first.before if isinstance(first, SnapshotCommand) else self.editor.document

    async def delete_crew(self, crew_id: str, *, confirm: bool = False) -> bool:
        """Deletes a crew of the library (examples cannot be deleted)."""
        if self.library.is_example(crew_id):
            self.say("Examples cannot be deleted.")
            return False
        if confirm:
            answer = await ask(self, "Delete crew", f"Delete the crew “{crew_id}” for good?",
                               _Button.Yes | _Button.No, _Button.No)
            if answer != _Button.Yes:
                return False
        await self.library.adelete(crew_id)
        if self.editor.crew_id == crew_id:
            self.editor.open(self.editor.document, crew_id=None, draft_id=new_draft_id(),
                             dirty=True)
        await self.refresh()
        self.say(f"Deleted {crew_id}.")
        return True

    async def run(self) -> bool:
        """Saves the crew if needed, then asks the app to run it (`runRequested`).

        A CrewAI project runs with the designer's values as they are, saved or not."""
        opened = self.open_project
        if opened is not None:
            if self.editor.issues():
                self.say(f"Fix {len(self.editor.issues())} problem(s) first.")
                return False
            self.runRequested.emit(opened.crew_id)
            return True
        needs_save = self.editor.dirty or self.editor.crew_id is None
        if not self.editor.read_only and needs_save and not await self.save():
            return False
        crew_id = self.editor.crew_id
        if crew_id is None:
            return False
        self.runRequested.emit(crew_id)
        return True

    # -- recovery copies ---------------------------------------------------------------

    async def flush_recovery(self) -> None:
        """Writes the recovery copy now if an edit is waiting for it."""
        await self.recovery.flush()

    async def restore_recovery(self, recovery_id: str) -> bool:
        """Opens recovered edits as unsaved changes; undo goes back to the saved crew."""
        return await _view_recovery.restore_recovery(self, recovery_id)

    async def discard_recovery(self, recovery_id: str) -> None:
        """Throws away a recovery copy offered at start."""
        await _view_recovery.discard_recovery(self, recovery_id)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override  # noqa: N802
        """Keeps a recovery copy of unsaved edits, then stops the view's tasks."""
        self.recovery.write_now()
        self._tasks.cancel_all()
        super().closeEvent(event)
