"""A branching flow mid-run on a real X display, kept as a picture.

Starts `Xvfb` (`tests/xvfb.py`), runs `tests/ui/_flow_shot.py` with `QT_QPA_PLATFORM=xcb`
on `tests/ui/fixtures/branch_flow`, and keeps the picture of the flow's panel (the router's
"long" branch running its crew, the other branch still pending) as a test artifact in
`artifacts/screenshots/flow_mid_run.png`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from test_xvfb_screenshot import display  # noqa: F401 - the `display` fixture

from desktop_app.ui.flows.graph_view import NODE_COLORS

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "artifacts" / "screenshots" / "flow_mid_run.png"
FIXTURE = Path(__file__).parent / "fixtures" / "branch_flow"

pytestmark = pytest.mark.xvfb


def _colours(image: QImage, step: int = 3) -> set[int]:
    return {image.pixel(x, y) for y in range(0, image.height(), step)
            for x in range(0, image.width(), step)}


def test_a_branching_flow_mid_run_on_a_real_display(display: str, tmp_path: Path) -> None:  # noqa: F811
    SCREENSHOT.unlink(missing_ok=True)
    root = tmp_path / "branch_flow"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display,
               PYTHON_KEYRING_BACKEND="desktop_app.storage.testing.MemoryKeyring",
               CREWDESK_HOME=str(tmp_path / "home"))
    env.pop("XAUTHORITY", None)
    done = subprocess.run(
        [sys.executable, str(REPO / "tests/ui/_flow_shot.py"), str(root), str(SCREENSHOT),
         str(tmp_path / "home")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    report = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    assert f"FLOW_SHOT_SAVED={SCREENSHOT}" in done.stdout, report
    line = next(x for x in done.stdout.splitlines() if x.startswith("FLOW_SHOT_NODES="))
    nodes = json.loads(line.split("=", 1)[1])
    assert nodes == {"pick": "done", "judge": "done", "write_long": "running",
                     "write_short": "pending", "publish": "pending"}, nodes
    image = QImage(str(SCREENSHOT))
    assert not image.isNull() and image.width() >= 1000 and image.height() >= 600
    seen = _colours(image)
    for status in ("done", "running"):  # the lit nodes' fills are on the picture
        assert QColor(NODE_COLORS[status][0]).rgb() in seen, status
