"""The macOS backend: `sandbox-exec -p PROFILE` with a deny-by-default profile (SBPL).

What the profile allows, and nothing else: running and reading the interpreter's prefixes
(and a frozen build's folder), the system's libraries, frameworks and `/bin` tools; reading
file metadata (`stat`: Python needs it on every path it resolves); reading and writing in the
run folder only (and `/dev/null`); mapping code only from the readable places; forking, and
signals within the sandbox. Denied by the
default and, for clarity, by name: every network operation, every Mach service lookup (the
keychain's `com.apple.SecurityServer` and `securityd` among them), files anywhere else (your
home, CrewDesk's data folder, other apps' files). Caps are rlimits set before `sandbox-exec`
starts: CPU time, file size, no core files, and the process count (RLIMIT_NPROC counts every
process of the user, so it is set to how many the user has now plus the cap); RLIMIT_AS is
set when macOS takes it, but macOS does not enforce it.

`sandbox-exec` is deprecated by Apple but present on every macOS release to date; the App
Sandbox it drives is what Apple's own apps use.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from desktop_app.engine.sandbox._base import IsolationLimits, Launch, interpreter_paths

SANDBOX_EXEC = "/usr/bin/sandbox-exec"
_SYSTEM_READ = ("/usr/lib", "/usr/share", "/System", "/Library/Apple", "/bin", "/usr/bin",
                "/private/var/db/dyld", "/private/var/db/timezone", "/private/etc",
                "/Library/Frameworks/Python.framework", "/Library/Developer/CommandLineTools")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/dtracehelper")
_KEYCHAIN_SERVICES = ("com.apple.SecurityServer", "com.apple.securityd",
                      "com.apple.security.agent", "com.apple.secd", "com.apple.trustd",
                      "com.apple.security.keychain-circle-notification")


def sandbox_exec_path() -> str | None:
    """`/usr/bin/sandbox-exec` when this is a Mac that has it, else None."""
    if sys.platform == "darwin" and os.access(SANDBOX_EXEC, os.X_OK):
        return SANDBOX_EXEC
    return None


def _quote(path: str) -> str:
    """`path` as an SBPL string literal."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _subpaths(paths: Sequence[str]) -> str:
    return " ".join(f"(subpath {_quote(p)})" for p in paths)


def profile(run_folder: str, read_only: Sequence[str]) -> str:
    """The SBPL profile of one run: deny by default, then what the run needs."""
    readable = [*interpreter_paths(), *_SYSTEM_READ, *read_only]
    run = _quote(run_folder)
    denied_services = " ".join(f"(global-name {_quote(name)})" for name in _KEYCHAIN_SERVICES)
    return "\n".join([
        "(version 1)",
        "(deny default)",
        "(allow process-fork)",
        f"(allow process-exec {_subpaths(readable)})",
        f"(allow file-map-executable {_subpaths(readable)})",  # dyld loading extensions
        "(allow signal (target same-sandbox))",
        "(allow process-info* (target self))",
        "(allow sysctl-read)",
        "(allow file-read-metadata)",
        f"(allow file-read* {_subpaths(readable)} {_subpaths(_DEVICES)} (literal \"/\"))",
        f"(allow file-read* file-write* (subpath {run}))",
        "(allow file-write-data (literal \"/dev/null\"))",
        "(deny network*)",
        f"(deny mach-lookup {denied_services})",
        "",
    ])


def _user_processes() -> int:
    """How many processes this user has now (RLIMIT_NPROC counts them all)."""
    try:
        listed = subprocess.run(["/bin/ps", "-U", str(os.getuid()), "-o", "pid="],
                                capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return 256
    return len(listed.stdout.split())


class SandboxExecIsolator:
    """Runs the program under `sandbox-exec` with `profile()`."""

    name = "sandbox-exec"

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or SANDBOX_EXEC

    def prepare(
        self,
        *,
        argv: Sequence[str],
        run_folder: str,
        limits: IsolationLimits,
        env: Mapping[str, str],
        read_only: Sequence[str] = (),
    ) -> Launch:
        """The sandbox-exec command around `argv` (see `Isolator.prepare`)."""
        folder = os.path.realpath(run_folder)
        outside = [os.path.realpath(p) for p in read_only]
        command = [self.executable, "-p", profile(folder, outside), *argv]
        nproc = _user_processes() + limits.max_processes + 1

        def preexec() -> None:  # pragma: no cover - runs in the forked child, on macOS
            import resource

            cpu = limits.cpu_s
            size = limits.disk_mb * 1024 * 1024
            memory = limits.memory_mb * 1024 * 1024
            for which, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)),
                                 (resource.RLIMIT_FSIZE, (size, size)),
                                 (resource.RLIMIT_CORE, (0, 0)),
                                 (resource.RLIMIT_NPROC, (nproc, nproc)),
                                 (resource.RLIMIT_AS, (memory, memory))):
                with contextlib.suppress(ValueError, OSError):  # macOS refuses some
                    resource.setrlimit(which, value)

        return Launch(command, dict(env), preexec)
