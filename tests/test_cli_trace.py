"""``crewdesk trace RUN_ID [--otlp] [-o FILE]`` on a run that ``crewdesk run`` recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.documents import AgentSpec, CrewDocument, TaskSpec, save_crew
from desktop_app.storage.history import HistoryDB
from desktop_app.storage.paths import AppPaths
from tests.storage.test_trace_export import assert_valid_otlp


def _recorded_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    agent = AgentSpec(key="w", role="Writer", goal="Write", backstory="Calm.", llm="openai/sim")
    tasks = [
        TaskSpec(key="a", name="Draft", description="Draft on {topic}", expected_output="x",
                 agent="w"),
        TaskSpec(key="b", name="Polish", description="Polish it", expected_output="y", agent="w"),
    ]
    path = tmp_path / "two.crew.yaml"
    save_crew(CrewDocument(name="Two", agents=[agent], tasks=tasks), path)
    code = cli.main(["run", str(path), "--simulator", "--quiet", "--inputs", '{"topic": "tides"}'])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    with HistoryDB(AppPaths.from_env().history_db) as db:
        [summary] = db.list_runs()
    return summary.run_id


def test_trace_prints_the_runs_spans_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _recorded_run(tmp_path, capsys)
    assert cli.main(["trace", run_id]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["run_id"] == run_id and document["crew_name"] == "Two"
    kinds = [(span["kind"], span["task_index"]) for span in document["spans"]]
    assert kinds == [("llm", 0), ("task", 0), ("llm", 1), ("task", 1), ("run", None)]
    first = document["spans"][0]
    assert "Draft on tides" in first["detail"]["messages"][1]["content"]
    assert first["detail"]["answer"] and first["input_tokens"] > 0


def test_trace_otlp_writes_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _recorded_run(tmp_path, capsys)
    target = tmp_path / "trace.otlp.json"
    assert cli.main(["trace", run_id, "--otlp", "-o", str(target)]) == 0
    assert f"wrote the trace of run {run_id} to {target}" in capsys.readouterr().err
    spans = assert_valid_otlp(json.loads(target.read_text(encoding="utf-8")))
    chats = [span for span in spans if span["attributes"].get("gen_ai.operation.name") == "chat"]
    assert len(chats) == 2
    assert chats[0]["attributes"]["gen_ai.request.model"] == "openai/sim"


def test_trace_of_an_unknown_run_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["trace", "nope"]) == 2
    assert "error: no run nope: there is no history yet" in capsys.readouterr().err
    _recorded_run(tmp_path, capsys)
    assert cli.main(["trace", "nope"]) == 2
    assert "error: no run nope in the history" in capsys.readouterr().err
