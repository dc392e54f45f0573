"""The real window on a real X display, light and dark, kept as pictures (issue 14, "Done means").

Starts `Xvfb` (`tests/xvfb.py`), runs `tests/ui/_theme_shot.py` with `QT_QPA_PLATFORM=xcb`,
and keeps its pictures as test artifacts in `artifacts/screenshots/`: the welcome page, the
designer with the hierarchical example `managed_launch` on its canvas, and the dashboard with
eight runs streaming from the simulator (one waiting for the person's feedback), each in the
light and the dark theme. Then checks what a person would see first: pictures of the whole
window, not blank, the dark ones clearly darker, the canvas's agent boxes, and the waiting
run marked in the waiting colour.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from desktop_app.ui._theme import palette_for
from desktop_app.ui.dashboard._waiting import waiting_colours
from tests.xvfb import XvfbNotStartedError, xvfb_display

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "artifacts" / "screenshots"
NAMES = [f"{view}-{theme}" for view in ("welcome", "designer", "dashboard")
         for theme in ("light", "dark")]
AGENT_FILL = QColor("#dbeafe")  # the canvas's agent boxes (`canvas._items._FILL`)

pytestmark = pytest.mark.xvfb


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb server (`tests/xvfb.py`); yields its DISPLAY value."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed: see tests/ui/test_xvfb_screenshot.py's APT_PACKAGES")
    try:
        with xvfb_display(xvfb) as name:
            yield name
    except XvfbNotStartedError as exc:
        pytest.fail(str(exc))


def _pixels(image: QImage, step: int = 4) -> list[QColor]:
    return [image.pixelColor(x, y) for y in range(0, image.height(), step)
            for x in range(0, image.width(), step)]


def _lightness(image: QImage) -> float:
    pixels = _pixels(image)
    return sum(colour.lightnessF() for colour in pixels) / len(pixels)


def _near(colour: QColor, target: QColor, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in ((colour.red(), target.red()),
                                                    (colour.green(), target.green()),
                                                    (colour.blue(), target.blue())))


def _shoot(display: str, home: Path) -> str:
    for name in NAMES:
        (FOLDER / f"{name}.png").unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display,
               PYTHON_KEYRING_BACKEND="desktop_app.storage.testing.MemoryKeyring",
               CREWDESK_HOME=str(home), LITELLM_LOCAL_MODEL_COST_MAP="True")
    env.pop("XAUTHORITY", None)
    done = subprocess.run(
        [sys.executable, str(REPO / "tests/ui/_theme_shot.py"), str(FOLDER), str(home)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)
    report = f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    return done.stdout


def test_the_window_in_light_and_dark_on_a_real_display(
    display: str, tmp_path: Path
) -> None:
    out = _shoot(display, tmp_path / "home")
    assert "THEME_SHOT_WAITING=1" in out, out  # the managed run waits for feedback
    assert "THEME_SHOT_RUNNING=8" in out, out  # eight panels, none finished yet
    images = {}
    for name in NAMES:
        path = FOLDER / f"{name}.png"
        assert f"THEME_SHOT_SAVED={path}" in out, out
        image = QImage(str(path))
        assert not image.isNull(), f"{path} is not a readable PNG"
        assert (image.width(), image.height()) == (1280, 800), (name, image.size())
        assert len({c.rgb() for c in _pixels(image, 7)}) > 40, f"{name} looks blank"
        images[name] = image
    for view in ("welcome", "designer", "dashboard"):
        light, dark = _lightness(images[f"{view}-light"]), _lightness(images[f"{view}-dark"])
        assert light > 0.8 and dark < 0.3, (view, light, dark)
    waiting = [waiting_colours(palette_for(scheme))[0] for scheme in ("light", "dark")]
    for theme in ("light", "dark"):
        # the hierarchical crew's agents are on the canvas
        boxes = sum(_near(c, AGENT_FILL) for c in _pixels(images[f"designer-{theme}"], 2))
        assert boxes > 2000, (theme, boxes)
        # the waiting run shows it: its badge and its frame in the waiting colour
        marked = sum(any(_near(c, colour) for colour in waiting)
                     for c in _pixels(images[f"dashboard-{theme}"], 2))
        assert marked > 300, (theme, marked)
