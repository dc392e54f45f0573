"""Help › About CrewDesk: the version, the documentation that ships with it, and a short
`crewdesk doctor` summary (versions, sandbox, providers) checked in a worker thread.

The full doctor also runs a crew on the simulator; the dialog names the command for it
instead of running it, so that opening About stays instant and never starts a run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop_app.ui.widgets.tasks import TaskOwner

__all__ = ["AboutDialog", "doc_files", "doctor_summary"]

_DOC_NAMES = ("README.md", "docs/ARCHITECTURE.md", "docs/RELIABILITY.md",
              "docs/COMPATIBILITY.md")
"""The documents shipped beside the code (a source checkout or a bundle's ``docs``)."""


def doc_files(roots: list[Path] | None = None) -> list[Path]:
    """The documentation files that exist here, in reading order.

    Args:
        roots: Folders to look in; default: the source checkout holding the package, and a
            frozen bundle's ``resources/docs``.
    """
    if roots is None:
        package = Path(__file__).resolve().parents[1]
        roots = [package.parent, package.parent / "resources" / "docs"]
    found: list[Path] = []
    for root in roots:
        found += [root / name for name in _DOC_NAMES if (root / name).is_file()]
    return found


def doctor_summary() -> list[str]:
    """Short `crewdesk doctor` lines: versions, sandbox, providers (blocking: reads files)."""
    from desktop_app.doctor import check_providers, check_sandbox, check_versions

    lines: list[str] = []
    for check in (check_versions, check_sandbox, check_providers):
        try:
            result = check()
        except (OSError, ValueError, RuntimeError, ImportError) as exc:  # a line, no crash
            lines.append(f"{check.__name__.removeprefix('check_')}: could not check ({exc})")
            continue
        lines.append(f"{result.name}: {result.outcome} — {result.detail}")
    return lines


class AboutDialog(QDialog):
    """CrewDesk's version, links to its documentation, and the doctor's summary."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Builds the dialog and starts the doctor's checks in a worker thread."""
        from desktop_app import __version__

        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About CrewDesk")
        self._tasks = TaskOwner()
        title = QLabel(f"<h2>CrewDesk {__version__}</h2>"
                       "<p>Design crews of LLM agents, run many at once, and watch each "
                       "stream live.</p>")
        self.docs_label = _selectable(QLabel(_docs_html(doc_files())))
        self.docs_label.setOpenExternalLinks(True)
        self.doctor_label = _selectable(QLabel("Checking this installation…"))
        self.doctor_label.setObjectName("doctorSummary")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (title, self.docs_label, self.doctor_label, buttons):
            layout.addWidget(widget)
        QTimer.singleShot(0, self, self._on_start_timer)  # checks once the loop runs

    def _on_start_timer(self) -> None:
        self._tasks.spawn(self.check())

    async def check(self) -> None:
        """Runs the doctor's quick checks off the GUI thread and shows their lines."""
        lines = await asyncio.to_thread(doctor_summary)
        self.doctor_label.setText(
            "<b>crewdesk doctor</b> (quick checks; run <code>crewdesk doctor</code> in a "
            "terminal for the full one, with a crew on the simulator):<br>"
            + "<br>".join(_escape(line) for line in lines))

    def done(self, result: int) -> None:  # Qt override
        """Stops the checks still running, then closes."""
        self._tasks.cancel_all()
        super().done(result)


def _selectable(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    return label


def _docs_html(files: list[Path]) -> str:
    if not files:
        return ("<p>The documentation (README.md and docs/) comes with CrewDesk's source; "
                "run <code>crewdesk --help</code> for the commands.</p>")
    links = "".join(f'<li><a href="{path.as_uri()}">{_escape(path.name)}</a></li>'
                    for path in files)
    return f"<p>Documentation:</p><ul>{links}</ul>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
