"""The real app on a real X display: two example crews run on the simulator, then a picture.

Starts `Xvfb` itself, runs `python -m desktop_app.ui.app` with `QT_QPA_PLATFORM=xcb`, lets it
run two example crews on the offline simulator (`CREWDESK_DEMO_RUNS=2`), and keeps the
picture of the dashboard it saves (`CREWDESK_SCREENSHOT`) as a test artifact in
`artifacts/screenshots/dashboard.png`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.xvfb import XvfbNotStartedError, xvfb_display

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "artifacts" / "screenshots" / "dashboard.png"
APT_PACKAGES = (
    "xvfb xauth libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 "
    "libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 "
    "libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core"
)

pytestmark = pytest.mark.xvfb



@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb server (`tests/xvfb.py`); yields its DISPLAY value."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail(
            "Xvfb is not installed. Install it and Qt's X11 libraries with: "
            f"apt-get install -y --no-install-recommends {APT_PACKAGES}"
        )
    with ExitStack() as stack:
        try:
            name = stack.enter_context(xvfb_display(xvfb))
        except XvfbNotStartedError as exc:
            pytest.fail(str(exc))
        yield name


def _distinct_colours(image: QImage, step: int = 7) -> int:
    colours = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            colours.add(image.pixel(x, y))
    return len(colours)


def test_dashboard_screenshot_with_two_finished_runs(display: str) -> None:
    SCREENSHOT.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display, CREWDESK_DEMO_RUNS="2",
               CREWDESK_SCREENSHOT=str(SCREENSHOT), LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("XAUTHORITY", None)
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app.ui.app"], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=150, check=False,
    )
    report = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    assert "CREWDESK_DEMO_DONE=done,done" in done.stdout, report
    assert f"CREWDESK_SCREENSHOT_SAVED={SCREENSHOT}" in done.stdout, report
    image = QImage(str(SCREENSHOT))
    assert not image.isNull(), "the screenshot is not a readable PNG"
    assert image.width() >= 800 and image.height() >= 500
    assert _distinct_colours(image) > 20, "the screenshot looks blank"
