"""The light and dark themes: Fusion with CrewDesk's own palettes, following the system.

Qt's `QStyleHints.setColorScheme` changes nothing where the platform has no theme of its own
(Linux under plain X11 or Wayland without a desktop's platform theme, the offscreen
platform), so the dark theme would stay light there. CrewDesk therefore sets whole palettes
itself, on the Fusion style, the same on every platform; "system" follows the colour scheme
the platform reports (light when it reports none) and changes with it.

Icons (`desktop_app.ui._icons`) are tinted for the palette and re-tinted here after every
change, so the toolbar never shows black icons on a dark background.
"""

from __future__ import annotations

import weakref
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.ui import _icons

__all__ = ["ACCENT", "THEMES", "Scheme", "apply_theme", "is_dark", "palette_for", "scheme_for",
           "themed_sheet"]

Scheme = Literal["light", "dark"]

THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
"""The theme choices, by the name the settings keep."""

ACCENT = {"light": "#2563eb", "dark": "#60a5fa"}
"""The highlight colour of each scheme (selection, focus, links)."""

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup

# Role -> (light, dark). Text on Base and on Window keeps a contrast of 7:1 or more; the
# disabled text (read-only examples use read-only fields, not disabled ones) at least 3:1.
# In the dark scheme Base is lighter than Window: Fusion draws check boxes' and fields'
# outlines in Window darkened, which would vanish on a Base darker than Window.
_COLOURS: dict[QPalette.ColorRole, tuple[str, str]] = {
    _Role.Window: ("#f3f4f6", "#1e2227"),
    _Role.WindowText: ("#111827", "#e5e7eb"),
    _Role.Base: ("#ffffff", "#292e36"),
    _Role.AlternateBase: ("#f9fafb", "#30353e"),
    _Role.Text: ("#111827", "#e5e7eb"),
    _Role.PlaceholderText: ("#6b7280", "#9ca3af"),
    _Role.Button: ("#f9fafb", "#323843"),
    _Role.ButtonText: ("#111827", "#e5e7eb"),
    _Role.BrightText: ("#ffffff", "#ffffff"),
    _Role.ToolTipBase: ("#111827", "#f3f4f6"),
    _Role.ToolTipText: ("#f9fafb", "#111827"),
    _Role.Light: ("#ffffff", "#454c58"),
    _Role.Midlight: ("#e5e7eb", "#3a414c"),
    _Role.Mid: ("#c7cbd1", "#545c6a"),
    _Role.Dark: ("#9ca3af", "#111418"),
    _Role.Shadow: ("#6b7280", "#000000"),
    _Role.Link: ("#1d4ed8", "#93c5fd"),
    _Role.LinkVisited: ("#6d28d9", "#c4b5fd"),
    _Role.HighlightedText: ("#ffffff", "#0b1220"),
}
_DISABLED: dict[QPalette.ColorRole, tuple[str, str]] = {
    _Role.WindowText: ("#6b7280", "#8b929c"),
    _Role.Text: ("#6b7280", "#8b929c"),
    _Role.ButtonText: ("#6b7280", "#8b929c"),
    _Role.Base: ("#f3f4f6", "#23272e"),
    _Role.Button: ("#eef0f2", "#2a2f37"),
}


def palette_for(scheme: Scheme) -> QPalette:
    """The whole palette of the ``light`` or ``dark`` scheme."""
    index = 0 if scheme == "light" else 1
    palette = QPalette()
    for role, pair in _COLOURS.items():
        palette.setColor(role, QColor(pair[index]))
    palette.setColor(_Role.Highlight, QColor(ACCENT[scheme]))
    palette.setColor(_Role.Accent, QColor(ACCENT[scheme]))
    for role, pair in _DISABLED.items():
        palette.setColor(_Group.Disabled, role, QColor(pair[index]))
    palette.setColor(_Group.Disabled, _Role.Highlight, QColor(_COLOURS[_Role.Mid][index]))
    return palette


def scheme_for(name: str) -> Scheme:
    """The scheme the theme ``name`` (system, light, dark) shows now."""
    if name in ("light", "dark"):
        return "dark" if name == "dark" else "light"
    reported = QGuiApplication.styleHints().colorScheme()
    return "dark" if reported == Qt.ColorScheme.Dark else "light"


def is_dark() -> bool:
    """Whether the application's palette is a dark one (its window darker than its text)."""
    palette = QGuiApplication.palette()
    return palette.color(_Role.Window).lightness() < palette.color(_Role.WindowText).lightness()


class _SystemFollower:
    """Re-applies "system" when the platform's colour scheme changes (connected once)."""

    theme = "system"
    connected = False

    @classmethod
    def follow(cls, name: str) -> None:
        cls.theme = name
        if not cls.connected:
            QGuiApplication.styleHints().colorSchemeChanged.connect(cls._on_hints_changed)
            cls.connected = True

    @classmethod
    def _on_hints_changed(cls, _scheme: Qt.ColorScheme) -> None:
        if cls.theme == "system":
            _set_palette(scheme_for("system"))


def apply_theme(name: str) -> Scheme:
    """Shows the theme ``name`` (system, light or dark) in the whole application.

    Returns:
        The scheme now shown.
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("apply_theme needs a QApplication")
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")  # the one style that draws our palettes the same everywhere
    _SystemFollower.follow(name)
    scheme = scheme_for(name)
    _set_palette(scheme)
    return scheme


def _set_palette(scheme: Scheme) -> None:
    palette = palette_for(scheme)
    if palette == QApplication.palette():
        return  # shown already: no repolish, no icons drawn again
    QApplication.setPalette(palette)
    _repolish_style_sheets()
    _icons.retint()


_themed: weakref.WeakKeyDictionary[QWidget, tuple[str, str]] = weakref.WeakKeyDictionary()


def themed_sheet(widget: QWidget, light: str, dark: str) -> None:
    """Gives ``widget`` the style sheet of the scheme shown now, and the other one after
    each theme change (banners with their own background colours)."""
    _themed[widget] = (light, dark)
    widget.setStyleSheet(dark if is_dark() else light)


def _repolish_style_sheets() -> None:
    """Makes widgets with their own style sheet take the new palette.

    A widget with a style sheet keeps the palette it had when the sheet was applied (Qt's
    style-sheet style sets it explicitly), so after a theme change its text would keep the
    old theme's colour: light grey on white. Setting the sheet again re-applies it on the
    new palette (it restores the inherited palette first); `themed_sheet` widgets get the
    sheet of the new scheme.
    """
    dark = is_dark()
    for widget in QApplication.allWidgets():
        pair = _themed.get(widget)
        sheet = pair[dark] if pair is not None else widget.styleSheet()
        if sheet:
            widget.setStyleSheet(sheet)
