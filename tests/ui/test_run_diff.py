"""The Qt-free parts of Compare and the fork tree: word diffs, figures, settings, tree order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop_app.storage.forks import ForkLink
from desktop_app.storage.history import RunRecord, RunSummary, TaskOutputRecord
from desktop_app.ui.history._lineage import tree_order
from desktop_app.ui.history._run_diff import compare_runs, diff_html, flatten, word_diff

START = datetime(2026, 1, 1, tzinfo=UTC)


def _record(run_id: str, outputs: list[str], *, cost: float, tokens: int, seconds: float,
            llm: str = "openai/a") -> RunRecord:
    snapshot = {"name": "C", "agents": [{"key": "w", "llm": llm}],
                "tasks": [{"key": f"t{i}", "name": f"Step {i + 1}"} for i in range(len(outputs))]}
    return RunRecord(
        run_id=run_id, crew_name="C", mode="akickoff", status="finished", started_at=START,
        finished_at=START + timedelta(seconds=seconds), inputs={"topic": "x"},
        usage={"total_tokens": tokens}, cost_usd=cost, error=None, output_preview="",
        crew_snapshot=snapshot,
        task_outputs=[TaskOutputRecord(i, None, "w", raw) for i, raw in enumerate(outputs)],
    )


def test_word_diff_keeps_spaces_and_marks_each_side() -> None:
    ops = word_diff("the quick fox jumps", "the slow fox jumps high")
    assert "".join(text for op, text in ops if op != "insert") == "the quick fox jumps"
    assert "".join(text for op, text in ops if op != "delete") == "the slow fox jumps high"
    left, right = diff_html(ops, "left"), diff_html(ops, "right")
    assert "line-through" in left and "quick" in left and "slow" not in left
    assert "slow" in right and "high" in right and "quick" not in right
    assert "&lt;b&gt;" in diff_html(word_diff("<b>", "<b>"), "left")  # text, never markup


def test_compare_pairs_tasks_and_lists_what_differs() -> None:
    a = _record("a", ["same", "old words here"], cost=0.01, tokens=100, seconds=2.0)
    b = _record("b", ["same", "new words here"], cost=0.03, tokens=150, seconds=1.0,
                llm="openai/b")
    diff = compare_runs(a, b)
    assert [(p.title, p.same) for p in diff.tasks] == [("1. Step 1", True), ("2. Step 2", False)]
    assert diff.tasks[1].changed_words == 2
    figures = {m.name: m.change for m in diff.metrics}
    assert figures["Cost (USD)"] == 0.03 - 0.01 and figures["Total tokens"] == 50
    assert figures["Time (s)"] == -1.0 and figures["Prompt tokens"] is None
    assert [(c.path, c.left, c.right) for c in diff.settings] == [
        ("crew.agents.w.llm", '"openai/a"', '"openai/b"')]


def test_flatten_names_list_items_by_key() -> None:
    assert dict(flatten({"agents": [{"key": "w", "llm": "m"}], "n": [1, 2]})) == {
        "agents.w.key": '"w"', "agents.w.llm": '"m"', "n": "[1, 2]"}


def _summary(run_id: str, minutes: int) -> RunSummary:
    return RunSummary(run_id=run_id, crew_name="C", mode="akickoff", status="finished",
                      started_at=START + timedelta(minutes=minutes), finished_at=None,
                      inputs={}, usage=None, cost_usd=None, error=None, output_preview="")


def test_forks_come_right_under_their_run_in_the_table() -> None:
    runs = [_summary(name, -i) for i, name in enumerate(["fork2", "other", "fork1", "root"])]
    links = {"fork1": ForkLink("fork1", "root", 1), "fork2": ForkLink("fork2", "fork1", 2),
             "orphan": ForkLink("orphan", "gone", 0)}
    ordered, labels = tree_order(runs + [_summary("orphan", -9)], links)
    assert [r.run_id for r in ordered] == ["other", "root", "fork1", "fork2", "orphan"]
    assert labels["fork1"] == "↳ C — fork from task 2"
    assert labels["fork2"] == "    ↳ C — fork from task 3"
    assert labels["orphan"] == "↳ C — fork from task 1"
