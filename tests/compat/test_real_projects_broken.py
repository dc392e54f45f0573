"""Broken CrewAI projects: a clear ``error: file:line: message``, exit 2, never a traceback.

The four ``broken_*`` fixtures of ``tests/compat/projects/`` (see its README) fail the way
users' projects do: a syntax error, a ``crewai_tools`` tool CrewDesk has no equivalent for, a
YAML entry the code asks for but nobody wrote, a tool whose key is nowhere. Through
``crewdesk run`` (with and without ``--inputs``) each is one line naming the project's file and
line; through the app's path (``projects.load`` and ``build_crew``) it is a ``ProjectError``
carrying the same file and line, or, for the missing key, a run that says which key is missing.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_app.cli import main as crewdesk
from desktop_app.engine import Crew
from desktop_app.engine.events import RunEvent, RunFailed, ToolCallFinished
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from tests.process_support import kept_process_state

PROJECTS = Path(__file__).parent / "projects"
ERROR_LINE = re.compile(r"^error: (?P<path>.+?):(?P<line>\d+): (?P<message>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Broken:
    """A broken fixture and the error it must get.

    Attributes:
        name: Its folder under ``projects/``.
        file: The project file the error names, relative to its root.
        lines: The line(s) the error may name (the import or the call, for a tool).
        words: Words the message must contain (what is wrong, and what to do).
    """

    name: str
    file: str
    lines: frozenset[int]
    words: tuple[str, ...]


BROKEN = [
    Broken("broken_syntax", "src/broken_syntax/crew.py", frozenset({16}), ("(",)),
    Broken("broken_unknown_tool", "src/broken_unknown_tool/crew.py", frozenset({5, 19}),
           ("BrowserbaseLoadTool", "@tool")),
    Broken("broken_missing_yaml_key", "src/broken_missing_yaml_key/crew.py", frozenset({24}),
           ("writer", "agents.yaml")),
    Broken("broken_missing_key", "src/broken_missing_key/crew.py", frozenset({19}),
           ("SERPER_API_KEY",)),
]
BY_NAME = {case.name: case for case in BROKEN}


def test_every_broken_fixture_is_a_case() -> None:
    assert {p.name for p in PROJECTS.glob("broken_*")} == set(BY_NAME)


@pytest.fixture(autouse=True)
def _process_state(tmp_path: Path) -> Iterator[None]:
    """Variables, ``sys.path``, folder and the copy's modules are put back after each test;
    no Serper key is set anywhere (the keychain is the tests' empty in-memory one)."""
    with kept_process_state(tmp_path):
        os.environ.pop("SERPER_API_KEY", None)
        yield


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """A copy of the fixture in ``tmp_path``."""
    target = tmp_path / name
    shutil.copytree(PROJECTS / name, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def check_error_line(case: Broken, root: Path, err: str) -> None:
    """stderr holds ``error: <file>:<line>: <message>`` naming the case's file and line."""
    found = ERROR_LINE.search(err)
    assert found is not None, err
    assert Path(found["path"]).resolve() == (root / case.file).resolve(), found["path"]
    assert int(found["line"]) in case.lines, found.group(0)
    for word in case.words:
        assert word in found["message"], (word, found["message"])


@pytest.mark.parametrize("extra", [[], ["--inputs", '{"topic": "tides"}']],
                         ids=["as-crewai-run", "with-inputs"])
@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_crewdesk_run_broken_project(
    name: str, extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)

    code = crewdesk(["run", str(root), "--simulator", *extra])

    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in out + err
    check_error_line(case, root, err)


@pytest.mark.parametrize("name", ["broken_syntax", "broken_unknown_tool",
                                  "broken_missing_yaml_key"])
def test_app_loading_broken_project_names_file_and_line(name: str, tmp_path: Path) -> None:
    from desktop_app.compat.projects import ProjectError, load, locate

    case = BY_NAME[name]
    root = copy_fixture(name, tmp_path)

    with pytest.raises(ProjectError) as raised:
        load(locate(root)).build_crew()

    error = raised.value
    assert error.path.resolve() == (root / case.file).resolve()
    assert error.line in case.lines
    assert "Traceback" not in str(error)
    check_error_line(case, root, f"error: {error}")


def test_app_run_of_tool_without_key_names_the_key(tmp_path: Path) -> None:
    """The app's path: building may succeed, but the run must say which key is missing
    (failing the run, or as the tool's error), never succeed silently without Serper."""
    from desktop_app.compat.projects import ProjectError, load, locate
    from desktop_app.engine.llm import force_llm_target

    root = copy_fixture("broken_missing_key", tmp_path)
    seen: list[RunEvent] = []
    fast = SimulatorConfig(ttft=0.005, tokens_per_second=2000.0)
    with SimulatorThread(fast) as sim, force_llm_target("openai/sim", sim.base_url, "sk-test"):
        project = load(locate(root))
        try:
            with project.activated():
                crew = project.build_crew()
                asyncio.run(collect(crew, {"topic": "tides"}, seen))
        except ProjectError as exc:
            assert "SERPER_API_KEY" in str(exc)
            return
    messages = [e.error for e in seen if isinstance(e, RunFailed)]
    messages += [e.output for e in seen if isinstance(e, ToolCallFinished) and e.is_error]
    assert any("SERPER_API_KEY" in message for message in messages), seen


async def collect(crew: Crew, inputs: dict[str, str], seen: list[RunEvent]) -> None:
    """Runs the crew and reads its event stream to its end (its error is in the events)."""
    try:
        async for event in crew.stream_events(inputs):
            seen.append(event)
    except Exception:  # noqa: BLE001 - the failure is checked through RunFailed
        return
