"""A test hook: open a crew file, edit it in the designer without saving, run it N times.

Used by the tests and benchmarks that kill the app while crews stream
(`tests/ui/test_app_kill.py`, `benchmarks/reliability_crash_app.py`); `app.py` starts it when
`CREWDESK_AUTORUN` is set:

    CREWDESK_AUTORUN=path        the crew file (`*.crew.yaml`)
    CREWDESK_AUTORUN_COUNT=N     runs of it to start at once from the dashboard (default 1)
    CREWDESK_AUTORUN_EDIT=text   a new role for the first agent, set in the designer as typing
                                 would set it, and left unsaved

The crew is opened in the designer and saved into the library (so the dashboard can run it),
the edit is made, and the runs start through the dashboard as the Run button starts them. It
prints to stdout:

    CREWDESK_AUTORUN_EDITED=<id>   the recovery copy of the unsaved edit is on disk
    CREWDESK_RUNS=<json>           every 50 ms: {"t": epoch seconds, "received": {run id:
                                   characters of streamed text the run has received}}
    CREWDESK_AUTORUN_DONE=<statuses>  every run has ended
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.ui.designer._recovery import RECOVERY_DELAY_MS

if TYPE_CHECKING:
    from desktop_app.ui.controllers.run_state import RunState
    from desktop_app.ui.main_window import MainWindow

__all__ = ["AutoRun", "autorun"]

REPORT_INTERVAL_S = 0.05
"""Seconds between two `CREWDESK_RUNS` lines."""


@dataclass(frozen=True, slots=True)
class AutoRun:
    """What to do.

    Attributes:
        crew_file: The crew to open.
        count: How many runs of it to start.
        edit: The first agent's new role, left unsaved ("" for no edit).
    """

    crew_file: Path
    count: int = 1
    edit: str = ""


async def autorun(window: MainWindow, plan: AutoRun) -> None:
    """Opens, edits and runs the crew as `plan` says, reporting on stdout until the runs end.

    Raises:
        RuntimeError: The crew could not be opened or saved.
    """
    designer = window.designer
    await designer.ready()
    if not await designer.open_file(plan.crew_file) or not await designer.save():
        raise RuntimeError(f"could not open and save {plan.crew_file}: {designer.status()}")
    crew_id = designer.editor.crew_id
    assert crew_id is not None  # just saved
    document = designer.editor.document
    if plan.edit:
        await _edit_unsaved(window, plan.edit)
    dashboard = window.dashboard
    states = [
        dashboard.start(document, document.default_inputs(), crew_id) for _ in range(plan.count)
    ]
    await _report(states)


async def _edit_unsaved(window: MainWindow, role: str) -> None:
    """Sets the first agent's role as the form does, then waits for its recovery copy."""
    designer = window.designer
    designer.editor.set_field(("agents", 0, "role"), role)
    await asyncio.sleep(RECOVERY_DELAY_MS / 1000 + 0.2)  # the keeper's own debounced write
    await designer.flush_recovery()
    print(f"CREWDESK_AUTORUN_EDITED={designer.editor.recovery_id}", flush=True)


async def _report(states: list[RunState]) -> None:
    while True:
        received = {state.run_id: state.text_chars for state in states}
        print("CREWDESK_RUNS=" + json.dumps({"t": time.time(), "received": received}), flush=True)
        if all(state.status.is_terminal for state in states):
            break
        await asyncio.sleep(REPORT_INTERVAL_S)
    print("CREWDESK_AUTORUN_DONE=" + ",".join(state.status.value for state in states), flush=True)
