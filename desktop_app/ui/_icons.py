"""CrewDesk's icons: one set of line icons (SVG, ``resources/icons/ui``), tinted for the theme.

Each icon is drawn with ``stroke="currentColor"``; `icon` renders it in the palette's text
colour (or a tone: accent, warn, danger, ok), with a dimmed copy for disabled buttons.
`use` and `use_tab` set an icon and remember where, so `retint` (called by `_theme` after
each palette change) redraws every icon in the new colours.

The folder is ``resources/icons/ui`` beside the ``desktop_app`` package, or under the
bundle (``sys._MEIPASS``) in a PyInstaller build: ``packaging/crewdesk.spec`` ships all of
``resources/icons``.
"""

from __future__ import annotations

import sys
import weakref
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImageReader, QPalette, QPixmap
from PySide6.QtWidgets import QTabWidget, QWidget

__all__ = ["NAMES", "Tone", "icon", "icon_size", "icons_dir", "retint", "tinted", "use",
           "use_tab"]

Tone = Literal["text", "accent", "warn", "danger", "ok"]

_TONES: dict[str, tuple[str, str]] = {  # (on light, on dark)
    "accent": ("#2563eb", "#60a5fa"),
    "warn": ("#b45309", "#fbbf24"),
    "danger": ("#b91c1c", "#f87171"),
    "ok": ("#15803d", "#4ade80"),
}
_SIZES = (16, 20, 32)  # buttons and tabs, toolbars, large; Qt scales between them


class _HasIcon(Protocol):
    def setIcon(self, icon: QIcon, /) -> None: ...  # noqa: N802 - Qt's name


def icons_dir() -> Path:
    """The folder of the SVG icons (in a PyInstaller build, under the bundle)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources" / "icons" / "ui"
    return Path(__file__).resolve().parents[2] / "resources" / "icons" / "ui"


NAMES = ("add", "add-agent", "add-task", "agent", "dashboard", "delete", "designer", "down",
         "export", "fit", "help", "history", "import", "knowledge", "layout", "manager",
         "memory", "new", "open", "quit", "redo", "run", "save", "save-as", "settings",
         "simulator", "stop", "task", "tool", "undo", "up", "waiting", "warning", "welcome",
         "zoom-in", "zoom-out")
"""Every icon of the set (the SVG files' names)."""


@cache
def _svg(name: str) -> str:
    path = icons_dir() / f"{name}.svg"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileNotFoundError(f"CrewDesk icon '{name}' is missing: {path}") from exc


def _colours(tone: Tone) -> tuple[QColor, QColor]:
    """The normal and disabled colours of ``tone`` in the application's palette now."""
    palette = QGuiApplication.palette()
    text = palette.color(QPalette.ColorRole.ButtonText)
    dark = palette.color(QPalette.ColorRole.Window).lightness() < text.lightness()
    normal = QColor(_TONES[tone][dark]) if tone in _TONES else text
    disabled = QColor(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText))
    return normal, disabled


def _painted(svg: str, colour: QColor) -> QByteArray:
    return QByteArray(svg.replace("currentColor", colour.name()).encode())


def _pixmap(data: QByteArray, size: int, ratio: float) -> QPixmap:
    """``data`` (SVG) drawn ``size`` pixels wide by Qt's SVG image plugin.

    The plugin, not the QtSvg module: the bundle leaves QtSvg's Python module out
    (``packaging/bundle.py``) but ships the plugin and its library.
    """
    side = round(size * ratio)
    buffer = QBuffer()
    buffer.setData(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, QByteArray(b"svg"))
    reader.setScaledSize(QSize(side, side))
    image = reader.read()
    if image.isNull():
        raise RuntimeError(f"Qt could not draw a CrewDesk icon: {reader.errorString()} "
                           "(is Qt's SVG image plugin installed?)")
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def icon(name: str, tone: Tone = "text") -> QIcon:
    """The icon ``name`` (one of `NAMES`) in the current palette's colours.

    Raises:
        FileNotFoundError: Its SVG file is missing (a broken install), named in the message.
    """
    svg = _svg(name)
    normal, disabled = _colours(tone)
    screen = QGuiApplication.primaryScreen()
    ratio = max(1.0, screen.devicePixelRatio() if screen is not None else 1.0)
    result = QIcon()
    for colour, mode in ((normal, QIcon.Mode.Normal), (disabled, QIcon.Mode.Disabled)):
        data = _painted(svg, colour)
        for size in _SIZES:
            result.addPixmap(_pixmap(data, size, ratio), mode)
    return result


@cache
def tinted(name: str, colour: str, size: int) -> QPixmap:
    """The icon ``name`` drawn in a fixed ``colour`` at ``size`` pixels (cached): for
    pictures with their own colours, like the canvas's nodes."""
    return _pixmap(_painted(_svg(name), QColor(colour)), size, 1.0)


_users: list[tuple[weakref.ref[_HasIcon], str, Tone]] = []
_tabs: list[tuple[weakref.ref[QTabWidget], weakref.ref[QWidget], str, Tone]] = []


def use(target: _HasIcon, name: str, tone: Tone = "text") -> None:
    """Gives ``target`` (an action or a button) the icon ``name``, re-tinted on theme changes."""
    target.setIcon(icon(name, tone))
    _users.append((weakref.ref(target), name, tone))


def use_tab(tabs: QTabWidget, page: QWidget, name: str, tone: Tone = "text") -> None:
    """Gives the tab of ``page`` in ``tabs`` the icon ``name``, re-tinted on theme changes."""
    tabs.setTabIcon(tabs.indexOf(page), icon(name, tone))
    _tabs.append((weakref.ref(tabs), weakref.ref(page), name, tone))


def _alive(obj: object | None) -> bool:
    return obj is not None and shiboken6.isValid(obj)


def retint() -> None:
    """Redraws every icon given by `use` and `use_tab` in the palette's colours now."""
    _users[:] = [entry for entry in _users if _alive(entry[0]())]
    for ref, name, tone in _users:
        target = ref()
        if target is not None:
            target.setIcon(icon(name, tone))
    _tabs[:] = [e for e in _tabs if _alive(e[0]()) and _alive(e[1]())]
    for tabs_ref, page_ref, name, tone in _tabs:
        tabs, page = tabs_ref(), page_ref()
        if tabs is not None and page is not None and tabs.indexOf(page) >= 0:
            tabs.setTabIcon(tabs.indexOf(page), icon(name, tone))


def icon_size(widget: QWidget) -> QSize:
    """The size toolbar icons get next to ``widget``'s text (its font's height, rounded)."""
    side = max(16, round(widget.fontMetrics().height() * 1.15))
    return QSize(side, side)
