"""The Landlock + seccomp backend, for when unprivileged user namespaces are off.

The program runs under `_launcher.py` (in `python -I -S`, or a frozen build's `--exec-python`):
files readable only in the interpreter's prefix and the extra read-only paths, writable only
in the run folder (and `/dev/null`); no TCP bind or connect; no signals or abstract sockets
outside its domain (ABI 6+); the seccomp filter of `_seccomp` (no `socket`, `ptrace`,
`process_vm_*`, keyring, `bpf`, mounts, namespaces). The run folder is a normal folder, so
its size is watched by the launcher rather than capped by the kernel.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop_app.engine.sandbox._base import IsolationLimits, Launch, interpreter_paths
from desktop_app.engine.sandbox._limits import RunCaps

LAUNCHER = str(Path(__file__).with_name("_launcher.py"))
_DEVICES_READ = ("/dev/urandom", "/dev/random", "/dev/zero", "/sys/devices/system/cpu")
_DEVICES_WRITE = ("/dev/null",)


def launcher_command() -> list[str]:
    """How to start the launcher with this interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", LAUNCHER]
    return [sys.executable, "-I", "-S", LAUNCHER]


class LandlockIsolator:
    """Runs the program under Landlock and seccomp, through the launcher."""

    name = "landlock"

    def prepare(
        self,
        *,
        argv: Sequence[str],
        run_folder: str,
        limits: IsolationLimits,
        env: Mapping[str, str],
        read_only: Sequence[str] = (),
    ) -> Launch:
        """The launcher command around `argv` (see `Isolator.prepare`)."""
        config = {
            "read_only": [*interpreter_paths(), *_DEVICES_READ, *read_only],
            "writable": [run_folder, *_DEVICES_WRITE],
            "folder": run_folder,
            "disk_bytes": limits.disk_mb * 1024 * 1024,
        }
        caps = RunCaps(limits, extra_processes=1)  # the launcher
        command = [*launcher_command(), json.dumps(config), "--", *argv]
        env = dict(env)
        env.setdefault("PATH", os.defpath)
        return Launch(command, env, caps.preexec, caps.release)
