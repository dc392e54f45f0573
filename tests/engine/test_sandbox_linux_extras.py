"""Linux backends' details: the Landlock launcher runs a script as the interpreter would, and
the release's own bwrap comes first (with its libraries)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from desktop_app.engine.code_execution import CodeLimits, run_python
from desktop_app.engine.sandbox import CHOICE_VARIABLE, _bwrap, detect
from desktop_app.engine.sandbox._landlock_backend import inline_split

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

PROBE = """\
import sys
print(repr((sys.path, sys.argv[1:], __name__, sys.flags.isolated, sys.flags.utf8_mode,
            sys.stdout.encoding, sys.executable)))
def fail():
    raise ValueError("boom")
fail()
"""


def _outcome(mode: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, int | None]:
    monkeypatch.setenv(CHOICE_VARIABLE, mode)
    result = run_python(PROBE, CodeLimits(allow_unsandboxed=True))
    trace = result.stderr.split("Traceback", 1)[-1]
    for folder in ("crewdesk-code-", "crewdesk-guard-"):  # each run has its own folders
        trace = "\n".join(line.split(folder)[0] for line in trace.splitlines())
    return result.stdout, trace, result.exit_code


@pytest.mark.skipif(detect("landlock").backend != "landlock", reason="no Landlock here")
def test_the_launcher_runs_a_script_as_the_interpreter_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = _outcome("none", monkeypatch)
    confined = _outcome("landlock", monkeypatch)
    assert confined == plain
    assert "ValueError: boom" in confined[1] and confined[2] == 1
    assert "_launcher" not in confined[1]


def test_only_this_interpreter_running_a_script_in_isolated_mode_runs_inline() -> None:
    me = sys.executable
    assert inline_split([me, "-I", "-X", "utf8", "run.py", "a"]) == (4, ["-X", "utf8"], True)
    assert inline_split([me, "-I", "-S", "run.py"]) == (3, [], False)
    assert inline_split([me, "run.py"]) is None  # not isolated
    assert inline_split([me, "-I", "-c", "print(1)"]) is None
    assert inline_split([me, "-I", "-m", "http.server"]) is None
    assert inline_split(["/bin/sh", "-I", "run.py"]) is None


@pytest.mark.skipif(_bwrap.bwrap_path() is None, reason="bubblewrap is not installed")
def test_a_frozen_build_tries_its_own_bwrap_first_with_its_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = _bwrap.bwrap_path()
    assert system is not None
    folder = tmp_path / "crewdesk" / "bubblewrap"
    folder.mkdir(parents=True)
    own = Path(shutil.copy2(system, folder / "bwrap"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "crewdesk" / "crewdesk"))
    candidates = _bwrap.bwrap_candidates()
    assert candidates[0] == str(own) and system in candidates[1:]
    assert "LD_LIBRARY_PATH" not in _bwrap._bwrap_env(str(own), {"PATH": "/usr/bin"})
    (folder / "libcap.so.2").write_bytes(b"")
    assert _bwrap._bwrap_env(str(own), {"PATH": "/usr/bin"})["LD_LIBRARY_PATH"] == str(folder)
