"""`crewdesk --exec-python SCRIPT`: how a frozen build runs the code a model wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app._frozen import exit_code

RUN = "import sys; from desktop_app.cli import main; sys.exit(main())"


def exec_python(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `source` as a script through `crewdesk --exec-python` (unfrozen, in a child)."""
    script = tmp_path / "job.py"
    script.write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", RUN, "--exec-python", str(script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_runs_the_script_as_main_with_its_own_argv(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 41\n", encoding="utf-8")
    done = exec_python(
        tmp_path,
        "import sys, helper\nprint(__name__, sys.argv[1:], helper.VALUE + 1, 'é')\n",
        "a",
        "b",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "__main__ ['a', 'b'] 42 é"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("raise SystemExit(3)", 3),
        ("import sys; sys.exit()", 0),
        ("raise SystemExit('bad input')", 1),
        ("1 / 0", 1),
    ],
)
def test_exit_status_is_the_interpreters(tmp_path: Path, source: str, code: int) -> None:
    done = exec_python(tmp_path, source + "\n")
    assert done.returncode == code, done.stderr
    if source == "1 / 0":
        assert "ZeroDivisionError" in done.stderr


def test_without_a_script_it_explains_the_usage(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN, "--exec-python"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "usage: crewdesk --exec-python SCRIPT" in done.stderr


def test_exit_code_of_system_exit_values() -> None:
    assert exit_code(SystemExit()) == 0
    assert exit_code(SystemExit(7)) == 7
