"""Environment variables set for a block and put back after it (process-wide state)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = ["environ_set"]


@contextmanager
def environ_set(values: Mapping[str, str]) -> Iterator[None]:
    """Sets `values` in `os.environ` while the block runs, then puts back what each variable
    was (removing those that were not set). The environment is the process's: use it around
    a whole run, not in one of several concurrent ones."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
