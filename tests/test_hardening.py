"""The CLI and the app mark themselves non-dumpable on Linux."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = (
    "import ctypes, sys\n"
    "from desktop_app._hardening import harden_process\n"
    "print(harden_process(), ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n"  # PR_GET_DUMPABLE
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_harden_process_makes_the_process_non_dumpable() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.split() == ["True", "0"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_the_cli_hardens_itself_first() -> None:
    code = ("import ctypes\nfrom desktop_app.cli import main\nmain(['--version'])\n")
    wrapper = ("import ctypes, sys, atexit\n"
               "atexit.register(lambda: print('dumpable', ctypes.CDLL(None).prctl(3,0,0,0,0)))\n"
               + code)
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                          timeout=120, check=False)
    assert "dumpable 0" in done.stdout
