"""Pictures a branching flow mid-run on a real X display (run by `test_flow_screenshot`).

    python tests/ui/_flow_shot.py <flow project> <picture.png> <app home>

Opens the project's code, starts a dry run (the offline simulator streams at a readable
pace), waits until the router has picked the "long" branch and its crew is streaming, saves
the panel's picture, prints ``FLOW_SHOT_SAVED=<path>`` and the nodes' states as
``FLOW_SHOT_NODES=<json>``, then stops the run.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import PySide6.QtWidgets  # noqa: F401 - qasync must find PySide6 first
import qasync
from PySide6.QtWidgets import QApplication

from desktop_app.storage.paths import AppPaths
from desktop_app.ui.controllers.flow_controller import FlowController, load_flow_project
from desktop_app.ui.controllers.flow_state import FlowRunState, NodeStatus
from desktop_app.ui.flows.flow_panel import FlowPanel
from desktop_app.ui.services import AppServices


def _mid_run(state: FlowRunState, panel: FlowPanel) -> bool:
    """The router took "long" and its crew's text is showing."""
    return (state.nodes["write_long"] is NodeStatus.RUNNING and bool(panel.streams)
            and len(next(iter(panel.streams.values())).toPlainText()) > 40)


async def picture(root: Path, out: Path, home: Path) -> None:
    services = AppServices(AppPaths.under(home))
    await services.start()
    opened = await asyncio.to_thread(load_flow_project, root, True)
    controller = FlowController(services)
    state = controller.start(opened, {"topic": "cats"}, dry_run=True)
    panel = FlowPanel(state, opened.crews)
    panel.resize(1200, 760)
    panel.show()
    async with asyncio.timeout(60):
        while not _mid_run(state, panel):  # noqa: ASYNC110 - polls widgets, no event
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    out.parent.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(out)), "the picture was not saved"
    nodes = {name: status.value for name, status in state.nodes.items()}
    print(f"FLOW_SHOT_SAVED={out}")
    print(f"FLOW_SHOT_NODES={json.dumps(nodes)}", flush=True)
    await controller.aclose()
    await services.close()


def main() -> None:
    root, out, home = (Path(arg) for arg in sys.argv[1:4])
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(picture(root, out, home))


if __name__ == "__main__":
    main()
