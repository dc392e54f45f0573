"""IPython's display helpers for a notebook run outside Jupyter, when IPython is not installed.

Course notebooks end with ``from IPython.display import Markdown`` and
``display(Markdown(result.raw))``; without IPython that import would stop the notebook after its
crew ran. While such a notebook runs, ``IPython`` and ``IPython.display`` are these small
modules: ``display(obj)`` prints the object's text, and ``Markdown``, ``HTML``... hold it. With
IPython installed, the real one is used.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
from collections.abc import Iterator


class _Shown:
    """Something a notebook shows (``Markdown(text)``): printed as its text."""

    def __init__(self, data: object = None, *args: object, **kwargs: object) -> None:
        self.data = data

    def __repr__(self) -> str:
        return str(self.data)

    __str__ = __repr__


class Markdown(_Shown):
    """Markdown text, printed as it is."""


class HTML(_Shown):
    """HTML text, printed as it is."""


class JSON(_Shown):
    """JSON data, printed as it is."""


class Pretty(_Shown):
    """Text, printed as it is."""


def display(*objs: object, **kwargs: object) -> None:
    """Prints each object (its text), as a notebook would show it."""
    for obj in objs:
        print(obj)


def clear_output(*args: object, **kwargs: object) -> None:
    """Does nothing: a terminal keeps what it printed."""


def get_ipython() -> None:
    """None: there is no IPython shell (code checking for one takes its plain path)."""
    return None


def _modules() -> dict[str, types.ModuleType]:
    package = types.ModuleType("IPython", "CrewDesk's stand-in for IPython (display only)")
    shown = types.ModuleType("IPython.display", "CrewDesk's stand-in for IPython.display")
    for name, value in (("display", display), ("clear_output", clear_output),
                        ("Markdown", Markdown), ("HTML", HTML), ("JSON", JSON),
                        ("Pretty", Pretty)):
        setattr(shown, name, value)
    package.display = shown  # type: ignore[attr-defined]
    package.get_ipython = get_ipython  # type: ignore[attr-defined]
    return {"IPython": package, "IPython.display": shown}


@contextlib.contextmanager
def ipython_stand_in() -> Iterator[dict[str, object]]:
    """Serves the stand-in IPython for the block when the real one is not installed.

    Yields:
        Names a notebook has without importing them (``display``, ``get_ipython``).
    """
    if "IPython" in sys.modules or importlib.util.find_spec("IPython") is not None:
        yield {}
        return
    modules = _modules()
    sys.modules.update(modules)
    try:
        yield {"display": display, "get_ipython": get_ipython}
    finally:
        for name, module in modules.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
