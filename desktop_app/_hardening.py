"""Process hardening done first thing by the CLI and the app.

On Linux, `prctl(PR_SET_DUMPABLE, 0)`: other processes of the same user (the code a model
wrote, if it ever ran outside the sandbox, or anything else) can no longer read this
process's memory or `/proc/<pid>/environ`, nor ptrace it; core dumps are off too.
"""

from __future__ import annotations

import sys

_PR_SET_DUMPABLE = 4


def harden_process() -> bool:
    """Marks this process non-dumpable (Linux); True when done."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
