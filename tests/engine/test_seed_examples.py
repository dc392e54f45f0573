"""CrewAI's "Kickoff Crew Asynchronously" examples, with only the import line changed.

The scripts in seed_examples/ run as they are. With no `llm` given, the agent takes its
model from the environment (MODEL, OPENAI_BASE_URL, OPENAI_API_KEY) as in CrewAI; here that
points at the simulator. The simulator's model writes Python that averages the ages it sees,
and answers "Result: <what the code printed>", so each average in the output proves that the
engine really ran the code the model wrote.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from desktop_app.simulator import SimulatorThread

EXAMPLES = Path(__file__).parent / "seed_examples"

EXPECTED = {
    "akickoff_single.py": ["Crew Result: Result: 35.0."],
    "kickoff_async_single.py": ["Crew Result: Result: 35.0."],
    "akickoff_multiple.py": ["Crew 1 Result: Result: 35.0.", "Crew 2 Result: Result: 24.8."],
    "kickoff_async_multiple.py": ["Crew 1 Result: Result: 35.0.", "Crew 2 Result: Result: 24.8."],
    "akickoff_for_each.py": [
        "Dataset 1 Result: Result: 35.0.",
        "Dataset 2 Result: Result: 24.8.",
        "Dataset 3 Result: Result: 40.0.",
    ],
    "kickoff_for_each_async.py": [
        "Dataset 1 Result: Result: 35.0.",
        "Dataset 2 Result: Result: 24.8.",
        "Dataset 3 Result: Result: 40.0.",
    ],
    "akickoff_streaming.py": ["Final output: Result: 35.0."],
    "kickoff_async_streaming.py": ["Final output: Result: 35.0."],
}


def test_every_example_is_checked() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_example_runs_unchanged(
    name: str,
    sim_thread: SimulatorThread,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MODEL", "openai/sim")
    monkeypatch.setenv("OPENAI_BASE_URL", sim_thread.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    runpy.run_path(str(EXAMPLES / name), run_name="__main__")

    printed = capsys.readouterr().out
    for line in EXPECTED[name]:
        assert line in printed
    code_requests = [
        r for r in sim_thread.stats.requests
        if any(m.get("role") == "tool" for m in r.body.get("messages", []))
    ]
    assert len(code_requests) == len(EXPECTED[name])


def test_streaming_example_prints_chunks_as_they_come(
    sim_thread: SimulatorThread, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODEL", "openai/sim")
    monkeypatch.setenv("OPENAI_BASE_URL", sim_thread.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    runpy.run_path(str(EXAMPLES / "akickoff_streaming.py"), run_name="__main__")

    printed = capsys.readouterr().out
    streamed, _, final = printed.partition("\n\nFinal output: ")
    # The tool call's arguments stream as a chunk, then the answer text.
    assert "print(sum(values) / len(values))" in streamed
    assert streamed.endswith(final.strip()) or final.strip() in streamed
