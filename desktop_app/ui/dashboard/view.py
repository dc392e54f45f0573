"""`DashboardView`: pick crews, fill their inputs, run them, and watch every run live.

The left side chooses what to run: the crews (the user's and the examples; check several
to run them together), the inputs of the crews a Run runs (the checked ones, else the
highlighted one: a field per placeholder, with its saved input sets), the run mode, a dry
run on the offline simulator, and a for-each table of the highlighted crew (typed or loaded
from a JSONL file; each crew keeps its own rows). The right side is the grid of run panels.

Values typed for a crew are kept while other crews are shown. Every crew's run (from here,
the designer or history) starts with an explicit crew id and document, never "whatever is
highlighted now", so a Run that arrives while the selection changes still runs its crew.

The view never awaits the engine: it hands `RunRequest`s to the `RunController` and shows
a panel for each `RunState` the controller announces (from here, the designer or history).
The side's widgets (and the for-each table's file loading) are `_side.py`'s, the run panels'
area `_runs_area.py`'s; this module decides what a Run runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from desktop_app.documents.model import CrewDocument
from desktop_app.storage.crew_library import CrewEntry
from desktop_app.storage.dashboard_inputs import DashboardInputsStore
from desktop_app.ui._notify import Notifier
from desktop_app.ui.controllers.run_controller import (
    PROJECT_ID_PREFIX,
    PROJECT_SNAPSHOT_KEY,
    RunController,
    RunMode,
    RunRequest,
)
from desktop_app.ui.controllers.run_state import RunState
from desktop_app.ui.dashboard._badges import model_badge
from desktop_app.ui.dashboard._choice import CrewChoice
from desktop_app.ui.dashboard._endpoints import endpoints_allowed
from desktop_app.ui.dashboard._memory import InputsMemory
from desktop_app.ui.dashboard._preflight import provider_ready
from desktop_app.ui.dashboard._runs_area import RunsArea
from desktop_app.ui.dashboard._side import DashboardSide
from desktop_app.ui.dashboard._waiting import show_in_tab_title
from desktop_app.ui.dashboard.inputs import InputsForm
from desktop_app.ui.qt import asyncSlot
from desktop_app.ui.services import AppServices

if TYPE_CHECKING:
    from desktop_app.engine.approval import Decision

__all__ = ["DashboardView"]

log = logging.getLogger(__name__)


class DashboardView(QWidget):
    """The run dashboard.

    Signals:
        settingsRequested(str): A panel asked for the settings of the provider with this id
            (its key was refused; "" when no configured provider holds the key).
        waitingChanged(int): The number of runs waiting for the person changed.
    """

    settingsRequested = Signal(str)
    waitingChanged = Signal(int)

    def __init__(
        self, services: AppServices, controller: RunController, parent: QWidget | None = None,
        *, notifier: Notifier | None = None,
    ) -> None:
        """Builds the dashboard; call `load_crews()` to fill the crew list.

        Args:
            services: Settings, the crew library and the history.
            controller: Runs the crews.
            parent: The Qt parent.
            notifier: Gives the desktop notification of a run waiting (a new one when None).
        """
        super().__init__(parent)
        self._services = services
        self._controller = controller
        self._no_inputs = InputsForm()
        self.runs = RunsArea(notifier)
        self.grid, self.summary = self.runs.grid, self.runs.summary
        self.stop_all_button, self.clear_button = self.runs.stop_all_button, self.runs.clear_button
        self._build()
        self._choice = CrewChoice(
            services, (self.picker, self.inputs_panel, self.batch, self.batch_box),
            self.show_message, self._order_tabs)
        self.memory = InputsMemory(DashboardInputsStore(services.paths), self._choice.snapshot,
                                   self)
        self._connect()
        self._order_tabs()

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("dashboardSplitter")  # remembered between sessions
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_side())
        splitter.addWidget(self.runs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def _build_side(self) -> QWidget:
        """The left side (`_side.py`); its widgets are the view's attributes too."""
        self.side = DashboardSide(self._services.current_settings.default_run_mode)
        side, box = self.side, self.side.for_each
        self.picker, self.inputs_panel, self.message = side.picker, side.inputs_panel, side.message
        self.mode, self.dry_run, self.run_button = side.mode, side.dry_run, side.run_button
        self.batch_box, self.batch = box, box.batch
        self.add_row_button, self.load_batch_button = box.add_row_button, box.load_batch_button
        self.run_batch_button = box.run_batch_button
        return side

    def _connect(self) -> None:
        self.picker.crewSelected.connect(self._on_picker_crewSelected)
        self.picker.checksChanged.connect(self._on_picker_checksChanged)
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.run_batch_button.clicked.connect(self._on_run_batch_button_clicked)
        self.stop_all_button.clicked.connect(self._on_stop_all_button_clicked)
        self.clear_button.clicked.connect(self._on_clear_button_clicked)
        self.grid.stopRequested.connect(self._controller.stop)
        self.grid.inputSubmitted.connect(self._controller.answer)
        self.grid.approvalDecided.connect(self._on_grid_approvalDecided)
        self._controller.crewSettingsSaved.connect(self._on_controller_crewSettingsSaved)
        self.grid.settingsRequested.connect(self.settingsRequested)
        self._controller.runAdded.connect(self._on_controller_runAdded)
        self._controller.runEnded.connect(self._on_controller_runEnded)
        self.runs.waitingChanged.connect(self._on_runs_waitingChanged)
        self.inputs_panel.edited.connect(self.memory.changed)
        self.batch.itemChanged.connect(self.memory.changed)
        self.picker.checksChanged.connect(self.memory.changed)

    # -- crews and inputs --------------------------------------------------------------

    async def load_crews(self) -> list[CrewEntry]:
        """Reads the crew library (off the GUI thread) and lists its crews and open projects
        (the first time, with the inputs typed for each in the last session)."""
        saved = await self.memory.load_once()
        if saved:
            self._choice.restore(saved)
        entries = await self._services.library.alist()
        entries += [CrewEntry(opened.crew_id, f"{opened.document.name} (CrewAI project)",
                              opened.root, False) for opened in self._services.projects.all()]
        self._choice.forget()
        self.picker.set_entries(entries)
        current = self.picker.current_id()
        if current is not None and current != self._choice.wanted:
            await self.select_crew(current)
        else:
            await self.show_inputs()  # the documents may have changed (the designer saved)
        return entries

    @property
    def inputs(self) -> InputsForm:
        """The inputs form of the highlighted crew (else the first shown; else an empty one)."""
        forms = self.inputs_panel.forms()
        form = forms.get(self._choice.current or "") or next(iter(forms.values()), None)
        return form if form is not None else self._no_inputs

    async def select_crew(self, crew_id: str) -> CrewDocument | None:
        """Makes `crew_id` the highlighted crew: its for-each rows, and its inputs unless
        other crews are checked (the Inputs box shows the crews a Run runs)."""
        return await self._choice.select(crew_id)

    async def show_inputs(self) -> None:
        """Shows a form per crew a Run runs (the checked ones, else the highlighted one)."""
        await self._choice.show_inputs()

    def _order_tabs(self) -> None:
        """Tab goes down the side as it reads: crews, inputs, mode, Run, dry run, for-each."""
        self.side.order_tabs()

    def _code_failed(self, crew_id: str) -> bool:
        """Says so when a trusted project's code failed to load (its runs would lack what
        the code makes); reopen the project once it is fixed."""
        opened = self._services.projects.get(crew_id)
        if opened is None or not opened.error:
            return False
        self.show_message(f"{opened.document.name} cannot run: its code failed to load: "
                          f"{opened.error}. Fix it, then open the project again.")
        return True

    def show_message(self, text: str) -> None:
        """Shows a line for the user under the Run button (empty clears it)."""
        self.message.setText(text)

    # -- running -----------------------------------------------------------------------

    def start(
        self, document: CrewDocument, inputs: dict[str, Any], crew_id: str | None = None,
        mode: RunMode | None = None,
    ) -> RunState:
        """Starts one run with the mode and dry-run choice shown in the dashboard; its panel
        gets the badge of its model (or SIMULATOR)."""
        chosen = mode or self.side.chosen_mode()
        opened = self._services.projects.get(crew_id)
        request = RunRequest(document, inputs, mode=chosen, crew_id=crew_id,
                             dry_run=self.dry_run.isChecked(),
                             project=opened.run_for(document) if opened else None)
        state = self._controller.start(request)
        settings = self._services.current_settings
        self.runs.set_badge(state.run_id, *model_badge(document, settings,
                                                       dry_run=request.dry_run))
        return state

    async def run_checked(self) -> list[RunState]:
        """Runs each checked crew once (the current crew when none is checked)."""
        self._choice.remember_typed()
        current = self._choice.current
        ids = self.picker.checked_ids() or ([current] if current else [])
        if not ids:
            self.show_message("Pick a crew to run.")
            return []
        planned: list[tuple[str, CrewDocument, dict[str, Any]]] = []
        for crew_id in ids:
            if self._code_failed(crew_id):
                return []
            document = await self._choice.document(crew_id)
            if document is None:
                return []
            values = self._choice.inputs_for(crew_id, document)
            missing = [name for name in document.placeholders() if name not in values]
            if missing:
                await self.select_crew(crew_id)
                self.show_message(f"{document.name} needs: {', '.join(missing)}.")
                return []
            planned.append((crew_id, document, values))
        if not await self._provider_ready([(i, doc) for i, doc, _values in planned]):
            return []
        if not await self._endpoints_allowed([(i, doc) for i, doc, _values in planned]):
            return []
        self.show_message("")
        self.memory.changed()
        return [self.start(document, values, crew_id) for crew_id, document, values in planned]

    async def run_crew(self, crew_id: str) -> RunState | None:
        """Runs that crew with its inputs (the designer's Run), or says why it cannot.

        The crew is read again and highlighted without a pause between highlighting and
        starting, so a selection made meanwhile (the dashboard's own refresh when its tab
        shows) cannot make it run another crew or nothing.
        """
        self._choice.forget(crew_id)
        await self.load_crews()
        document = await self._choice.document(crew_id)
        if document is None or self._code_failed(crew_id):
            return None  # both said why
        self._choice.highlight(crew_id, document)
        await self.show_inputs()
        values = self._choice.inputs_for(crew_id, document)
        missing = [name for name in document.placeholders() if name not in values]
        if missing:
            hint = "" if self.inputs_panel.form(crew_id) else " (check it to see its inputs)"
            self.show_message(f"{document.name} needs: {', '.join(missing)}{hint}. "
                              "Fill them, then Run.")
            return None
        if not await self._provider_ready([(crew_id, document)]):
            return None
        if not await self._endpoints_allowed([(crew_id, document)]):
            return None
        self.show_message("")
        return self.start(document, values, crew_id)

    async def run_batch(self) -> list[RunState]:
        """Runs the highlighted crew once per row of the for-each table."""
        crew_id = self._choice.current
        if crew_id is None:
            self.show_message("Pick a crew first.")
            return []
        if self._code_failed(crew_id):
            return []
        rows = self.batch.rows()
        document = await self._choice.document(crew_id)
        if document is None or not rows:
            self.show_message("Add rows to the table (or load a JSONL file) first.")
            return []
        base = self._choice.inputs_for(crew_id, document)
        batch = [{**base, **row} for row in rows]
        incomplete = [i + 1 for i, values in enumerate(batch)
                      if any(name not in values for name in document.placeholders())]
        if incomplete:
            self.show_message(f"Rows {', '.join(map(str, incomplete))} miss some inputs.")
            return []
        if not await self._provider_ready([(crew_id, document)]):
            return []
        if not await self._endpoints_allowed([(crew_id, document)]):
            return []
        self.show_message("")
        self.memory.changed()
        with self._controller.budgets.batch(document):  # the rows share its batch budget
            return [self.start(document, values, crew_id) for values in batch]

    async def load_batch_file(self, path: Path) -> int:
        """Fills the for-each table from a JSONL file; returns the number of rows."""
        return await self.side.for_each.load_file(path)

    async def rerun(self, run_id: str) -> RunState | None:
        """Runs again a run from the history: same crew snapshot, inputs and mode."""
        record = await self._services.history.get_run(run_id)
        if record is None:
            self.show_message("That run is no longer in the history.")
            return None
        if record.crew_snapshot.get("kind") == "flow":  # a flow run: ui.flows runs it
            from desktop_app.ui.flows._window import rerun_flow

            await rerun_flow(self, record)
            return None
        try:
            document = CrewDocument.model_validate(record.crew_snapshot)
        except ValueError as exc:
            self.show_message(f"The crew of that run cannot be read any more: {exc}")
            return None
        mode: RunMode = "kickoff_async" if record.mode == "kickoff_async" else "akickoff"
        extra = dict(document.settings.extra)
        if not await self._provider_ready([(extra.get(PROJECT_SNAPSHOT_KEY), document)]):
            return None
        project_id = extra.pop(PROJECT_SNAPSHOT_KEY, None)
        if not isinstance(project_id, str):
            allowed = await self._endpoints_allowed([(None, document)])
            return self.start(document, dict(record.inputs), None, mode) if allowed else None
        if self._services.projects.get(project_id) is None:
            folder = project_id.removeprefix(PROJECT_ID_PREFIX)
            self.show_message(f"Open the CrewAI project {folder} first (File › Open CrewAI "
                              "project…) to run it again with its code.")
            return None
        settings = document.settings.model_copy(update={"extra": extra})
        document = document.model_copy(update={"settings": settings})
        if not await self._endpoints_allowed([(project_id, document)]):
            return None
        return self.start(document, dict(record.inputs), project_id, mode)

    async def _provider_ready(self, runs: list[tuple[str | None, CrewDocument]]) -> bool:
        """Before a real run with no provider or key: Run on the simulator, or Add a key."""
        return await provider_ready(self, self._services, runs, dry_run=self.dry_run,
                                    open_settings=self.settingsRequested.emit,
                                    say=self.show_message)

    async def _endpoints_allowed(self, runs: list[tuple[str | None, CrewDocument]]) -> bool:
        """Before a real run: names the addresses a crew's file sends its prompts and keys
        to, once per crew (`_endpoints`); False (and a line saying so) on Cancel."""
        if self.dry_run.isChecked() or await endpoints_allowed(self, self._services, runs):
            return True
        self.show_message("Not run: its prompts and keys would go to addresses you did not "
                          "allow.")
        return False

    def stop_all(self) -> int:
        """Stops every queued or running run."""
        return self._controller.stop_all()

    # -- slots -------------------------------------------------------------------------

    @asyncSlot(str)
    async def _on_picker_crewSelected(self, crew_id: str) -> None:
        if crew_id != self._choice.wanted:
            await self.select_crew(crew_id)

    @asyncSlot()
    async def _on_picker_checksChanged(self) -> None:
        await self.show_inputs()

    @asyncSlot()
    async def _on_run_button_clicked(self) -> None:
        await self.run_checked()

    @asyncSlot()
    async def _on_run_batch_button_clicked(self) -> None:
        await self.run_batch()

    def _on_grid_approvalDecided(self, run_id: str, decision: str) -> None:
        if decision in ("run", "deny", "always"):
            self._controller.decide(run_id, cast("Decision", decision))

    def _on_controller_crewSettingsSaved(self, crew_id: str) -> None:
        self._choice.forget(crew_id)  # the next run reads the saved settings

    def _on_stop_all_button_clicked(self) -> None:
        self.stop_all()

    def _on_clear_button_clicked(self) -> None:
        self.grid.remove_finished()
        self.runs.update_summary()

    def _on_runs_waitingChanged(self, count: int) -> None:
        show_in_tab_title(self, count)  # "Dashboard · 2 waiting"
        self.waitingChanged.emit(count)

    def _on_controller_runAdded(self, state: RunState) -> None:
        self.runs.add_run(state)

    def _on_controller_runEnded(self, _state: RunState) -> None:
        self.grid.let_go_oldest_ended()
        self.runs.update_summary()
