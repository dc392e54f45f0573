"""Issue 14, "a native, polished look": the icon set, the light and dark themes, the welcome page.

Real widgets (offscreen), the real icon files, the real library of examples; a run started
from a welcome card goes to the offline simulator over HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QToolBar
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_services,
    open_window,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.ui import _icons, _theme
from desktop_app.ui.controllers import RunState
from desktop_app.ui.main_window import MainWindow

Arun = Callable[..., Any]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def keep_look() -> Iterator[None]:
    """Puts the application's style and palette back after a test that switches themes."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, palette = app.style().name(), QPalette(app.palette())
    yield
    app.setStyle(style)
    QApplication.setPalette(palette)


def _ink(image: QImage) -> QColor:
    """The colour of an icon's most opaque pixel (its stroke)."""
    best = max((image.pixelColor(x, y) for y in range(image.height())
                for x in range(image.width())), key=lambda colour: colour.alpha())
    assert best.alpha() > 200, "the icon is empty"
    return best


def test_the_icon_set_is_complete_and_shipped_with_the_bundle(qtbot: QtBot) -> None:
    on_disk = {path.stem for path in _icons.icons_dir().glob("*.svg")}
    assert on_disk == set(_icons.NAMES)
    for name in _icons.NAMES:
        pixmap = _icons.icon(name).pixmap(24, 24)
        assert not pixmap.isNull(), name
        _ink(pixmap.toImage())
    # packaging/crewdesk.spec ships the whole of resources/icons (bundle.icons_dir()).
    spec = (REPO / "packaging" / "crewdesk.spec").read_text(encoding="utf-8")
    assert '(str(bundle.icons_dir()), "resources/icons")' in spec
    assert _icons.icons_dir().parent == REPO / "resources" / "icons"


