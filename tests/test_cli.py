"""The ``crewdesk`` command end to end: usage, errors, and runs against the simulator."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from desktop_app import cli
from desktop_app.documents import export_crewai_project, load_crew, save_crew
from tests.cli_support import BRIEF_INPUTS, BRIEFS, EXAMPLES, WRITER, fast_simulator, run_main

ANALYST = str(EXAMPLES / "python_data_analyst.crew.yaml")


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "run " in out and "simulator" in out


def test_run_help_and_the_simulator_passthrough(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert "--inputs-file FILE.jsonl" in capsys.readouterr().out
    with pytest.raises(SystemExit) as caught:
        cli.main(["simulator", "--help"])
    assert caught.value.code == 0
    assert "python -m desktop_app.simulator" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["fly"])
    assert caught.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


def test_no_command_opens_the_window_or_says_why_not(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    code, _, err = run_main(capsys)
    assert code == 1 and "window is not part of this build" in err
    opened: list[str] = []
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(cli.importlib, "import_module",
                        lambda name: SimpleNamespace(main=lambda: opened.append(name) or 0))
    assert run_main(capsys)[0] == 0
    assert opened == ["desktop_app.ui.app"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "missing.crew.yaml"], "missing.crew.yaml: no such file or folder"),
        (["run", WRITER, "--inputs", "{not json"], "--inputs: not valid JSON"),
        (["run", WRITER, "--inputs", "[1]"], "--inputs: must be a JSON object"),
        (["run", WRITER, "--input-set", "nope"], "the crew has no input set 'nope' (it has: default)"),
        (["run", BRIEFS, "--inputs", '{"topic": "x", "audience": null}', "--simulator",
          "--base-url", "http://127.0.0.1:1/v1"], "--simulator and --base-url cannot be used"),
    ],
)
def test_usage_and_file_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_a_placeholder_without_input_is_named_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = load_crew(BRIEFS).model_copy(update={"input_sets": []})
    save_crew(doc, tmp_path / "briefs.crew.yaml")
    code, _, err = run_main(capsys, "run", str(tmp_path / "briefs.crew.yaml"), "--inputs",
                            '{"audience": "kids"}')
    assert code == 2
    assert err.splitlines() == [
        f"error: {tmp_path / 'briefs.crew.yaml'}:10: agents[0].goal: placeholder {{topic}} "
        "has no input",
        """hint: give the values with --inputs '{"topic": "..."}'""",
    ]


def test_a_bad_inputs_file_names_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"topic": "a"}\n\n[1, 2]\n', encoding="utf-8")
    code, _, err = run_main(capsys, "run", BRIEFS, "--inputs-file", str(path))
    assert code == 2
    assert err == f'error: {path}:3: must be a JSON object such as {{"topic": "AI"}}\n'


@pytest.mark.parametrize("mode", ["akickoff", "kickoff-async"])
def test_one_crew_streams_and_succeeds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mode: str
) -> None:
    out_file = tmp_path / "out.json"
    code, out, err = run_main(capsys, "run", ANALYST, "--simulator", "--mode", mode,
                              "--output", str(out_file), "--approve", "always")
    assert code == 0, err
    assert out.startswith("== task 1 Average age (Python Data Analyst) ==\n-> tool code_interpreter(")
    assert "Result: 35.0." in out
    assert "=== final output ===" in out
    [result] = json.loads(out_file.read_text(encoding="utf-8"))
    assert result["status"] == "succeeded" and result["error"] is None
    assert result["inputs"] == {"ages": [25, 30, 35, 40, 45]}
    assert result["output"]["raw"].startswith("Result: 35.0.")
    assert result["output"]["token_usage"]["successful_requests"] == 2


def test_a_batch_prefixes_each_crew_and_reports_progress(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_main(capsys, "run", BRIEFS, "--inputs-file", BRIEF_INPUTS,
                              "--concurrency", "3", "--simulator", "--output", "-")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0].startswith("note: recorded in the history as runs ")  # 5 ids, to resume
    assert len(lines[0].split()) == 7 + 5
    assert lines[1:] == [f"{n}/5 done, 0 failed" for n in range(1, 6)]
    stream, _, data = out.partition("\n[\n")
    results = json.loads("[\n" + data)
    assert [r["inputs"]["topic"] for r in results] == [
        "electric cars", "heat pumps", "battery recycling", "offshore wind", "green hydrogen"]
    assert all(r["status"] == "succeeded" for r in results)
    for index, result in enumerate(results, 1):
        topic = result["inputs"]["topic"]
        assert f"[{index}] == task 1 Brief (Briefing writer) ==" in stream
        assert any(line.startswith(f"[{index}] Answer to:") and topic in line
                   for line in stream.splitlines())
    assert all(line.startswith("[") for line in stream.splitlines() if line)


def test_one_failing_crew_does_not_stop_the_others(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "run", BRIEFS, "--inputs-file", BRIEF_INPUTS, "--quiet",
                              "--concurrency", "1", "--simulator",
                              "--model", "openai/sim:status=400,fail_times=1")
    assert code == 1
    assert err.splitlines()[-1] == "5/5 done, 1 failed"
    assert "=== [1] failed ===" in out and "[HTTP 400]" in out
    assert out.count("final output ===") == 4


def test_a_crewai_project_folder_runs_as_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    export_crewai_project(load_crew(WRITER), tmp_path / "project")
    code, out, err = run_main(capsys, "run", str(tmp_path / "project"), "--simulator",
                              "--inputs", '{"topic": "tides"}', "--quiet")
    assert code == 0, err
    assert "=== final output ===\nAnswer to:" in out
    assert "about tides" in out


def test_python_m_desktop_app_runs_a_batch(tmp_path: Path) -> None:
    out_file = tmp_path / "briefs.json"
    process = subprocess.run(
        [sys.executable, "-m", "desktop_app", "run", BRIEFS, "--inputs-file", BRIEF_INPUTS,
         "--simulator", "--mode", "kickoff-async", "--concurrency", "5", "--quiet",
         "--output", str(out_file)],
        capture_output=True, text=True, timeout=110, env={**os.environ}, check=False,
    )
    assert process.returncode == 0, process.stderr
    results: list[dict[str, Any]] = json.loads(out_file.read_text(encoding="utf-8"))
    assert [r["index"] for r in results] == [1, 2, 3, 4, 5]
    assert all(r["status"] == "succeeded" for r in results)
    assert process.stderr.splitlines()[-1] == "5/5 done, 0 failed"


def test_credential_names_are_resolved_from_the_secret_store() -> None:
    from desktop_app.documents import AgentSpec, CrewDocument, TaskSpec
    from desktop_app.storage.secrets import SecretStore

    SecretStore().set("work-openai", "sk-stored")
    doc = CrewDocument(
        name="x",
        agents=[AgentSpec(key="a", role="r", goal="g", backstory="b", llm="openai/gpt-4o-mini",
                          credential="work-openai"),
                AgentSpec(key="b", role="r", goal="g", backstory="b")],
        tasks=[TaskSpec(key="t", description="d", expected_output="e", agent="a")],
    )
    assert cli.stored_keys(doc) == {"a": "sk-stored"}


def test_model_and_base_url_point_every_agent_elsewhere(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment")  # no credential: the env key

    with fast_simulator() as sim:
        code, out, err = run_main(capsys, "run", WRITER, "--model", "openai/sim:tokens=3",
                                  "--base-url", sim.base_url, "--quiet")
        assert code == 0, err
        assert {request.model for request in sim.stats.requests} == {"sim:tokens=3"}
    assert "=== final output ===" in out


def _managed_crew_file(tmp_path: Path) -> Path:
    from desktop_app.documents import AgentSpec, CrewDocument, CrewSettings, TaskSpec

    delegate = json.dumps({"coworker": "Writer", "task": "Draft the {topic} note"})
    doc = CrewDocument(
        name="Managed",
        process="hierarchical",
        settings=CrewSettings(manager_llm="openai/gpt-4o"),
        agents=[AgentSpec(key="writer", role="Writer", goal="Write", backstory="Clear.")],
        tasks=[TaskSpec(key="note", name="Note", expected_output="A note.", human_input=True,
                        description=f"Plan it\nsim-call: Delegate_work_to_coworker {delegate}")],
    )
    path = tmp_path / "managed.crew.yaml"
    save_crew(doc, path)
    return path


@pytest.mark.parametrize("mode", ["akickoff", "kickoff-async"])
def test_a_hierarchical_crew_asks_for_feedback_on_the_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    mode: str,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Shorter please sim-call: none\n\n"))
    code, out, err = run_main(capsys, "run", str(_managed_crew_file(tmp_path)), "--simulator",
                              "--inputs", '{"topic": "tides"}', "--mode", mode, "--output", "-")
    assert code == 0, err
    question = "?? task 1 Note (Crew Manager) asks for feedback: type what to change, or press"
    assert err.count(question) == 1
    assert err.count("?? task 1 Note (Crew Manager, round 2) asks for feedback") == 1
    assert "== task 1 Note (Crew Manager) ==\n-> tool Delegate_work_to_coworker(" in out
    assert ">> Writer\nAnswer to: Current Task: Draft the tides note." in out
    assert "\n>> Crew Manager\nResult: Answer to: Current Task: Draft the tides note." in out
    assert "asks for feedback: type what to change, or press Enter to approve: Shorter" in err
    [result] = json.loads(out[out.index("\n[\n") + 1:])
    assert result["output"]["raw"].startswith("Answer to: User feedback: Shorter please sim-call")
    assert result["output"]["token_usage"]["successful_requests"] == 4  # manager, writer, manager; the revision


def test_the_end_of_stdin_approves(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = run_main(capsys, "run", str(_managed_crew_file(tmp_path)), "--simulator",
                              "--inputs", '{"topic": "tides"}', "--quiet")
    assert code == 0, err
    assert "Result: Answer to: Current Task: Draft the tides note." in err  # shown when quiet
    assert "=== final output ===\nResult: Answer to: Current Task: Draft the tides note." in out


def _desk_crew_file(tmp_path: Path, *, with_file: bool = True, embedder: bool = True) -> Path:
    from desktop_app.documents import AgentSpec, CrewDocument, CrewSettings, TaskSpec
    from desktop_app.documents import KnowledgeSourceSpec as Source

    if with_file:
        (tmp_path / "knowledge").mkdir(parents=True)
        (tmp_path / "knowledge" / "hours.txt").write_text(
            "The help desk answers calls from eight until noon.", encoding="utf-8")
    doc = CrewDocument(
        name="Help desk",
        settings=CrewSettings(memory=True, embedder={"provider": "openai", "config": {
            "model": "emb"}} if embedder else None),
        agents=[AgentSpec(key="clerk", role="Clerk", goal="Answer", backstory="Kind.",
                          knowledge_sources=[Source(kind="text", path="knowledge/hours.txt")])],
        tasks=[TaskSpec(key="hours", description="When does the help desk answer calls?",
                        expected_output="The hours", agent="clerk")],
    )
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "desk.crew.yaml"
    save_crew(doc, path)
    return path


def test_a_crew_with_memory_and_a_knowledge_file_runs_on_the_simulator(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    crew_file = _desk_crew_file(tmp_path / "crews")
    monkeypatch.chdir(tmp_path)  # the knowledge file is found beside the crew file, not here
    code, out, err = run_main(capsys, "run", str(crew_file), "--simulator", "--quiet")
    assert code == 0, err
    assert "=== final output ===" in out
    memory = list((tmp_path / "crewdesk-home" / "data" / "memory").glob("help-desk-*.sqlite3"))
    assert len(memory) == 1


def test_the_knowledge_reaches_the_prompt_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    crew_file = _desk_crew_file(tmp_path, embedder=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment")
    with fast_simulator() as sim:
        code, _, err = run_main(capsys, "run", str(crew_file), "--model", "openai/sim",
                                "--base-url", sim.base_url, "--quiet")
        assert code == 0, err
        chats = [r.body for r in sim.stats.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == 1
    assert "from eight until noon" in chats[0]["messages"][-1]["content"]


def test_a_missing_knowledge_file_is_named_before_any_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    crew_file = _desk_crew_file(tmp_path, with_file=False)
    code, out, err = run_main(capsys, "run", str(crew_file), "--simulator")
    assert (code, out) == (2, "")
    assert err == (
        f"error: {crew_file}:19: agents[0].knowledge_sources[0].path: the knowledge file "
        f"'knowledge/hours.txt' does not exist (looked for {tmp_path / 'knowledge/hours.txt'})\n"
    )
