"""The run controller against the simulator over HTTP, with a real history and keychain API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from test_app_support import (
    TEST_KEY,
    litellm_loaded,  # noqa: F401 - a fixture
    make_document,
    sim_fixture,  # noqa: F401 - the `sim` fixture
    start_app,
    stop_app,
    wait_until,
)

from desktop_app.simulator import SimulatorThread
from desktop_app.storage.audit import scan_tree
from desktop_app.storage.paths import AppPaths
from desktop_app.ui.controllers import RunRequest, RunStatus
from desktop_app.ui.controllers.run_controller import RunMode
from desktop_app.ui.services import AppServices

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")


def test_two_runs_stream_their_own_text_in_order(sim: SimulatorThread, arun: Arun) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        texts: dict[str, list[str]] = {"Alpha": [], "Beta": []}
        states = []
        modes: list[tuple[str, RunMode]] = [("Alpha", "akickoff"), ("Beta", "kickoff_async")]
        for name, mode in modes:
            doc = make_document(name, topic=name.lower())
            state = controller.start(RunRequest(doc, doc.default_inputs(), mode=mode))
            state.textAppended.connect(texts[name].append)
            states.append(state)
        await asyncio.gather(*(controller.wait(s) for s in states))
        for state in states:
            assert state.status is RunStatus.DONE, state.error
            record = await services.history.get_run(state.run_id)
            assert record is not None and record.status == "finished"
            streamed = "".join(texts[state.crew_name])
            outputs = [t.raw for t in record.task_outputs]
            assert streamed == "".join(outputs)  # every chunk, in order, in its own run
            assert f"{state.crew_name} step 1 about {state.crew_name.lower()}" in outputs[0]
            assert state.total_tokens > 0
        await stop_app(controller, services)

    arun(scenario())


def test_stop_keeps_partial_text_and_closes_the_stream(sim: SimulatorThread, arun: Arun) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        doc = make_document("Slow", model="openai/sim:tps=50,tokens=400,ttft=0.01", tasks=1)
        state = controller.start(RunRequest(doc, doc.default_inputs()))
        await wait_until(lambda: len(state.transcript()) > 60)
        assert controller.stop(state.run_id)
        await controller.wait(state)
        assert state.status is RunStatus.CANCELLED
        await wait_until(lambda: sim.stats.streams_aborted_by_client >= 1)
        record = await services.history.get_run(state.run_id)
        assert record is not None and record.status == "cancelled"
        assert record.task_text.get(0, "").startswith("Answer to:")
        await stop_app(controller, services)

    arun(scenario())


def test_a_provider_error_fails_one_run_while_the_other_finishes(
    sim: SimulatorThread, arun: Arun
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        good = make_document("Good")
        bad = make_document("Bad", model="openai/sim:status=401")
        ok = controller.start(RunRequest(good, good.default_inputs()))
        failed = controller.start(RunRequest(bad, bad.default_inputs()))
        await asyncio.gather(controller.wait(ok), controller.wait(failed))
        assert ok.status is RunStatus.DONE
        assert failed.status is RunStatus.FAILED
        assert failed.error_is_auth
        assert "refused" in failed.error and TEST_KEY not in failed.error
        record = await services.history.get_run(failed.run_id)
        assert record is not None and record.status == "failed" and record.error
        await stop_app(controller, services)

    arun(scenario())


def test_history_survives_a_restart_and_keys_reach_no_file(
    sim: SimulatorThread, arun: Arun
) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        doc = make_document("Kept")
        state = await controller.run(RunRequest(doc, doc.default_inputs()))
        await stop_app(controller, services)
        again = AppServices(AppPaths.from_env())
        await again.start()
        runs = await again.history.list_runs()
        assert [run.run_id for run in runs] == [state.run_id]
        record = await again.history.get_run(state.run_id)
        assert record is not None and record.status == "finished"
        texts = [record.task_text[i] for i in sorted(record.task_text)]
        assert len(texts) == 2 and all(texts)
        transcript = state.transcript()
        assert transcript.index(texts[0]) < transcript.index(texts[1])
        assert record.crew_snapshot["name"] == "Kept"
        await again.close()
        report = scan_tree(list(again.paths.all_dirs()), [TEST_KEY])
        assert report.files_scanned > 0
        assert report.hits == []

    arun(scenario())


def test_concurrency_limit_queues_extra_runs(sim: SimulatorThread, arun: Arun) -> None:
    async def scenario() -> None:
        services, controller = await start_app(sim)
        controller.set_concurrency_limit(1)
        doc = make_document("Q", model="openai/sim:tps=200,tokens=30,ttft=0.01", tasks=1)
        first = controller.start(RunRequest(doc, doc.default_inputs()))
        second = controller.start(RunRequest(doc, doc.default_inputs()))
        await wait_until(lambda: first.status is RunStatus.RUNNING)
        assert second.status is RunStatus.QUEUED
        controller.stop(second.run_id)
        await controller.wait(second)
        assert second.status is RunStatus.CANCELLED
        await controller.wait(first)
        assert first.status is RunStatus.DONE
        await stop_app(controller, services)

    arun(scenario())
