"""`CrewChoice`: what the dashboard's side shows, and the values kept for each crew.

It holds the highlighted crew, the crew documents read so far, the values typed per crew
and the for-each rows per crew, and drives the widgets it is given (the picker, the inputs
panel and the for-each table): the Inputs box shows the crews a Run runs (the checked ones,
else the highlighted one), and switching crews never blanks what was typed for another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QGroupBox

from desktop_app.documents.model import CrewDocument
from desktop_app.storage.dashboard_inputs import CrewInputs
from desktop_app.ui.dashboard.inputs import BatchTable, CrewPicker, InputsPanel
from desktop_app.ui.services import AppServices

__all__ = ["CrewChoice"]


class CrewChoice:
    """The dashboard's choice of crews and what was typed for each.

    Attributes:
        current: The highlighted crew's id.
        wanted: The crew being highlighted (its document may still be read).
    """

    def __init__(
        self,
        services: AppServices,
        widgets: tuple[CrewPicker, InputsPanel, BatchTable, QGroupBox],
        say: Callable[[str], None],
        rebuilt: Callable[[], None],
    ) -> None:
        """Keeps the widgets to drive.

        Args:
            services: The crew library and the open projects.
            widgets: The picker, the inputs panel, the for-each table and its box.
            say: Shows a line to the user (an unreadable crew).
            rebuilt: Called after the inputs panel made new forms (the tab order).
        """
        self._services = services
        self._picker, self._panel, self._batch, self._batch_box = widgets
        self._say = say
        self._rebuilt = rebuilt
        self._documents: dict[str, CrewDocument] = {}
        self._typed: dict[str, dict[str, Any]] = {}
        self._batch_rows: dict[str, list[dict[str, Any]]] = {}
        self.current: str | None = None
        self.wanted: str | None = None

    def forget(self, crew_id: str | None = None) -> None:
        """Forgets a crew's document read before (every one when None): read it again."""
        if crew_id is None:
            self._documents.clear()
        else:
            self._documents.pop(crew_id, None)

    def cached(self, crew_id: str) -> CrewDocument | None:
        """A crew's document if it is at hand (an open project's, or one read before)."""
        opened = self._services.projects.get(crew_id)
        return opened.document if opened is not None else self._documents.get(crew_id)

    async def document(self, crew_id: str) -> CrewDocument | None:
        """A crew's document, read once (off the GUI thread); None, said, if unreadable."""
        opened = self._services.projects.get(crew_id)
        if opened is not None:  # the designer's values, saved or not
            return opened.document
        if crew_id not in self._documents:
            try:
                self._documents[crew_id] = await self._services.library.aload(crew_id)
            except Exception as exc:  # noqa: BLE001 - any unreadable crew is reported the same
                self._say(f"Cannot open the crew {crew_id}: {exc}")
                return None
        return self._documents[crew_id]

    async def select(self, crew_id: str) -> CrewDocument | None:
        """Highlights a crew once its document is read (unless another was picked since)."""
        self.wanted = crew_id
        document = await self.document(crew_id)
        if document is None or self.wanted != crew_id:
            return None
        self.highlight(crew_id, document)
        await self.show_inputs()
        return document

    def highlight(self, crew_id: str, document: CrewDocument) -> None:
        """Makes a crew the current one at once (no await): picker, for-each table."""
        if self.current is not None and self.current != crew_id:
            self._batch_rows[self.current] = self._batch.rows()
        changed = self.current != crew_id
        self.wanted = self.current = crew_id
        self._picker.select(crew_id)
        self._batch.set_placeholders(document.placeholders())
        if changed:
            self._batch.set_rows(self._batch_rows.get(crew_id, []))
        self._batch_box.setTitle(f"For each: {document.name} (one run per row)")

    def input_ids(self) -> list[str]:
        """The crews whose inputs the Inputs box shows: those a Run runs."""
        checked = self._picker.checked_ids()
        if checked:
            return checked
        return [self.current] if self.current in self._picker.ids() else []

    async def show_inputs(self) -> None:
        """Shows a form per crew a Run runs (the checked ones, else the highlighted one).

        Reads missing documents first; whatever the selection is once they are read is
        shown, so calls that overlap all end on the latest selection.
        """
        failed: set[str] = set()
        while True:
            wanted = [crew_id for crew_id in self.input_ids() if crew_id not in failed]
            missing = [crew_id for crew_id in wanted if self.cached(crew_id) is None]
            if not missing:
                break
            for crew_id in missing:
                if await self.document(crew_id) is None:
                    failed.add(crew_id)
        self.remember_typed()
        crews = []
        for crew_id in wanted:
            document = self.cached(crew_id)
            assert document is not None
            crews.append((crew_id, document,
                          self._typed.get(crew_id, document.default_inputs())))
        if self._panel.show_crews(crews):
            self._rebuilt()

    def remember_typed(self) -> None:
        """Keeps the values of every form shown, for when its crew shows again."""
        for crew_id, form in self._panel.forms().items():
            self._typed[crew_id] = form.values()

    def snapshot(self) -> dict[str, CrewInputs]:
        """What was typed for each crew (form values and for-each rows), to be remembered
        between sessions (`desktop_app.storage.dashboard_inputs`)."""
        self.remember_typed()
        if self.current is not None:
            self._batch_rows[self.current] = self._batch.rows()
        ids = [*self._typed, *(i for i in self._batch_rows if i not in self._typed)]
        return {crew_id: CrewInputs(values=self._typed.get(crew_id, {}),
                                    rows=self._batch_rows.get(crew_id, []))
                for crew_id in ids}

    def restore(self, saved: dict[str, CrewInputs]) -> None:
        """Takes the values and rows of an earlier session, for the crews not typed for in
        this one; the highlighted crew's for-each table shows its rows."""
        for crew_id, inputs in saved.items():
            if inputs.values:
                self._typed.setdefault(crew_id, dict(inputs.values))
            if inputs.rows:
                self._batch_rows.setdefault(crew_id, [dict(row) for row in inputs.rows])
        if self.current in saved and not self._batch.rows():
            self._batch.set_rows(self._batch_rows.get(self.current, []))

    def inputs_for(self, crew_id: str, document: CrewDocument) -> dict[str, Any]:
        """A crew's inputs: its form's, else those typed before, else its first input set."""
        form = self._panel.form(crew_id)
        if form is not None:
            return form.values()
        return self._typed.get(crew_id, document.default_inputs())
