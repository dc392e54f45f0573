"""Isolation of the code a model writes from the rest of the machine, one backend per OS.

Linux: `bwrap` (bubblewrap: namespaces, a read-only interpreter, a capped tmpfs run folder)
or, where unprivileged user namespaces are off, `landlock` (Landlock + a seccomp filter,
through a small launcher). `detect()` tries them once and says which one works and why;
with none, code execution is off unless a crew opts in to running unsandboxed
(`CodeLimits(run_unsandboxed=True)`). macOS and Windows have no backend yet.
"""

from desktop_app.engine.sandbox._base import (
    IsolationLimits,
    Isolator,
    Launch,
    SandboxUnavailable,
)
from desktop_app.engine.sandbox._detect import BACKENDS, CHOICE_VARIABLE, Detection, detect

__all__ = [
    "BACKENDS",
    "CHOICE_VARIABLE",
    "Detection",
    "IsolationLimits",
    "Isolator",
    "Launch",
    "SandboxUnavailable",
    "detect",
]
