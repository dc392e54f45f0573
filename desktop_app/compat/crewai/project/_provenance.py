"""Where an `Agent` or `Task` built by a `@CrewBase` method came from.

The app shows what lives in YAML as editable (and saves it back) and what lives in code
(tools, output models, callbacks) read-only with its file and line; `provenance_of` tells
which is which for each object.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Provenance:
    """How a `@CrewBase` method built an object.

    Attributes:
        method: The method's name (the YAML key, in CrewAI's convention).
        file: The Python file of the method.
        line: The line of its `def`.
        config_keys: Settings that came from the YAML config (`config=`).
        code_keys: Settings given as keyword arguments in code (tools, output_pydantic...).
    """

    method: str
    file: Path
    line: int
    config_keys: frozenset[str]
    code_keys: frozenset[str]


_records: weakref.WeakKeyDictionary[Any, Provenance] = weakref.WeakKeyDictionary()


def provenance_of(obj: object) -> Provenance | None:
    """The provenance of an `Agent`/`Task` made by a `@CrewBase` method, else None."""
    try:
        return _records.get(obj)
    except TypeError:  # not weak-referenceable or not hashable: never recorded
        return None


def record(obj: object, method: Callable[..., Any]) -> None:
    """Notes that `method` (the undecorated function) built `obj`."""
    file, line = _where(method)
    config_keys = _keys(obj, "config_keys")
    code_keys = _keys(obj, "given_keys") - {"config"}
    provenance = Provenance(method.__name__, file, line, config_keys, code_keys)
    try:
        _records[obj] = provenance
    except TypeError:
        return


def _keys(obj: object, accessor: str) -> frozenset[str]:
    keys = getattr(obj, accessor, None)
    return frozenset(keys()) if callable(keys) else frozenset()


def _where(method: Callable[..., Any]) -> tuple[Path, int]:
    function = inspect.unwrap(method)
    code = getattr(function, "__code__", None)
    try:
        source_file = inspect.getsourcefile(function)
    except TypeError:
        source_file = None
    file = Path(source_file or str(getattr(code, "co_filename", "?")))
    line = int(getattr(code, "co_firstlineno", 0))
    try:
        source, start = inspect.getsourcelines(function)
    except (OSError, TypeError):
        return file, line
    for offset, text in enumerate(source):
        if text.lstrip().startswith(("def ", "async def ")):
            return file, start + offset
    return file, line
