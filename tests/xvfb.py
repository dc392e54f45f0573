"""Starting a private Xvfb server, for the tests and benchmarks that need a real X display.

Used by `tests/ui/test_xvfb_screenshot.py`, `tests/packaging/test_linux_bundle.py` and
`benchmarks/bundle.py`. The server picks a free display number itself (`-displayfd`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


class XvfbNotStartedError(RuntimeError):
    """Xvfb exited without printing a display number."""


@contextmanager
def xvfb_display(xvfb: str = "Xvfb") -> Iterator[str]:
    """Runs a fresh Xvfb (1280x800x24, no TCP) for the `with` block; yields its DISPLAY.

    Raises:
        XvfbNotStartedError: The server printed no display number.
    """
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise XvfbNotStartedError("Xvfb did not start (it printed no display number)")
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
