"""Helpers for the ``crewdesk`` CLI tests (no tests here).

The example crews they run; running the CLI the way a shell would, keeping what it wrote;
and, for the tests that fork and resume runs, one three-task crew file and the runs the CLI
kept in the history.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.documents import AgentSpec, CrewDocument, TaskSpec, save_crew
from desktop_app.simulator import SimulatorConfig, SimulatorThread
from desktop_app.storage.history import HistoryDB, RunRecord
from desktop_app.storage.paths import AppPaths

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
WRITER = str(EXAMPLES / "research_writer.crew.yaml")
BRIEFS = str(EXAMPLES / "topic_briefs.crew.yaml")
BRIEF_INPUTS = str(EXAMPLES / "topic_briefs.inputs.jsonl")


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Runs ``crewdesk *argv``; returns its exit code and what it wrote to stdout and stderr."""
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def three_step_crew(tmp_path: Path, writer_model: str = "openai/sim") -> Path:
    """Writes a crew of three tasks (find, draft, polish) to `tmp_path`; returns its path.

    Task 2's agent (the writer) is on `writer_model`, so a test can make only that task slow,
    cut off or refused.
    """
    agents = [
        AgentSpec(key="scout", role="Scout", goal="Find", backstory="Quick.", llm="openai/sim"),
        AgentSpec(key="writer", role="Writer", goal="Write", backstory="Calm.", llm=writer_model),
    ]
    tasks = [
        TaskSpec(key="find", name="Find", description="Find facts on {topic}",
                 expected_output="facts", agent="scout"),
        TaskSpec(key="draft", name="Draft", description="Draft a note on {topic}",
                 expected_output="a note", agent="writer"),
        TaskSpec(key="polish", name="Polish", description="Polish the note on {topic}",
                 expected_output="a note", agent="scout"),
    ]
    path = tmp_path / "three.crew.yaml"
    save_crew(CrewDocument(name="Three steps", agents=agents, tasks=tasks), path)
    return path


def history_runs() -> list[RunRecord]:
    """Every run in the history of `$CREWDESK_HOME`, newest first, with its task outputs."""
    with HistoryDB(AppPaths.from_env().history_db) as db:
        return [r for s in db.list_runs() if (r := db.get_run(s.run_id)) is not None]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Runs ``crewdesk run *argv``; returns its exit code and what it wrote to stderr."""
    code = cli.main(["run", *argv])
    return code, capsys.readouterr().err


def prompts(sim: SimulatorThread, since: int = 0) -> list[str]:
    """The last message of each request the simulator got from request `since` on."""
    return [str(r.body["messages"][-1]["content"]) for r in sim.stats.requests[since:]]


def fast_simulator() -> SimulatorThread:
    """The LLM simulator in its own thread, answering at once (for ``--base-url``); use it
    in a ``with`` block."""
    return SimulatorThread(SimulatorConfig(ttft=0.0, tokens_per_second=5000.0))
