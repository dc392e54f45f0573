"""Putting the process back after a test that runs a project or script in-process (no tests).

`crewdesk run` on a project or flow script loads its `.env`, puts its folder on `sys.path`,
may change folder and imports its modules; the tests that do it share this one undoing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def kept_process_state(modules_under: Path) -> Iterator[None]:
    """Puts back `os.environ`, `sys.path` and the working folder on leaving, and forgets the
    modules imported from files under `modules_under` (the test's copy of a project)."""
    environ, path, cwd = dict(os.environ), list(sys.path), Path.cwd()
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    os.chdir(cwd)
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(str(modules_under)):
            del sys.modules[name]
