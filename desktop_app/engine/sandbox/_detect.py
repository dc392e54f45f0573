"""Which backend this machine can use, found once by trying each, and why."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from desktop_app.engine.sandbox._base import (
    IsolationLimits,
    Isolator,
    Launch,
    SandboxUnavailable,
)
from desktop_app.engine.sandbox._bwrap import BwrapIsolator, bwrap_candidates
from desktop_app.engine.sandbox._landlock_backend import LandlockIsolator

CHOICE_VARIABLE = "CREWDESK_SANDBOX"
"""`auto` (the default), a backend's name, or `none`: the backend to use (tests, benchmarks);
`none` turns the sandbox off, so code runs only with `CodeLimits(allow_unsandboxed=True)`."""
_PLATFORM_BACKENDS = {"linux": ("bwrap", "landlock"), "darwin": ("sandbox-exec",),
                      "win32": ("appcontainer",)}
BACKENDS: tuple[str, ...] = _PLATFORM_BACKENDS.get(
    "linux" if sys.platform.startswith("linux") else sys.platform, ())
"""This platform's backends, best first."""


@dataclass(frozen=True, slots=True)
class Detection:
    """The backend chosen (None: none works) and why, in words for a person."""

    backend: str | None
    reason: str

    executable: str | None = None
    """The backend's program, when it has one (which bwrap)."""

    def isolator(self) -> Isolator:
        """The chosen backend.

        Raises:
            SandboxUnavailable: None works here.
        """
        if self.backend == "bwrap":
            return BwrapIsolator(self.executable)
        if self.backend == "landlock":
            return LandlockIsolator()
        if self.backend == "sandbox-exec":
            from desktop_app.engine.sandbox._macos import SandboxExecIsolator

            return SandboxExecIsolator(self.executable)
        if self.backend == "appcontainer":
            from desktop_app.engine.sandbox._windows import AppContainerIsolator

            return AppContainerIsolator()
        raise SandboxUnavailable(self.reason)


