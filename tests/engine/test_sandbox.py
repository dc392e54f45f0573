"""The OS sandbox around model code: backend choice, refusal without one, opt-in, normal code."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from desktop_app.engine.code_execution import CodeLimits, arun_python, run_python
from desktop_app.engine.sandbox import BACKENDS, detect
from desktop_app.simulator import SimulatorThread

AVAILABLE = [name for name in BACKENDS if detect(name).backend == name]
LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="Linux only (SIGXCPU, /proc)")
SEED = Path(__file__).parent / "seed_examples" / "akickoff_single.py"


def test_detect_names_the_backend_and_why() -> None:
    found = detect()
    assert found.reason
    assert found.backend in (*BACKENDS, None)
    assert detect("none").backend is None and "turned off" in detect("none").reason


@pytest.mark.asyncio
async def test_with_no_sandbox_code_is_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", "none")
    result = await arun_python("print('ran')")
    assert "ran" not in result.stdout and result.exit_code is None
    text = result.for_model(CodeLimits())
    assert text.startswith("Error: code execution is off:")
    assert ("bubblewrap" in text) == LINUX and "allow_unsandboxed" in text


def test_a_crew_that_opts_in_runs_code_unsandboxed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", "none")
    result = run_python("print(6 * 7)", CodeLimits(allow_unsandboxed=True))
    assert result.stdout.strip() == "42" and not result.refused


@linux_only
@pytest.mark.parametrize("backend", AVAILABLE)
def test_normal_code_and_limits_work_in_each_backend(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", backend)
    code = ("import os, statistics, json\nopen('a.json', 'w').write(json.dumps([1, 2]))\n"
            "print(statistics.mean(json.load(open('a.json'))), os.getcwd())")
    result = run_python(code)
    mean, cwd = result.stdout.split()
    assert mean == "1.5" and Path(cwd).name.startswith("crewdesk-code-")
    assert not Path(cwd).exists()
    cpu = run_python("while True: pass", CodeLimits(timeout_s=20.0, cpu_s=1.0))
    assert "CPU-time limit" in cpu.for_model(CodeLimits())


@pytest.mark.parametrize("backend", AVAILABLE)
def test_the_seed_example_runs_in_each_backend(
    backend: str, sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CREWDESK_SANDBOX", backend)
    monkeypatch.setenv("MODEL", "openai/sim")
    monkeypatch.setenv("OPENAI_BASE_URL", sim_thread.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    runpy.run_path(str(SEED), run_name="__main__")
    assert "Crew Result: Result: 35.0." in capsys.readouterr().out


DAEMON = """\
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # no marker in its environment: the marker sweep cannot find it
        os.execve(sys.executable, [sys.executable, "-I", "-S", "-c",
                  "import time; time.sleep(60)", "{marker}"], {{}})
    os._exit(0)
os.wait()
time.sleep(60)
"""


@linux_only
@pytest.mark.parametrize("backend", AVAILABLE)
@pytest.mark.parametrize("blocking", [False, True])
@pytest.mark.asyncio
async def test_a_timed_out_run_leaves_no_process_even_one_that_left_its_group(
    backend: str, blocking: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio
    import uuid

    from desktop_app.engine.sandbox import _limits

    monkeypatch.setenv("CREWDESK_SANDBOX", backend)
    monkeypatch.setattr(_limits, "_pids_root", lambda: None)  # no cgroup to sweep with
    marker = f"crewdesk-left-{uuid.uuid4().hex}"
    # The guard refuses os.execve with an environment without its marker: run it unguarded.
    limits = CodeLimits(timeout_s=2.0)
    if blocking:
        result = await asyncio.to_thread(run_python, _unguarded(DAEMON.format(marker=marker)),
                                         limits)
    else:
        result = await arun_python(_unguarded(DAEMON.format(marker=marker)), limits)
    assert result.timed_out
    await asyncio.sleep(0.2)
    assert _processes_with(marker) == []


def _unguarded(source: str) -> str:
    """Code that runs `source` in a Python child the guard never sees (see sandbox_attacks)."""
    from tests.reliability.sandbox_attacks import UNGUARDED

    return UNGUARDED.replace("unguarded(PAYLOAD)", f"unguarded({source!r})")


def _processes_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found
