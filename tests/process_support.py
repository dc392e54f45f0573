"""Putting the process back after a test that runs a project or script in-process (no tests).

`crewdesk run` on a project or flow script loads its `.env`, puts its folder on `sys.path`,
may change folder and imports its modules; the tests that do it share this one undoing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def kept_process_state(
    modules_under: Path | None = None, *, packages: Collection[str] = ()
) -> Iterator[None]:
    """Puts back `os.environ`, `sys.path` and the working folder on leaving, and forgets the
    modules imported from files under `modules_under` (the test's copy of a project) and
    those of the top-level `packages` (a project imported by name)."""
    environ, path, cwd = dict(os.environ), list(sys.path), Path.cwd()
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    os.chdir(cwd)
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        copied = modules_under is not None and origin.startswith(str(modules_under))
        if copied or name.split(".")[0] in packages:
            del sys.modules[name]
