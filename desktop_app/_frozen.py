"""What a frozen (PyInstaller) CrewDesk does in place of a Python interpreter.

A frozen build has no `python` to run the code a model wrote, so the engine runs
`crewdesk --exec-python SCRIPT` instead (see `desktop_app.engine.code_execution.python_command`):
`exec_python` runs the script as `__main__`, as `python SCRIPT` would.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

EXEC_PYTHON = "--exec-python"
"""The option that makes the program run a Python script and exit."""


def exit_code(exc: SystemExit) -> int:
    """The process exit status of a `SystemExit`, as the interpreter computes it."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _use_utf8() -> None:
    """Makes standard streams UTF-8 (the child's `-X utf8` of an unfrozen run)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="backslashreplace")


def exec_python(script: str, args: Sequence[str] = ()) -> int:
    """Runs `script` as `__main__` with `sys.argv = [script, *args]`.

    `sys.path[0]` is the script's folder, as for `python SCRIPT`. An uncaught exception
    prints its traceback and gives 1; `SystemExit` gives its code.

    Returns:
        The exit code.
    """
    sys.argv = [script, *args]
    sys.path.insert(0, str(Path(script).resolve().parent))
    _use_utf8()
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        return exit_code(exc)
    except BaseException:  # noqa: BLE001 - report like the interpreter, then fail
        import traceback

        traceback.print_exc()
        return 1
    return 0


def exec_python_request(arguments: Sequence[str]) -> int | None:
    """Runs the script of `--exec-python SCRIPT [ARGS...]`; None when not asked.

    Returns:
        The script's exit code, 2 when SCRIPT is missing, or None for other arguments.
    """
    if not arguments or arguments[0] != EXEC_PYTHON:
        return None
    if len(arguments) < 2:
        print(f"usage: crewdesk {EXEC_PYTHON} SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    return exec_python(arguments[1], arguments[2:])
