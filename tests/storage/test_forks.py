"""`storage.forks`: fork origins form a tree, stored outputs are reused in order, and an
interrupted run is offered for resuming until it is resumed or discarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.storage.forks import (
    ForkError,
    RunForks,
    fork_links,
    resume_offers,
    reused_outputs,
    set_fork_origin,
    set_stop_reason,
)
from desktop_app.storage.history import HistoryDB, RunHistory, UnknownRunError

SNAPSHOT = {"tasks": [{"description": "one"}, {"description": "two"}, {"description": "3"}]}


def _run_with_outputs(db: HistoryDB, done: int) -> str:
    run_id = db.start_run("Crew", crew_snapshot=SNAPSHOT, inputs={"topic": "x"})
    for index in range(done):
        db.record_task_output(run_id, index, raw=f"out {index}", name=f"T{index}", agent="A")
    return run_id


def test_forks_form_a_tree_under_the_original(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.db") as db:
        root = _run_with_outputs(db, 3)
        child = _run_with_outputs(db, 3)
        grandchild = _run_with_outputs(db, 3)
        set_fork_origin(db, child, root, 1)
        set_fork_origin(db, grandchild, child, 2)
        links = fork_links(db)
        with pytest.raises(UnknownRunError):
            set_fork_origin(db, child, "missing", 0)
    assert {run: (link.parent_run_id, link.fork_task_index) for run, link in links.items()} == {
        child: (root, 1), grandchild: (child, 2)}


def test_reused_outputs_are_the_tasks_before_the_start(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.db") as db:
        record = db.get_run(_run_with_outputs(db, 1))
    assert record is not None
    reuse = reused_outputs(record, 1)
    assert list(reuse) == [0]
    assert (reuse[0].raw, reuse[0].description, reuse[0].agent) == ("out 0", "one", "A")
    with pytest.raises(ForkError, match="task 2 of run .* has no stored output"):
        reused_outputs(record, 2)
    with pytest.raises(ForkError, match="has 3 tasks"):
        reused_outputs(record, 3)


def test_an_interrupted_run_is_offered_until_decided(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.db") as db:
        first = _run_with_outputs(db, 1)
        second = _run_with_outputs(db, 2)
        finished = _run_with_outputs(db, 3)
        db.finish_run(finished, "finished")
        assert db.mark_interrupted() == 2
        offers = {offer.run_id: offer for offer in resume_offers(db)}
        assert set(offers) == {first, second}
        assert (offers[second].finished_tasks, offers[second].task_count) == (2, 3)
        set_stop_reason(db, first, "discarded")
        assert [offer.run_id for offer in resume_offers(db)] == [second]


@pytest.mark.asyncio
async def test_the_async_api_runs_on_the_history_worker(tmp_path: Path) -> None:
    async with RunHistory(tmp_path / "h.db") as history:
        parent = await history.start_run("Crew", crew_snapshot=SNAPSHOT)
        await history.record_task_output(parent, 0, raw="kept")
        child = await history.start_run("Crew", crew_snapshot=SNAPSHOT)
        forks = RunForks(history)
        await forks.set_origin(child, parent, 1)
        assert (await forks.links())[child].parent_run_id == parent
        record, reuse = await forks.reuse_from(parent, 1)
        assert record.run_id == parent and reuse[0].raw == "kept"
        await history.mark_interrupted()
        assert {o.run_id for o in await forks.offers()} == {parent, child}
        await forks.decide(parent, "resumed")
        assert [o.run_id for o in await forks.offers()] == [child]
        with pytest.raises(ForkError, match="no run nope"):
            await forks.reuse_from("nope", 0)


def test_a_task_the_run_skipped_is_reused_empty(tmp_path: Path) -> None:
    with HistoryDB(tmp_path / "h.db") as db:
        run_id = db.start_run("Crew", crew_snapshot=SNAPSHOT)
        db.record_task_output(run_id, 0, raw="first")
        db.record_task_output(run_id, 2, raw="third")  # task 2: a conditional task skipped
        record = db.get_run(run_id)
    assert record is not None
    reuse = reused_outputs(record, 2)
    assert (reuse[0].raw, reuse[1].raw, reuse[1].description) == ("first", "", "two")