def test_the_look_needs_no_qt_module_the_bundle_leaves_out(tmp_path: Path) -> None:
    """The frozen app has no QtSvg module (packaging/bundle.py): icons use the SVG plugin."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO / 'packaging')!r})\n"
        "import bundle\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from desktop_app.ui import _icons, _theme, _welcome, _window_look\n"
        "_theme.apply_theme('dark')\n"
        "assert not _icons.icon('run').pixmap(24, 24).isNull()\n"
        "left_out = set(bundle.excluded_modules()) & set(sys.modules)\n"
        "print('LEFT_OUT=' + ','.join(sorted(left_out)))\n", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "LEFT_OUT=\n" in done.stdout, done.stdout


def test_a_missing_icon_names_its_file(qtbot: QtBot) -> None:
    with pytest.raises(FileNotFoundError, match="'no-such-icon' is missing"):
        _icons.icon("no-such-icon")


@pytest.mark.usefixtures("keep_look")
def test_the_dark_theme_darkens_the_window_and_lightens_the_icons(qtbot: QtBot) -> None:
    label = QLabel("Bold title")
    label.setStyleSheet("font-weight: bold;")  # a widget with its own style sheet
    qtbot.addWidget(label)
    action = QAction("Run")
    _icons.use(action, "run")
    banner = QLabel("A note")  # a banner's own colours, one pair per scheme
    qtbot.addWidget(banner)
    sheets = {"light": "QLabel { background: #fff6d5; }", "dark": "QLabel { background: #3d3415; }"}
    _theme.themed_sheet(banner, sheets["light"], sheets["dark"])
    label.show()
    inks = {}
    for theme in ("light", "dark"):
        assert _theme.apply_theme(theme) == theme
        window = QApplication.palette().color(QPalette.ColorRole.Window)
        text = label.palette().color(QPalette.ColorRole.WindowText)
        assert (window.lightness() < 80) == (theme == "dark"), theme
        assert abs(text.lightness() - window.lightness()) > 150, (theme, text.name())
        assert _theme.is_dark() == (theme == "dark")
        assert banner.styleSheet() == sheets[theme]
        inks[theme] = _ink(action.icon().pixmap(24, 24).toImage()).lightness()
    assert inks["light"] < 90 < 160 < inks["dark"], inks


def test_system_follows_the_platform_scheme_and_unknown_means_light(qtbot: QtBot) -> None:
    assert _theme.scheme_for("dark") == "dark" and _theme.scheme_for("light") == "light"
    reported = QApplication.styleHints().colorScheme()
    assert _theme.scheme_for("system") == ("dark" if reported == Qt.ColorScheme.Dark
                                           else "light")


async def _started(qtbot: QtBot, sim: SimulatorThread) -> MainWindow:
    """The whole window, started on real services, its welcome page showing."""
    window = await open_window(qtbot, await make_services(sim.base_url))
    designer = window.designer
    await wait_until(lambda: designer.pages.currentWidget() is designer.welcome)
    return window


async def _closed(window: MainWindow) -> None:
    await window.controller.aclose()
    window.close()
    await wait_until(lambda: not window.isVisible())


@pytest.mark.usefixtures("litellm_loaded", "keep_look")
def test_the_welcome_page_shows_the_examples_and_opens_one_by_keyboard(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _started(qtbot, sim)
        designer, welcome = window.designer, window.designer.welcome
        cards = {card.info.crew_id: card for card in welcome.cards}
        assert set(cards) == {"example:managed_launch", "example:python_data_analyst",
                              "example:research_writer", "example:topic_briefs"}
        listed = [designer.crew_list.list.item(i).text()
                  for i in range(designer.crew_list.list.count())]
        assert not any("not saved" in text for text in listed), listed  # no phantom draft
        managed = cards["example:managed_launch"]
        assert managed.description.text().startswith("A launch lead delegates")
        assert "Hierarchical" in managed.traits.text()
        toolbar = window.findChild(QToolBar, "MainToolbar")
        assert toolbar is not None and all(not a.icon().isNull() for a in toolbar.actions()
                                           if not a.isSeparator())
        # Keyboard only: Tab goes New, Open file, project, then card by card; Enter opens.
        first = welcome.cards[0]
        assert welcome.project_button.nextInFocusChain() is first.open_button
        assert first.open_button.nextInFocusChain() is first.run_button
        assert first.run_button.nextInFocusChain() is welcome.cards[1].open_button
        window.tabs.setCurrentWidget(designer)
        qtbot.keyClick(first.open_button, Qt.Key.Key_Return)
        await wait_until(lambda: designer.editor.crew_id == first.info.crew_id)
        assert designer.pages.currentIndex() == 0  # the canvas and its inspector
        await _closed(window)

    arun(scenario(), timeout=120)


@pytest.mark.usefixtures("litellm_loaded", "keep_look")
def test_a_welcome_card_runs_its_crew_on_the_simulator(
    sim: SimulatorThread, qtbot: QtBot, arun: Arun
) -> None:
    async def scenario() -> None:
        window = await _started(qtbot, sim)
        designer = window.designer
        assert await designer.open_crew("example:topic_briefs")
        assert designer.pages.currentIndex() == 0
        welcome_action = window.findChild(QAction, "showWelcome")  # View › Welcome
        assert welcome_action is not None
        welcome_action.trigger()
        await wait_until(lambda: designer.pages.currentWidget() is designer.welcome)
        started: list[RunState] = []
        window.controller.runAdded.connect(started.append)
        cards = {card.info.crew_id: card for card in designer.welcome.cards}
        cards["example:research_writer"].run_button.click()
        await wait_until(lambda: bool(started))
        assert started[0].crew_name == "Research and write"
        assert window.dashboard.dry_run.isChecked()
        assert window.tabs.currentWidget() is window.dashboard
        await window.controller.wait(started[0])
        assert started[0].status.value == "done", started[0].transcript()[-2000:]
        await _closed(window)

    arun(scenario(), timeout=120)
