"""Does the designer's canvas stay smooth while a node is dragged and crews stream?

The real `MainWindow` (offscreen) shows the Designer with a 60-node crew (30 agents, 30 tasks
with their default context edges) while N one-task crews stream at R tokens/s from the LLM
simulator through the dashboard (as `ui_streaming.py` runs them). Meanwhile a node is dragged
on the canvas: a mouse move every 16 ms (the button held) along a circle, let go at the end.
A 5 ms `QTimer` measures how late the GUI thread serves it: p50/p99/max lateness.

Target (issue 14): 20 crews at 200 tokens/s, dragging a node on a 60-node canvas: p99 <= 16 ms.

Usage: ``uv run python benchmarks/canvas_drag.py [--crews 20] [--tps 200] [--seconds 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import keyring  # noqa: E402
from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.ui_streaming import LatenessProbe, configure, crew  # noqa: E402
from desktop_app.simulator import SimulatorConfig, SimulatorProcess  # noqa: E402
from desktop_app.storage.paths import AppPaths  # noqa: E402
from desktop_app.storage.testing import MemoryKeyring  # noqa: E402
from desktop_app.ui.designer import _edits  # noqa: E402
from desktop_app.ui.designer.canvas import CrewCanvas, NodeRef  # noqa: E402
from desktop_app.ui.main_window import MainWindow  # noqa: E402
from desktop_app.ui.qt import QEventLoop  # noqa: E402
from desktop_app.ui.services import AppServices  # noqa: E402


def big_crew() -> _edits.CrewDocument:
    """30 agents and 30 tasks (task i done by agent i), each task with CrewAI's default
    context: 435 dashed context edges besides the 30 assignments."""
    doc = _edits.new_document("Sixty nodes")
    for _ in range(29):
        doc = _edits.add_agent(_edits.add_task(doc))
    for index, task in enumerate(doc.tasks):
        task.agent = doc.agents[index].key
    return doc


def _mouse(canvas: CrewCanvas, kind: QEvent.Type, scene_point: QPointF) -> None:
    viewport = canvas.view.viewport()
    local = QPointF(canvas.view.mapFromScene(scene_point))
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease \
        else Qt.MouseButton.LeftButton
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(local.toPoint())), button,
                        held, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)


async def drag_node(canvas: CrewCanvas, seconds: float) -> int:
    """Drags task 15 around a circle for ``seconds`` (a move every 16 ms); returns the moves."""
    item = canvas.scene.nodes[NodeRef("task", 15)]
    start = item.mapToScene(item.box().center())
    _mouse(canvas, QEvent.Type.MouseButtonPress, start)
    moves, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        angle = elapsed * 2.0
        point = start + QPointF(150 * math.sin(angle), 120 * (1 - math.cos(angle)))
        _mouse(canvas, QEvent.Type.MouseMove, point)
        moves += 1
        await asyncio.sleep(0.016)
    _mouse(canvas, QEvent.Type.MouseButtonRelease, start + QPointF(40, 0))
    return moves


async def run(window: MainWindow, crews: int, tps: float, seconds: float) -> str:
    canvas = window.designer.canvas
    probe = LatenessProbe()
    probe.start()
    states = [window.dashboard.start(crew(i, tps, int(tps * seconds)), {}, mode="akickoff")
              for i in range(crews)]
    moves = await drag_node(canvas, seconds * 0.8)
    await asyncio.gather(*(window.controller.wait(state) for state in states))
    probe.stop()
    late = sorted(probe.samples)
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    moved = "task:task_16" in window.designer.editor.document.layout
    return (f"{crews} crews x {tps:g} tok/s while dragging a node {moves} times on a "
            f"{len(canvas.scene.nodes)}-node canvas ({len(canvas.scene.edges)} edges): 5 ms "
            f"timer lateness p50 {statistics.median(late):.1f} ms, p99 {p99:.1f} ms, max "
            f"{late[-1]:.1f} ms ({len(late)} ticks); the move kept as one step: "
            f"{'yes' if moved else 'NO'}")


async def main_async(args: argparse.Namespace) -> None:
    with SimulatorProcess(SimulatorConfig()) as sim, tempfile.TemporaryDirectory() as home:
        services = AppServices(AppPaths.under(Path(home)))
        await configure(services, sim.base_url)
        window = MainWindow(services)
        window.resize(1600, 1000)
        window.show()
        await window.start()
        await services.load_engine()
        await window.designer.new_crew(big_crew())
        window.tabs.setCurrentWidget(window.designer)
        window.designer.canvas.view.fit()
        await asyncio.sleep(0.5)
        print(await run(window, args.crews, args.tps, args.seconds), flush=True)
        window.designer.editor.mark_saved("bench")  # nothing to ask about at close
        await window.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crews", type=int, default=20)
    parser.add_argument("--tps", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    app = QApplication(sys.argv[:1])
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main_async(args))
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
