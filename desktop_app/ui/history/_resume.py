"""The offer, at start, to resume the runs a crash, a kill or the network cut off.

The history marks every run left queued or running as "interrupted" when the app starts (a
killed ``crewdesk run`` batch too: it writes each line's row at once); a run that failed
because the network cut a model call off is kept "failed" with stop reason "network"
(`storage.stop_reasons`). `offer_resumes` shows those not yet decided in a `ResumeDialog`: for each, how many tasks finished and, estimated
in the background by a rehearsal on the simulator at the crew's real models' prices
(`documents.rehearsal`), the cost of what is left. "Resume from the last finished task" runs
the crew through the run controller from its first task without an output, reusing the stored
outputs before it (they are never paid for again); "Discard" stops offering it; "Later" offers
it again at the next start. Either decision is kept in the run's `stop_reason`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.forks import ResumeOffer, RunForks
from desktop_app.ui.history._fork import with_project
from desktop_app.ui.history._table import format_started
from desktop_app.ui.widgets.fields import named
from desktop_app.ui.widgets.tasks import TaskOwner

if TYPE_CHECKING:
    from desktop_app.documents.model import CrewDocument
    from desktop_app.ui.controllers.run_controller import RunController
    from desktop_app.ui.controllers.run_state import RunState

__all__ = ["ResumeDialog", "ResumeHost", "offer_resumes"]

COLUMNS = ("Crew", "Started", "Finished", "Left to run", "Cost of what is left")
_COST_COLUMN = COLUMNS.index("Cost of what is left")


class ResumeHost(Protocol):
    """What the offer needs of the main window."""

    @property
    def services(self) -> Any: ...

    @property
    def controller(self) -> RunController: ...

    @property
    def dashboard(self) -> Any: ...

    @property
    def tabs(self) -> Any: ...


def _document(offer: ResumeOffer) -> CrewDocument:
    """The crew of the run, as it was run.

    Raises:
        ValueError: A flow, or a crew this CrewDesk cannot read; says which.
    """
    from desktop_app.documents.model import CrewDocument

    if offer.crew_snapshot.get("kind") == "flow":
        raise ValueError("a flow run cannot be resumed from a task; run the flow again")
    return CrewDocument.model_validate(offer.crew_snapshot)


async def estimate_left(offer: ResumeOffer) -> str:
    """The cost of the tasks left, from a rehearsal on the simulator priced at the crew's
    real models (the tasks before run there too, on the simulator, for nothing)."""
    from desktop_app.documents.rehearsal import dollars, rehearse, short_tokens

    rehearsal = await rehearse(_document(offer), offer.inputs)
    left = [task for task in rehearsal.tasks if task.index >= offer.finished_tasks]
    cost = sum(task.cost_usd for task in left)
    calls = sum(task.calls for task in left)
    tokens = sum(task.tokens for task in left)
    counted = f"{calls} call{'' if calls == 1 else 's'}, {short_tokens(tokens)} tokens"
    if not any(task.priced for task in left if task.calls):
        return f"{counted} (no known price for its models)"
    priced = "" if all(task.priced for task in left if task.calls) else " (some models unpriced)"
    return f"about {dollars(cost)}: {counted}{priced}"


class ResumeDialog(QDialog):
    """The interrupted runs, to resume or discard; open it with `open()`.

    Attributes:
        offers: The runs still listed, by row.
        started: The runs resumed from here (their `RunState`s).
    """

    def __init__(self, host: ResumeHost, offers: list[ResumeOffer],
                 parent: QWidget | None = None) -> None:
        """Lists `offers`; estimating their costs starts at once (an owned task)."""
        super().__init__(parent)
        self.setObjectName("resumeDialog")
        self.setWindowTitle("Resume interrupted runs")
        self._host = host
        self._forks = RunForks(host.services.history)
        self._tasks = TaskOwner(lambda error: self.status.setText(f"Failed: {error}"))
        self.offers = list(offers)
        self.started: list[RunState] = []
        self.table = named(QTableWidget(0, len(COLUMNS)), "resumeTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.status = named(QLabel(), "resumeStatus")
        self.status.setWordWrap(True)
        self._fill()
        self._layout()
        self.table.selectAll()
        self.estimated = self._tasks.spawn(self.estimate_all())

    def _fill(self) -> None:
        self.table.setRowCount(len(self.offers))
        for row, offer in enumerate(self.offers):
            left = max(0, offer.task_count - offer.finished_tasks)
            cells = (offer.crew_name, format_started(offer.started_at),
                     f"{offer.finished_tasks} of {offer.task_count} tasks",
                     f"{left} task{'s' if left != 1 else ''}", "estimating…")
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _layout(self) -> None:
        intro = named(QLabel(
            "These runs were cut off when CrewDesk or crewdesk run stopped, or when the network "
            "dropped during a model call (no connection, no answer in time, or a broken "
            "stream). Resuming runs each from its first unfinished task; the finished tasks "
            "keep their outputs and are not paid for again."), "resumeIntro")
        intro.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for text, name, slot in (
            ("Resume from the last finished task", "resumeRuns",
             lambda: self._tasks.spawn(self.resume_selected())),
            ("Discard", "discardRuns", lambda: self._tasks.spawn(self.discard_selected())),
            ("Later", "resumeLater", self.reject),
        ):
            button = named(QPushButton(text), name)
            button.clicked.connect(slot)
            self.buttons[name] = button
            row.addWidget(button)
        column = QVBoxLayout(self)
        column.addWidget(intro)
        column.addWidget(self.table, 1)
        column.addWidget(self.status)
        column.addLayout(row)
        self.resize(820, 360)

    def cost_text(self, row: int) -> str:
        """The estimate shown for a row."""
        item = self.table.item(row, _COST_COLUMN)
        return item.text() if item is not None else ""

    async def estimate_all(self) -> None:
        """Fills each row's cost of what is left (one rehearsal at a time)."""
        for offer in list(self.offers):
            try:
                text = await estimate_left(offer)
            except Exception as exc:  # noqa: BLE001 - an estimate that fails says so, in its row
                text = f"unknown ({exc})"
            if offer in self.offers:
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(self.offers.index(offer), _COST_COLUMN, item)

    def _selected(self) -> list[ResumeOffer]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [self.offers[row] for row in rows] or list(self.offers[:1])

    def _remove(self, offer: ResumeOffer) -> None:
        row = self.offers.index(offer)
        self.offers.pop(row)
        self.table.removeRow(row)

    async def resume_selected(self) -> list[RunState]:
        """Resumes the selected runs (all, at first) through the run controller."""
        started: list[RunState] = []
        problems: list[str] = []
        for offer in self._selected():
            try:
                started.append(await self._resume(offer))
            except ValueError as exc:
                problems.append(f"{offer.crew_name}: {exc}")
                continue
            self._remove(offer)
        self.started.extend(started)
        self.status.setText("\n".join(problems))
        if started:
            self._host.tabs.setCurrentWidget(self._host.dashboard)
        if not self.offers:
            self.accept()
        return started

    async def _resume(self, offer: ResumeOffer) -> RunState:
        from desktop_app.ui.controllers.run_controller import RunMode, RunRequest

        if offer.task_count and offer.finished_tasks >= offer.task_count:
            raise ValueError("every task finished; there is nothing left to run")
        crew_id, project, document = with_project(self._host.services.projects,
                                                  _document(offer))
        _record, reuse = await self._forks.reuse_from(offer.run_id, offer.finished_tasks)
        mode: RunMode = (
            "kickoff_async" if offer.mode.replace("-", "_").endswith("kickoff_async")
            else "akickoff"
        )
        request = RunRequest(
            document, offer.inputs, mode=mode, crew_id=crew_id, project=project,
            dry_run=self._host.dashboard.dry_run.isChecked(), reuse=reuse,
            fork_of=(offer.run_id, offer.finished_tasks),
        )
        return self._host.controller.start(request)  # marks the run "resumed" when recorded

    async def discard_selected(self) -> int:
        """Stops offering the selected runs (they stay in History, interrupted)."""
        chosen = self._selected()
        for offer in chosen:
            await self._forks.decide(offer.run_id, "discarded")
            self._remove(offer)
        if not self.offers:
            self.accept()
        return len(chosen)

    def done(self, result: int) -> None:  # Qt override
        """Stops the estimates when the dialog closes (closing it by its window's
        button ends here too: QDialog turns that close into `reject()`)."""
        self._tasks.cancel_all()
        super().done(result)


async def offer_resumes(host: ResumeHost) -> ResumeDialog | None:
    """Shows the interrupted runs not yet decided (None, and nothing shown, when there are
    none). Call once the window is up: the dialog is window-modal, opened with `open()`."""
    offers = await RunForks(host.services.history).offers()
    if not offers:
        return None
    parent = host if isinstance(host, QWidget) else None
    dialog = ResumeDialog(host, offers, parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    return dialog
