"""The Landlock + seccomp backend, for when unprivileged user namespaces are off.

The program runs under `_launcher.py` (in `python -I -S`, or a frozen build's `--exec-python`;
a program that is this interpreter running a script runs in the launcher's confined child,
without a second interpreter start):
files readable only in the interpreter's prefix and the extra read-only paths, writable only
in the run folder (and `/dev/null`); no TCP bind or connect; no signals or abstract sockets
outside its domain (ABI 6+); the seccomp filter of `_seccomp` (no `socket`, `ptrace`,
`process_vm_*`, keyring, `bpf`, mounts, namespaces). The run folder is a normal folder, so
its size is watched by the launcher rather than capped by the kernel.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop_app.engine.sandbox import _seccomp
from desktop_app.engine.sandbox._base import IsolationLimits, Launch, interpreter_paths
from desktop_app.engine.sandbox._limits import RunCaps

LAUNCHER = str(Path(__file__).with_name("_launcher.py"))
_DEVICES_READ = ("/dev/urandom", "/dev/random", "/dev/zero", "/sys/devices/system/cpu")
_DEVICES_WRITE = ("/dev/null",)


_INLINE_FLAGS = frozenset({"-I", "-S", "-s", "-E", "-B"})


def launcher_command(x_options: Sequence[str] = ()) -> list[str]:
    """How to start the launcher with this interpreter (with the program's `-X` options)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", LAUNCHER]
    # Imported rather than run as a script: its compiled form is cached, not built per run.
    start = (f"import sys; sys.path.insert(0, {os.path.dirname(LAUNCHER)!r}); import _launcher; "
             "del sys.path[0]; sys.exit(_launcher.main(sys.argv[1:]))")
    return [sys.executable, "-I", "-S", *x_options, "-c", start]


def inline_split(argv: Sequence[str]) -> tuple[int, list[str], bool] | None:
    """Whether the launcher can run `argv` in its own interpreter, and how.

    Returns:
        None when `argv` is not this interpreter running a script in isolated mode; else
        where the script is in `argv`, the `-X` options the launcher must start with, and
        whether the interpreter would have imported `site`.
    """
    if not argv or argv[0] != sys.executable:
        return None
    if getattr(sys, "frozen", False):
        return (2, [], False) if len(argv) > 2 and argv[1] == "--exec-python" else None
    index, x_options, flags = 1, [], set()
    while index < len(argv) and argv[index].startswith("-"):
        if argv[index] == "-X" and index + 1 < len(argv):
            x_options += ["-X", argv[index + 1]]
            index += 2
        elif argv[index] in _INLINE_FLAGS:
            flags.add(argv[index])
            index += 1
        else:
            return None
    if index >= len(argv) or "-I" not in flags:
        return None
    return index, x_options, "-S" not in flags


@functools.cache
def _filter_hex() -> str:
    return _seccomp.compiled().hex()


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
        options = ["--folder", run_folder, "--disk", str(limits.disk_mb * 1024 * 1024),
                   "--bpf", _filter_hex()]
        for path in [*interpreter_paths(), *_DEVICES_READ, *read_only]:
            options += ["--ro", path]
        for path in (run_folder, *_DEVICES_WRITE):
            options += ["--rw", path]
        inline = inline_split(argv)
        x_options: list[str] = []
        if inline is not None:
            index, x_options, site = inline
            options += ["--inline", str(index), *(["--site"] if site else [])]
        caps = RunCaps(limits, join=False)  # the launcher moves the program in
        for folder in caps.folders():
            options += ["--cgroup", str(folder)]
        command = [*launcher_command(x_options), *options, "--", *argv]
        env = dict(env)
        env.setdefault("PATH", os.defpath)
        return Launch(caps.wrap(command), env, caps.preexec, caps.release, outcome=caps.outcome)
