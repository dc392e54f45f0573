"""The bounded reader: regular files only, never more than the limit, a FIFO never blocks."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from desktop_app.engine.bounded_read import UnsafeFileError, read_bytes_bounded, read_text_bounded

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")


def test_a_regular_file_is_read_whole_with_newlines_as_read_text_gives_them(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"one\r\ntwo\rthree\n")
    assert read_text_bounded(path) == path.read_text(encoding="utf-8") == "one\ntwo\nthree\n"
    assert read_bytes_bounded(path) == b"one\r\ntwo\rthree\n"


def test_a_file_over_the_limit_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 101)
    assert read_bytes_bounded(path, limit=101) == b"x" * 101
    with pytest.raises(UnsafeFileError) as caught:
        read_bytes_bounded(path, limit=100, what="crew file")
    assert str(caught.value) == f"{path}: too large for a crew file (over 100 bytes)"


def test_a_sparse_200_mb_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "sparse.yaml"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    with pytest.raises(UnsafeFileError, match="too large"):
        read_bytes_bounded(path)


@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_symlink_to_a_device_is_refused_without_reading(tmp_path: Path, device: str) -> None:
    link = tmp_path / "pyproject.toml"
    link.symlink_to(device)
    with pytest.raises(UnsafeFileError) as caught:
        read_text_bounded(link)
    assert str(caught.value) == f"{link}: is a device ({device}), not a regular file"


@posix_only
def test_a_fifo_with_no_writer_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "crew.crew.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, fifo), daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "the read blocked on the FIFO"
    assert isinstance(outcome[0], UnsafeFileError)
    assert "is a named pipe (FIFO)" in str(outcome[0])


def _catch(outcome: list[BaseException], path: Path) -> None:
    try:
        read_bytes_bounded(path)
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        outcome.append(exc)


@posix_only
def test_a_socket_a_folder_and_a_proc_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeFileError, match="is a folder"):
        read_bytes_bounded(tmp_path)
    short = Path(f"/tmp/crewdesk-sock-{os.getpid()}")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(short))
        with pytest.raises(UnsafeFileError, match="is a socket"):
            read_bytes_bounded(short)
    finally:
        server.close()
        short.unlink(missing_ok=True)
    if sys.platform.startswith("linux"):
        link = tmp_path / "environ"
        link.symlink_to("/proc/self/environ")
        with pytest.raises(UnsafeFileError, match="a kernel file"):
            read_bytes_bounded(link)


def test_a_missing_file_is_the_os_error() -> None:
    with pytest.raises(FileNotFoundError):
        read_bytes_bounded(Path("/nonexistent/crew.yaml"))
