"""``crewdesk run --budget-*`` and ``crewdesk rehearse`` end to end, on the simulator."""

from __future__ import annotations

import json

import pytest

from desktop_app import cli
from tests.cli_support import BRIEF_INPUTS, BRIEFS, WRITER, run_main


def test_a_run_budget_stops_the_run_and_keeps_what_it_streamed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, "run", WRITER, "--simulator", "--budget-tokens", "170")
    assert code == 1
    assert "stopped by budget: the run's budget of 170 tokens was used" in err + out
    assert "Answer to: Current Task: Research solar power" in out  # the partial output was streamed
    assert "of the run's budget of 170 tokens is used" in err  # the 80% warning


def test_budget_options_must_be_above_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", WRITER, "--simulator", "--budget-usd", "0"])
    assert caught.value.code == 2
    assert "--budget-usd: must be above 0" in capsys.readouterr().err


def test_a_batch_budget_is_shared_by_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "run", BRIEFS, "--inputs-file", BRIEF_INPUTS, "--simulator",
                            "--concurrency", "1", "--batch-budget-tokens", "300", "--output", "-",
                            "--quiet")
    results = json.loads(out[out.index("["):])
    stopped = [r for r in results if "the batch's budget" in (r.get("error") or "")]
    assert code == 1 and stopped  # the rows together used it up
    assert results[0].get("error") is None  # the first row fitted


def test_rehearse_prints_calls_tokens_and_the_batch_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(capsys, "rehearse", WRITER, "--rows", "200")
    assert code == 0, out
    assert "task 1" in out and "task 2" in out and "gpt-4o-mini" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("about 2 calls, ") and "this 200-row batch about $" in last
    code, out, _ = run_main(capsys, "rehearse", WRITER, "--json")
    data = json.loads(out)
    assert data["calls"] == 2 and data["tokens"] > 0 and data["cost_usd"] > 0
    assert [task["calls"] for task in data["tasks"]] == [1, 1]


def test_rehearse_refuses_a_batch_of_no_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "rehearse", WRITER, "--rows", "0")
    assert code == 2 and "--rows must be 1 or more" in err


def test_the_history_keeps_a_budget_stop_as_stopped_by_budget(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from desktop_app.storage.history import HistoryDB
    from desktop_app.storage.paths import AppPaths
    from desktop_app.storage.stop_reasons import stop_reasons_in

    code, _, _ = run_main(capsys, "run", WRITER, "--simulator", "--budget-tokens", "170")
    assert code == 1
    with HistoryDB(AppPaths.from_env().history_db) as db:
        [summary] = db.list_runs()
        record = db.get_run(summary.run_id)
        reasons = stop_reasons_in(db, [summary.run_id])
    assert record is not None and record.status == "cancelled"
    assert "stopped by budget" in (record.error or "")
    assert record.task_text[0].startswith("Answer to:")  # the partial output kept
    assert reasons == {summary.run_id: "budget"}
