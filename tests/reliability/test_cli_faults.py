"""Provider faults through `crewdesk run`: exit code, a clear line on stderr, partial output.

The CLI runs in this process (`cli.main`) against the simulator over HTTP; the key comes from
`OPENAI_API_KEY`, as for an agent that names no credential. The whole fault x mode matrix with
a CLI column is `benchmarks/reliability_faults_app.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.documents import AgentSpec, CrewDocument, InputSet, TaskSpec, save_crew
from desktop_app.simulator import SimulatorThread

KEY = "sk-cli-faults-Hq7Wn3Xc5Vb9"


@pytest.fixture
def crew_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-task crew file; the key for its agent in `OPENAI_API_KEY`."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    agent = AgentSpec(
        key="analyst",
        role="Analyst",
        goal="Answer",
        backstory="Quick.",
        llm="openai/sim",
        llm_options={"timeout": 2},
    )
    task = TaskSpec(
        key="summary",
        name="Summary",
        description="Summarise {topic}",
        expected_output="text",
        agent="analyst",
    )
    doc = CrewDocument(
        name="Faults",
        agents=[agent],
        tasks=[task],
        input_sets=[InputSet(name="default", values={"topic": "tides"})],
    )
    path = tmp_path / "faults.crew.yaml"
    save_crew(doc, path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["run", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_refused_key_says_whose_and_where_to_fix_it_and_the_batch_goes_on(
    sim_thread: SimulatorThread,
    crew_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs = tmp_path / "inputs.jsonl"
    inputs.write_text('{"topic": "a"}\n{"topic": "b"}\n{"topic": "c"}\n', encoding="utf-8")
    code, out, err = _run(
        capsys,
        str(crew_file),
        "--base-url",
        sim_thread.base_url,
        "--model",
        "openai/sim:status=401,fail_times=1",
        "--inputs-file",
        str(inputs),
        "--concurrency",
        "1",
        "--quiet",
    )
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("note: recorded in the history as runs ")  # 3 ids, to resume
    lines = lines[1:]
    assert lines[0].startswith(
        "error: [1] Task 'Summary' (agent 'Analyst') failed: the key for openai was refused"
    )
    assert "3/3 done, 1 failed" in lines
    hints = [line for line in lines if line.startswith("hint: ")]
    assert len(hints) == 1
    assert "the key for openai was refused" in hints[0]
    assert "Settings" in hints[0] and "OPENAI_API_KEY" in hints[0]
    assert out.count("final output ===") == 2 and "=== [1] failed ===" in out
    assert KEY not in out + err


def test_a_dropped_stream_prints_its_partial_text_then_fails(
    sim_thread: SimulatorThread, crew_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys,
        str(crew_file),
        "--base-url",
        sim_thread.base_url,
        "--model",
        "openai/sim:drop_after=5,tokens=40",
    )
    assert code == 1
    streamed, _, summary = out.partition("=== failed ===")
    assert streamed.startswith("== task 1 Summary (Analyst) ==\nAnswer to:")  # kept and shown
    assert "cut off before the answer was complete" in summary
    note, line = err.splitlines()
    assert note.startswith("note: recorded in the history as run ")  # its id, to resume
    assert line.startswith(
        "error: Task 'Summary' (agent 'Analyst') failed: the stream from "
        "openai (openai/sim:drop_after=5,tokens=40) was cut off"
    )
