"""One way to read a file someone else gave us: regular files only, and never too much.

A crew file, a CrewAI project's ``pyproject.toml``, a ``.env`` or a knowledge file may come
from anyone. Read naively, a symlink to ``/dev/zero`` or ``/dev/urandom`` is read until memory
runs out, a FIFO blocks the reader forever, and a ``/proc`` file lies about its size. So the
file is opened first (following symlinks, non-blocking, so a FIFO with no writer never waits),
then ``fstat`` on the open descriptor says what it really is: anything but a regular file is
refused, as is a file larger than the limit. The read itself stops after ``limit + 1`` bytes,
so a size that changes (or lies) cannot make it read more. Checking the descriptor, not the
name, leaves no gap for the file to be swapped between the check and the read.

Stdlib only: the engine, compat and documents layers all use it.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

__all__ = ["DEFAULT_LIMIT", "UnsafeFileError", "read_bytes_bounded", "read_text_bounded"]

DEFAULT_LIMIT = 8_000_000
"""Most bytes read by default: crew and project files are a few KB."""

_CHUNK = 1 << 20
_PSEUDO_ROOTS = ("/proc", "/sys") if sys.platform.startswith("linux") else ()
"""Linux's kernel file systems: "regular" files whose size says nothing about their content."""

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnsafeFileError(ValueError):
    """A file the bounded reader refuses: not a regular file, or too large.

    Its ``str()`` names the file and why, ready to show to a user.

    Attributes:
        path: The file as it was given.
        reason: Why it is refused (``is a device (/dev/zero), not a regular file``).
    """

    def __init__(self, path: Path, reason: str) -> None:
        """Makes the error.

        Args:
            path: The file as it was given.
            reason: Why it is refused, without the path.
        """
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def read_bytes_bounded(
    path: Path | str, *, limit: int = DEFAULT_LIMIT, what: str = "file"
) -> bytes:
    """Reads a regular file of at most ``limit`` bytes.

    Args:
        path: The file; a symlink is followed, and what it leads to is checked.
        limit: The most bytes accepted.
        what: What the file is for the user (``crew file``, ``knowledge file``), used in
            messages.

    Returns:
        The file's bytes.

    Raises:
        UnsafeFileError: It is a folder, FIFO, device, socket or kernel file, or larger than
            ``limit``.
        OSError: It cannot be opened or read (``FileNotFoundError``, ``PermissionError``).
    """
    path = Path(path)
    _refuse_pseudo(path)
    descriptor = _open(path)
    try:
        info = os.fstat(descriptor)
        _refuse_kind(path, info.st_mode)
        if info.st_size > limit:
            raise UnsafeFileError(path, _too_large(what, limit))
        return _read_at_most(descriptor, path, limit, what)
    finally:
        os.close(descriptor)


def read_text_bounded(
    path: Path | str, *, limit: int = DEFAULT_LIMIT, what: str = "file", encoding: str = "utf-8"
) -> str:
    """Reads a regular text file of at most ``limit`` bytes; see `read_bytes_bounded`.

    Line endings are translated as `Path.read_text` does (``\\r\\n`` and ``\\r`` become
    ``\\n``), so callers see the same text as before.

    Raises:
        UnsafeFileError: As `read_bytes_bounded`.
        UnicodeDecodeError: The bytes are not text in ``encoding``.
        OSError: It cannot be opened or read.
    """
    data = read_bytes_bounded(path, limit=limit, what=what)
    text = data.decode(encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _open(path: Path) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO opened for writing only
            raise UnsafeFileError(path, "is a socket, not a regular file") from None
        raise


def _refuse_pseudo(path: Path) -> None:
    if not _PSEUDO_ROOTS:
        return
    real = os.path.realpath(path)
    for root in _PSEUDO_ROOTS:
        if real == root or real.startswith(root + "/"):
            raise UnsafeFileError(path, f"leads to {real}, a kernel file, not a regular file")


def _refuse_kind(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    real = os.path.realpath(path)
    leads = f" ({real})" if real != str(path) else ""
    raise UnsafeFileError(path, f"is {kind}{leads}, not a regular file")


def _too_large(what: str, limit: int) -> str:
    return f"too large for a {what} (over {limit:,} bytes)"


def _read_at_most(descriptor: int, path: Path, limit: int, what: str) -> bytes:
    """Reads until the end, refusing once more than ``limit`` bytes came."""
    parts: list[bytes] = []
    total = 0
    while True:
        try:
            part = os.read(descriptor, min(_CHUNK, limit + 1 - total))
        except BlockingIOError:  # pragma: no cover - regular files never block
            continue
        if not part:
            return b"".join(parts)
        parts.append(part)
        total += len(part)
        if total > limit:
            raise UnsafeFileError(path, _too_large(what, limit))
