"""CrewAI's "Kickoff Crew Asynchronously" examples with their import line unchanged.

The scripts in seed_examples_crewai/ are CrewAI's guide code exactly, ``from crewai import
Crew, Agent, Task`` included (the copies in seed_examples/ differ only in that line). They run
two ways, with the same printed lines as `test_seed_examples`:

- ``crewdesk run script.py --simulator``: the CLI runs the script as it is, its ``crewai``
  imports resolved to CrewDesk's engine;
- a library user's way: ``desktop_app.compat.install()``, then the script (``runpy``), with
  the model taken from the environment as in CrewAI.

The simulator's model writes Python that averages the ages it sees and answers ``Result: <what
the code printed>``, so each average in the output proves the engine ran the model's code.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import desktop_app.simulator
from desktop_app.cli import main as crewdesk
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from tests.engine.test_seed_examples import EXPECTED

EXAMPLES = Path(__file__).parent / "seed_examples_crewai"
IMPORT_LINE = "from crewai import Crew, Agent, Task"


def test_examples_are_crewai_guide_code_with_its_import_line() -> None:
    originals = Path(__file__).parent / "seed_examples"
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)
    for name in EXPECTED:
        ours = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
        theirs = (originals / name).read_text(encoding="utf-8").splitlines()
        assert IMPORT_LINE in ours
        changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
        assert changed == [(IMPORT_LINE, "from desktop_app.engine import Crew, Agent, Task")]


def code_requests(sim: SimulatorThread) -> int:
    """Requests that carry a tool result: one per code run the model asked for."""
    return sum(1 for r in sim.stats.requests
               if any(m.get("role") == "tool" for m in r.body.get("messages", [])))


class RecordingSimulator(SimulatorThread):
    """The CLI's ``--simulator``, fast, remembered so the test can read its requests."""

    started: list[SimulatorThread] = []

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        super().__init__(SimulatorConfig(ttft=0.005, tokens_per_second=2000.0))
        RecordingSimulator.started.append(self)


@pytest.fixture
def restored_process() -> Iterator[None]:
    """The variables and import hook as they were before the test."""
    from desktop_app.compat import is_installed, uninstall

    environ, was_installed = dict(os.environ), is_installed()
    crewai_modules = {name for name in sys.modules if name.split(".")[0] == "crewai"}
    yield
    os.environ.clear()
    os.environ.update(environ)
    if not was_installed:
        uninstall()
    for name in [n for n in sys.modules if n.split(".")[0] == "crewai"]:
        if name not in crewai_modules:
            del sys.modules[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_example_through_crewdesk_run(
    name: str, restored_process: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    RecordingSimulator.started.clear()
    monkeypatch.setattr(desktop_app.simulator, "SimulatorThread", RecordingSimulator)

    code = crewdesk(["run", str(EXAMPLES / name), "--simulator", "--approve", "always"])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in out + err
    for line in EXPECTED[name]:
        assert line in out
    assert code_requests(RecordingSimulator.started[-1]) == len(EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_example_with_compat_install(
    name: str, restored_process: None, sim_thread: SimulatorThread,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import desktop_app.compat

    os.environ.update(MODEL="openai/sim", OPENAI_BASE_URL=sim_thread.base_url,
                      OPENAI_API_KEY="sk-test")
    desktop_app.compat.install()

    runpy.run_path(str(EXAMPLES / name), run_name="__main__")

    printed = capsys.readouterr().out
    for line in EXPECTED[name]:
        assert line in printed
    assert code_requests(sim_thread) == len(EXPECTED[name])
