"""Released run panels' pictures in Qt's pixmap cache: dropped, not kept until the cap.

Qt's Fusion style keeps what it draws (push buttons, frames, scroll bars...) in
`QPixmapCache`, under a key that holds the palette of the widget drawn. Under CrewDesk's own
application palette (`ui/_theme`) Qt resolves a palette of its own for every widget, so every
run panel's widgets draw under keys no other widget will ever use (about 30 KB a panel).
Once the dashboard releases a panel nobody draws under its keys again, yet they stayed in
the cache until its 10 MB limit evicted them: 1,000 runs through the dashboard made the
process grow by 9-10 MB more (`benchmarks/reliability_soak_ui.py`).

`StyleCacheTrimmer` therefore empties the cache after every `RELEASES_PER_TRIM` released
panels: at most that many panels' pictures are kept for nothing, and the widgets still shown
draw theirs again on their next paint (a few small pixmaps, well under a millisecond).
"""

from __future__ import annotations

from PySide6.QtGui import QPixmapCache

__all__ = ["RELEASES_PER_TRIM", "StyleCacheTrimmer"]

RELEASES_PER_TRIM = 20
"""Released panels between two trims (about 0.6 MB of pictures nobody draws again)."""


class StyleCacheTrimmer:
    """Counts released run panels and empties Qt's pixmap cache every `per_trim` of them."""

    def __init__(self, per_trim: int = RELEASES_PER_TRIM) -> None:
        """Starts counting from zero.

        Args:
            per_trim: Released panels between two trims (at least 1).
        """
        self.per_trim = max(1, per_trim)
        self.trims = 0
        """How many times the cache was emptied (for tests and figures)."""
        self._released = 0

    def released(self, count: int) -> None:
        """`count` panels were released; empties the cache when `per_trim` have been."""
        self._released += count
        if self._released >= self.per_trim:
            self._released = 0
            self.trims += 1
            QPixmapCache.clear()
