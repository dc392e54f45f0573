"""Questions and file choices that never start a nested event loop.

`QMessageBox.question` and `QDialog.exec` run a loop of their own, which breaks or hangs the
asyncio tasks of the qasync loop (see FIELD-NOTES.md). These helpers open the dialog with
`open()` and await a future that its `finished` signal resolves.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from PySide6.QtWidgets import QAbstractButton, QDialog, QFileDialog, QMessageBox, QWidget


async def finished(dialog: QDialog) -> int:
    """Opens a dialog window-modally and waits for its result, without a nested loop.

    The dialog is deleted (later) once it has finished.
    """
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(done)
        dialog.deleteLater()


async def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton,
) -> QMessageBox.StandardButton:
    """Shows a window-modal question and waits for the answer without blocking the loop.

    Args:
        parent: The window it belongs to.
        title: The window title.
        text: The question.
        buttons: The buttons to offer.
        default: The button Enter presses.

    Returns:
        The button pressed (`Cancel` when the box was closed).
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
    box.setDefaultButton(default)
    box.setObjectName("askBox")
    await finished(box)
    # Qt returns no button when the box was closed; the stubs do not say so.
    clicked = cast(QAbstractButton | None, box.clickedButton())
    if clicked is None:
        return QMessageBox.StandardButton.Cancel
    return box.standardButton(clicked)


def _file_dialog(
    parent: QWidget | None, title: str, directory: bool, save: bool, name_filter: str,
    start: Path | None,
) -> QFileDialog:
    dialog = QFileDialog(parent, title, str(start or Path.home()), name_filter)
    dialog.setObjectName("chooseDialog")
    if directory:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    elif save:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return dialog


async def choose_path(
    parent: QWidget | None,
    title: str,
    *,
    directory: bool = False,
    save: bool = False,
    name_filter: str = "",
    start: Path | None = None,
) -> Path | None:
    """Lets the user pick a file or folder, without a nested event loop.

    Args:
        parent: The window it belongs to.
        title: The dialog's title.
        directory: Choose a folder rather than a file.
        save: Choose a file to write (it may not exist yet).
        name_filter: A Qt name filter such as "Crew files (*.crew.yaml)".
        start: The folder to start in.

    Returns:
        The path chosen, or None when the user cancelled.
    """
    dialog = _file_dialog(parent, title, directory, save, name_filter, start)
    code = await finished(dialog)
    files = dialog.selectedFiles()
    if code != QDialog.DialogCode.Accepted or not files:
        return None
    return Path(files[0])
