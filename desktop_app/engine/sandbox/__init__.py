"""Isolation of the code a model writes from the rest of the machine, one backend per OS.

Linux: `bwrap` (bubblewrap: namespaces, a read-only interpreter, a capped tmpfs run folder;
the release's own bwrap first) or, where unprivileged user namespaces are off, `landlock`
(Landlock + a seccomp filter, through a small launcher); a memory cgroup per run where one
can be made. macOS: `sandbox-exec` with a deny-by-default profile. Windows: `appcontainer`
(an AppContainer with no capabilities, in a Job Object). `detect()` tries them once and says
which one works and why; with none, code execution is off unless a crew opts in to running
unsandboxed (`CodeLimits(allow_unsandboxed=True)`).
"""

from desktop_app.engine.sandbox._base import (
    IsolationLimits,
    Isolator,
    Launch,
    SandboxUnavailable,
)
from desktop_app.engine.sandbox._detect import (
    BACKENDS,
    CHOICE_VARIABLE,
    Detection,
    caps_summary,
    detect,
)

__all__ = [
    "BACKENDS",
    "CHOICE_VARIABLE",
    "Detection",
    "IsolationLimits",
    "Isolator",
    "Launch",
    "SandboxUnavailable",
    "caps_summary",
    "detect",
]
