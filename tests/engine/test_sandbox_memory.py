"""The whole run's memory cap: many processes, each under RLIMIT_AS, together over the cap."""

from __future__ import annotations

import sys

import pytest

from desktop_app.engine.code_execution import CodeLimits, run_python
from desktop_app.engine.sandbox import BACKENDS, _limits, detect

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux cgroups")
AVAILABLE = [name for name in BACKENDS if detect(name).backend == name]

# Four children of 120 MiB each: every one fits under RLIMIT_AS (200 MiB), together they don't.
SPREAD = """\
import os, time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (120 * 1024 * 1024)
        time.sleep(1.5)
        os._exit(0)
    children.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
print("children:", codes)
"""


def test_doctor_words_say_how_memory_is_capped() -> None:
    words = _limits.memory_cap()
    assert words.startswith("memory: ")
    if _limits.memory_parent() is not None:
        assert "cgroup v" in words and "all its processes together" in words


@pytest.mark.skipif(_limits.memory_parent() is None, reason="no memory cgroup can be made here")
@pytest.mark.parametrize("backend", AVAILABLE)
def test_a_run_past_its_memory_cap_is_killed_and_says_so(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", backend)
    limits = CodeLimits(memory_mb=200, timeout_s=20.0)
    result = run_python(SPREAD, limits)
    assert not result.timed_out
    assert "passed its memory limit (200 MiB for all its processes together)" in result.stderr
    assert "children: [0, 0, 0, 0]" not in result.stdout  # some child was killed (-9)
    assert "memory limit" in result.for_model(limits)


@pytest.mark.parametrize("backend", AVAILABLE)
def test_a_run_under_its_memory_cap_says_nothing_of_it(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", backend)
    result = run_python(SPREAD.replace("range(4)", "range(1)"), CodeLimits(memory_mb=200))
    assert result.stdout.strip() == "children: [0]", result
    assert "memory limit" not in result.stderr


@pytest.mark.skipif(_limits.memory_parent() is None, reason="no memory cgroup can be made here")
def test_the_run_cgroups_are_removed_after_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = _limits.memory_parent()
    assert parent is not None
    before = {p.name for p in parent[0].iterdir() if p.name.startswith("crewdesk-sandbox-")}
    monkeypatch.setenv("CREWDESK_SANDBOX", AVAILABLE[0] if AVAILABLE else "none")
    run_python("print(1)", CodeLimits(allow_unsandboxed=True))
    after = {p.name for p in parent[0].iterdir() if p.name.startswith("crewdesk-sandbox-")}
    assert after <= before
