"""PySide6 6.12.0 on Python 3.11 crashed under qasync (`Fatal Python error: none_dealloc`).

Every Qt call that returns nothing dropped a reference to `None`, and `Signal.emit` one to
`True`/`False`, so after a few thousand loop iterations the interpreter died (FIELD-NOTES,
"Versions and a crash to avoid"; fixed by pinning 6.11.3). This test runs 20,000 iterations
of the qasync loop with such calls and emits in each, in a child process so that a crash is
reported as a failure instead of killing pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

ITERATIONS = 20_000

Arun = Callable[..., Any]


class _Emitter(QObject):
    ping = Signal(int)
    flag = Signal(bool)


async def spin(iterations: int) -> int:
    """`await asyncio.sleep(0)` `iterations` times, with Qt calls and emits in each."""
    import asyncio

    emitter = _Emitter()
    label = QLabel()
    seen = [0]
    emitter.ping.connect(lambda value: seen.__setitem__(0, value))
    emitter.flag.connect(label.setVisible)
    for index in range(iterations):
        await asyncio.sleep(0)
        label.setText(str(index))  # returns None
        label.update()  # returns None
        emitter.ping.emit(index)
        emitter.flag.emit(index % 2 == 0)
    return seen[0]


def test_twenty_thousand_loop_iterations_in_process(arun: Arun) -> None:
    assert arun(spin(ITERATIONS), timeout=120) == ITERATIONS - 1


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {tests!r})
    from PySide6.QtWidgets import QApplication
    from desktop_app.ui.qt import QEventLoop
    from test_loop_regression import ITERATIONS, spin

    app = QApplication([])
    loop = QEventLoop(app)
    asyncio.set_event_loop(loop)
    print(loop.run_until_complete(spin(ITERATIONS)))
    loop.close()
    """
)


def test_twenty_thousand_loop_iterations_in_a_child_process() -> None:
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(tests=tests)],
        capture_output=True, text=True, timeout=180, env=env, check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}:\n{done.stderr[-3000:]}"
    assert done.stdout.strip().splitlines()[-1] == str(ITERATIONS - 1)
