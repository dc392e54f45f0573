"""The user's crews as `.crew.yaml` files, the bundled examples, and recovery copies.

No Qt here. Blocking file work: callers on the event loop use `asyncio.to_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_app.storage.paths import AppPaths

__all__ = ["CrewEntry", "CrewLibrary"]


@dataclass(frozen=True, slots=True)
class CrewEntry:
    """One crew of the library.

    Attributes:
        id: Stable identifier ("my_crew" or "example:research").
        name: The crew's name.
        path: Its file.
        is_example: True for the read-only bundled examples.
    """

    id: str
    name: str
    path: Path
    is_example: bool


class CrewLibrary:
    """The crews the user can open: their own and the examples."""

    def __init__(self, paths: AppPaths) -> None:
        """Creates a library over `paths.data_dir / "crews"`.

        Args:
            paths: The folders of this installation.
        """
        self._paths = paths
        self.crews_dir = paths.data_dir / "crews"
