"""Which backend this machine can use, found once by trying each, and why."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from desktop_app.engine.sandbox._base import IsolationLimits, Isolator, SandboxUnavailable
from desktop_app.engine.sandbox._bwrap import BwrapIsolator, bwrap_path
from desktop_app.engine.sandbox._landlock_backend import LandlockIsolator

CHOICE_VARIABLE = "CREWDESK_SANDBOX"
"""`auto` (the default), `bwrap`, `landlock` or `none`: the backend to use (tests, benchmarks);
`none` turns the sandbox off, so code runs only with `CodeLimits(allow_unsandboxed=True)`."""
BACKENDS = ("bwrap", "landlock")


@dataclass(frozen=True, slots=True)
class Detection:
    """The backend chosen (None: none works) and why, in words for a person."""

    backend: str | None
    reason: str

    def isolator(self) -> Isolator:
        """The chosen backend.

        Raises:
            SandboxUnavailable: None works here.
        """
        if self.backend == "bwrap":
            return BwrapIsolator()
        if self.backend == "landlock":
            return LandlockIsolator()
        raise SandboxUnavailable(self.reason)


def _probe_command(script: str) -> list[str]:
    """This interpreter running `script` (a frozen build runs scripts with --exec-python)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", script]
    return [sys.executable, "-I", script]


def _try(isolator: Isolator) -> str | None:
    """Runs an empty script confined; None when it worked, else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="crewdesk-probe-") as folder:
        folder = os.path.realpath(folder)
        run_folder, scripts = os.path.join(folder, "run"), os.path.join(folder, "scripts")
        os.mkdir(run_folder)
        os.mkdir(scripts)
        script = os.path.join(scripts, "probe.py")
        with open(script, "w", encoding="utf-8") as probe:
            probe.write("pass\n")
        launch = isolator.prepare(
            argv=_probe_command(script), run_folder=run_folder,
            limits=IsolationLimits(max_processes=16), env={"PATH": os.defpath},
            read_only=[scripts],
        )
        try:
            done = subprocess.run(  # noqa: PLW1509 - preexec_fn sets the limits
                launch.argv, env=launch.env, preexec_fn=launch.preexec, cwd=run_folder,
                pass_fds=launch.pass_fds, capture_output=True, timeout=20, check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return str(exc)
        finally:
            launch.cleanup()
    if done.returncode == 0:
        return None
    return (done.stderr.decode(errors="replace").strip().splitlines() or ["exit"])[-1]


def _probe_bwrap() -> tuple[bool, str]:
    path = bwrap_path()
    if path is None:
        return False, "bubblewrap (bwrap) is not installed"
    problem = _try(BwrapIsolator(path))
    if problem is not None:
        return False, f"bwrap cannot make its namespaces here ({problem})"
    return True, f"bubblewrap ({path}): own user, mount, PID, network and IPC namespaces"


def _probe_landlock() -> tuple[bool, str]:
    from desktop_app.engine.sandbox import _landlock, _seccomp

    abi = _landlock.abi_version()
    if abi < 1:
        return False, "Landlock is not enabled in this kernel"
    if not _seccomp.supported():
        return False, "no seccomp filter for this processor"
    problem = _try(LandlockIsolator())
    if problem is not None:
        return False, f"Landlock and seccomp could not be applied ({problem})"
    scoped = "; signals and abstract sockets scoped" if abi >= 6 else ""
    tcp = "; TCP denied" if abi >= 4 else ""
    return True, f"Landlock ABI {abi} + seccomp filter{tcp}{scoped}"


@functools.cache
def _detect(choice: str) -> Detection:
    if not sys.platform.startswith("linux"):
        return Detection(None, f"no sandbox backend for {sys.platform} in this version "
                               "(Linux only: bubblewrap or Landlock)")
    if choice in ("none", "off"):
        return Detection(None, f"the sandbox is turned off ({CHOICE_VARIABLE}={choice})")
    probes = {"bwrap": _probe_bwrap, "landlock": _probe_landlock}
    if choice in probes:
        works, reason = probes[choice]()
        return Detection(choice if works else None, reason)
    reasons: list[str] = []
    for name in BACKENDS:
        works, reason = probes[name]()
        if works:
            return Detection(name, reason + (f" (not bwrap: {reasons[0]})" if reasons else ""))
        reasons.append(reason)
    return Detection(None, "no sandbox works here: " + "; ".join(reasons))


def detect(choice: str | None = None) -> Detection:
    """The backend to use (probed once per choice, then cached).

    Args:
        choice: `bwrap`, `landlock` or `auto`; default: `$CREWDESK_SANDBOX`, else `auto`.
    """
    choice = (choice or os.environ.get(CHOICE_VARIABLE) or "auto").strip().lower()
    return _detect(choice)
