"""``crewdesk run`` keeps its runs in the history, forks one from a task, and resumes one cut
off by SIGKILL; the simulator's request counts prove the reused tasks make no model call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app import cli
from desktop_app.storage.forks import fork_links
from desktop_app.storage.history import HistoryDB, RunRecord
from desktop_app.storage.paths import AppPaths
from tests.cli_support import fast_simulator, history_runs, prompts, run_cli, three_step_crew

SLOW_WRITER = "openai/sim:hang=1"


def test_a_run_is_kept_in_the_history_with_every_task_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, err = run_cli(capsys, str(three_step_crew(tmp_path)), "--simulator", "--quiet",
                        "--inputs", '{"topic": "tides"}')
    assert code == 0, err
    [record] = history_runs()
    assert f"recorded in the history as run {record.run_id}" in err
    assert record.status == "finished" and record.inputs == {"topic": "tides"}
    assert [o.task_index for o in record.task_outputs] == [0, 1, 2]
    assert record.final_output == record.task_outputs[2].raw
    assert record.mode == "cli akickoff"


def test_no_history_records_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = run_cli(capsys, str(three_step_crew(tmp_path)), "--simulator", "--quiet",
                        "--inputs", '{"topic": "tides"}', "--no-history")
    assert code == 0, err
    assert not AppPaths.from_env().history_db.exists()


def test_a_fork_from_task_3_calls_the_model_for_task_3_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    crew = str(three_step_crew(tmp_path))
    with fast_simulator() as sim:
        code, err = run_cli(capsys, crew, "--base-url", sim.base_url, "--quiet",
                            "--inputs", '{"topic": "tides"}')
        assert code == 0, err
        [parent] = history_runs()
        assert len(sim.stats.requests) == 3
        code, err = run_cli(capsys, crew, "--base-url", sim.base_url, "--quiet",
                            "--from-run", parent.run_id, "--from-task", "3")
        assert code == 0, err
        assert len(sim.stats.requests) == 4  # task 3 only
        assert "Polish the note on tides" in prompts(sim, 3)[0]  # the parent's inputs
    fork = next(r for r in history_runs() if r.run_id != parent.run_id)
    assert [o.raw for o in fork.task_outputs[:2]] == [o.raw for o in parent.task_outputs[:2]]
    with HistoryDB(AppPaths.from_env().history_db) as db:
        link = fork_links(db)[fork.run_id]
    assert (link.parent_run_id, link.fork_task_index) == (parent.run_id, 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from-task", "2"], "--from-run and --from-task go together"),
        (["--from-run", "nope", "--from-task", "2"], "no run nope"),
        (["--resume", "x", "--from-run", "y", "--from-task", "1"], "cannot be used together"),
    ],
)
def test_fork_options_that_cannot_work_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, err = run_cli(capsys, str(three_step_crew(tmp_path)), "--simulator", *argv)
    assert code == cli.EXIT_USAGE
    assert message in err


def test_a_fork_past_the_stored_tasks_names_the_task(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    crew = str(three_step_crew(tmp_path))
    assert run_cli(capsys, crew, "--simulator", "--quiet", "--inputs", '{"topic": "x"}')[0] == 0
    [parent] = history_runs()
    code, err = run_cli(capsys, crew, "--simulator", "--from-run", parent.run_id,
                        "--from-task", "4")
    assert code == cli.EXIT_USAGE
    assert "cannot start from task 4" in err and "has 3 tasks" in err


def _wait_for_first_output(timeout: float = 90.0) -> RunRecord:
    path = AppPaths.from_env().history_db
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            done = [run for run in history_runs() if run.task_outputs]
            if done:
                return done[0]
        time.sleep(0.2)
    raise AssertionError("task 1 never finished in the killed run")


def test_a_run_killed_after_task_1_resumes_without_asking_for_task_1_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hanging = str(three_step_crew(tmp_path, writer_model=SLOW_WRITER))  # task 2 never answers
    with fast_simulator() as sim:
        process = subprocess.Popen(
            [sys.executable, "-m", "desktop_app", "run", hanging, "--base-url", sim.base_url,
             "--inputs", '{"topic": "tides"}', "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
        )
        try:
            killed = _wait_for_first_output()
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        assert killed.status == "running"  # nobody could close it
        assert [o.task_index for o in killed.task_outputs] == [0]
        before = len(sim.stats.requests)
        assert "Find facts on tides" in prompts(sim)[0]
        code, err = run_cli(capsys, hanging, "--base-url", sim.base_url, "--model", "openai/sim",
                            "--quiet", "--resume", killed.run_id)
        assert code == 0, err
        resumed_prompts = prompts(sim, before)
    assert len(resumed_prompts) == 2  # tasks 2 and 3; task 1 is not asked again
    assert "Draft a note on tides" in resumed_prompts[0]
    assert "Polish the note on tides" in resumed_prompts[1]
    resumed = next(r for r in history_runs() if r.run_id != killed.run_id)
    assert resumed.status == "finished"
    assert resumed.task_outputs[0].raw == killed.task_outputs[0].raw
    with HistoryDB(AppPaths.from_env().history_db) as db:
        assert fork_links(db)[resumed.run_id].fork_task_index == 1
        row = db.connection.execute(
            "SELECT stop_reason FROM runs WHERE id = ?", (killed.run_id,)).fetchone()
    assert row[0] == "resumed"


def test_a_killed_batch_keeps_every_line_and_resumes_where_each_stopped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    from desktop_app.storage.forks import resume_offers

    hanging = str(three_step_crew(tmp_path, writer_model=SLOW_WRITER))
    lines = tmp_path / "topics.jsonl"
    lines.write_text('{"topic": "tides"}\n{"topic": "waves"}\n{"topic": "reefs"}\n',
                     encoding="utf-8")
    with fast_simulator() as sim:
        process = subprocess.Popen(
            [sys.executable, "-m", "desktop_app", "run", hanging, "--base-url", sim.base_url,
             "--inputs-file", str(lines), "--concurrency", "1", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
        )
        try:
            _wait_for_first_output()
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        runs = {r.inputs["topic"]: r for r in history_runs()}
        assert {topic: r.status for topic, r in runs.items()} == {
            "tides": "running", "waves": "queued", "reefs": "queued"}
        with HistoryDB(AppPaths.from_env().history_db) as db:
            assert db.mark_interrupted() == 3  # what the app does at its next start
            offers = {o.inputs["topic"]: o.finished_tasks for o in resume_offers(db)}
        assert offers == {"tides": 1, "waves": 0, "reefs": 0}
        before = len(sim.stats.requests)
        ids = [runs[topic].run_id for topic in ("tides", "waves", "reefs")]
        code = cli.main(["run", hanging, "--base-url", sim.base_url, "--model", "openai/sim",
                         "--quiet", "--output", "-", "--resume", *ids])
        out = capsys.readouterr().out
        assert code == 0, out
        asked = prompts(sim, before)
    assert len(asked) == 2 + 3 + 3  # tides's first task is not asked again
    tasks = sorted(prompt.split("\n", 1)[0] for prompt in asked)  # the task each call is for
    assert "Current Task: Find facts on tides" not in tasks
    assert tasks.count("Current Task: Find facts on waves") == 1
    results = json.loads(out[out.index("[\n"):])
    assert [r["inputs"]["topic"] for r in results] == ["tides", "waves", "reefs"]
    with HistoryDB(AppPaths.from_env().history_db) as db:
        links = fork_links(db)
        assert resume_offers(db) == []  # each was resumed
    assert [links[r["history_run_id"]].parent_run_id for r in results] == ids
    assert [links[r["history_run_id"]].fork_task_index for r in results] == [1, 0, 0]


def test_a_history_that_cannot_be_opened_warns_and_the_run_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = AppPaths.from_env().history_db
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    crew = str(three_step_crew(tmp_path))
    code, err = run_cli(capsys, crew, "--simulator", "--quiet", "--inputs", '{"topic": "x"}')
    assert code == 0, err
    assert "warning: cannot open the run history" in err and "not kept in the history" in err
    code, err = run_cli(capsys, crew, "--simulator", "--from-run", "r1", "--from-task", "2")
    assert code == cli.EXIT_USAGE
    assert "error: cannot open the run history" in err


def test_a_projects_own_code_refuses_the_fork_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from desktop_app.documents import export_crewai_project, load_crew

    project = tmp_path / "project"
    export_crewai_project(load_crew(three_step_crew(tmp_path)), project)
    code, err = run_cli(capsys, str(project), "--simulator", "--inputs", '{"topic": "x"}',
                        "--from-run", "r1", "--from-task", "2")
    assert code == cli.EXIT_USAGE
    assert "a run of a project's own code is not kept in the history yet" in err