def _probe_command(script: str) -> list[str]:
    """This interpreter running `script` (a frozen build runs scripts with --exec-python)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--exec-python", script]
    return [sys.executable, "-I", script]


def _spawn(launch: Launch, run_folder: str) -> subprocess.CompletedProcess[bytes]:
    """Runs a prepared launch to its end (20 s at most), output captured."""
    if os.name == "posix":
        return subprocess.run(  # noqa: PLW1509 - preexec_fn sets the limits
            launch.argv, env=launch.env, cwd=run_folder, capture_output=True, timeout=20,
            check=False, preexec_fn=launch.preexec, pass_fds=launch.pass_fds,
        )
    return subprocess.run(launch.argv, env=launch.env, cwd=run_folder, capture_output=True,
                          timeout=20, check=False)


def _probe_env() -> dict[str, str]:
    """The probe's environment: a PATH, and what Windows' Python cannot start without."""
    env = {"PATH": os.defpath}
    if "SYSTEMROOT" in os.environ:
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    return env


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
            limits=IsolationLimits(max_processes=16), env=_probe_env(),
            read_only=[scripts],
        )
        try:
            done = _spawn(launch, run_folder)
        except (OSError, subprocess.SubprocessError) as exc:
            return str(exc)
        finally:
            launch.cleanup()
    if done.returncode == 0:
        return None
    return (done.stderr.decode(errors="replace").strip().splitlines() or ["exit"])[-1]


Probe = tuple[bool, str, str | None]
"""Whether a backend works, why (in words), and its program."""


def _probe_bwrap() -> Probe:
    candidates = bwrap_candidates()
    if not candidates:
        return False, "bubblewrap (bwrap) is not installed", None
    problems: list[str] = []
    for path in candidates:  # the release's own first; a system one may be allowed more
        problem = _try(BwrapIsolator(path))
        if problem is None:
            failed = f" ({'; '.join(problems)})" if problems else ""
            return (True, f"bubblewrap ({path}): own user, mount, PID, network and IPC "
                    f"namespaces{failed}", path)
        problems.append(f"{path}: {problem}")
    return False, f"bwrap cannot make its namespaces here ({'; '.join(problems)})", None


def _probe_sandbox_exec() -> Probe:
    from desktop_app.engine.sandbox._macos import SandboxExecIsolator, sandbox_exec_path

    path = sandbox_exec_path()
    if path is None:
        return False, "sandbox-exec is not on this Mac", None
    problem = _try(SandboxExecIsolator(path))
    if problem is not None:
        return False, f"sandbox-exec refused its profile ({problem})", None
    return (True, f"sandbox-exec ({path}): deny-by-default profile, no network, no keychain "
            "services, writes only in the run folder", path)


def _probe_appcontainer() -> Probe:
    from desktop_app.engine.sandbox._windows import AppContainerIsolator, appcontainer_problem

    problem = appcontainer_problem() or _try(AppContainerIsolator())
    if problem is not None:
        return False, f"an AppContainer could not be made ({problem})", None
    return (True, "AppContainer with no capabilities (no network, no access to your files "
            "but the run folder) in a Job Object (killed with CrewDesk, processes and memory "
            "capped)", None)


def _probe_landlock() -> Probe:
    from desktop_app.engine.sandbox import _landlock, _seccomp

    abi = _landlock.abi_version()
    if abi < 1:
        return False, "Landlock is not enabled in this kernel", None
    if not _seccomp.supported():
        return False, "no seccomp filter for this processor", None
    problem = _try(LandlockIsolator())
    if problem is not None:
        return False, f"Landlock and seccomp could not be applied ({problem})", None
    scoped = "; signals and abstract sockets scoped" if abi >= 6 else ""
    tcp = "; TCP denied" if abi >= 4 else ""
    return True, f"Landlock ABI {abi} + seccomp filter{tcp}{scoped}", None


_PROBES = {"bwrap": _probe_bwrap, "landlock": _probe_landlock,
           "sandbox-exec": _probe_sandbox_exec, "appcontainer": _probe_appcontainer}


@functools.cache
def _detect(choice: str) -> Detection:
    if not BACKENDS:
        return Detection(None, f"no sandbox backend for {sys.platform} in this version")
    if choice in ("none", "off"):
        return Detection(None, f"the sandbox is turned off ({CHOICE_VARIABLE}={choice})")
    if choice in _PROBES:
        if choice not in BACKENDS:
            return Detection(None, f"the {choice} sandbox is not for {sys.platform}")
        works, reason, program = _PROBES[choice]()
        return Detection(choice if works else None, reason, program)
    reasons: list[str] = []
    for name in BACKENDS:
        works, reason, program = _PROBES[name]()
        if works:
            before = f" (not {BACKENDS[0]}: {reasons[0]})" if reasons else ""
            return Detection(name, reason + before, program)
        reasons.append(reason)
    return Detection(None, "no sandbox works here: " + "; ".join(reasons))


def caps_summary(backend: str | None) -> str:
    """How the chosen backend caps a run's memory and processes, for `crewdesk doctor`."""
    if backend in ("bwrap", "landlock"):
        from desktop_app.engine.sandbox._limits import memory_cap

        return memory_cap()
    if backend == "sandbox-exec":
        return ("memory: per process only (RLIMIT_AS, which macOS may not enforce); CPU time, "
                "file size and process count capped by rlimits")
    if backend == "appcontainer":
        return "memory: the Job Object caps each process and the whole run"
    return "memory: no cap (no sandbox)"


def detect(choice: str | None = None) -> Detection:
    """The backend to use (probed once per choice, then cached).

    Args:
        choice: `bwrap`, `landlock` or `auto`; default: `$CREWDESK_SANDBOX`, else `auto`.
    """
    choice = (choice or os.environ.get(CHOICE_VARIABLE) or "auto").strip().lower()
    return _detect(choice)
