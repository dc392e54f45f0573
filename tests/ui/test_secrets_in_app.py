"""The app never shows or keeps a key: not from model-written code, not from a 401's echo."""

from __future__ import annotations

import asyncio
import json
import logging
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
)

from desktop_app.engine import register_secrets
from desktop_app.simulator import SimulatorThread
from desktop_app.storage.audit import scan_tree
from desktop_app.ui.app import KeyMaskingFilter
from desktop_app.ui.controllers import RunRequest, RunStatus

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")

MASKED = f"sk-…{TEST_KEY[-4:]}"


def test_a_key_printed_by_code_or_echoed_by_a_provider_reaches_no_panel_or_history(
    sim: SimulatorThread, arun: Arun
) -> None:
    code = f"print({TEST_KEY[:10]!r} + {TEST_KEY[10:]!r})"  # the keychain's key, spelled out
    coder = make_document("Coder", tasks=1)
    agent = coder.agents[0].model_copy(update={"allow_code_execution": True})
    task = coder.tasks[0].model_copy(update={
        "description": f"sim-call: code_interpreter {json.dumps({'code': code})}"})
    settings = coder.settings.model_copy(update={"approval": "always"})  # nobody to ask
    coder = coder.model_copy(update={"agents": [agent], "tasks": [task], "settings": settings})
    echoed = make_document("Echo", model="openai/sim:status=401,echo_key=1", tasks=1)

    async def scenario() -> None:
        services, controller = await start_app(sim)
        ran = controller.start(RunRequest(coder, coder.default_inputs()))
        refused = controller.start(RunRequest(echoed, echoed.default_inputs()))
        await asyncio.gather(controller.wait(ran), controller.wait(refused))
        assert ran.status is RunStatus.DONE, ran.error
        assert refused.status is RunStatus.FAILED
        assert MASKED in ran.transcript() and MASKED in refused.error
        for state in (ran, refused):
            assert TEST_KEY not in state.transcript()
            record = await services.history.get_run(state.run_id)
            assert record is not None and TEST_KEY not in repr(record)
            assert MASKED in repr(record)  # the tool's output, the error: kept masked
        await stop_app(controller, services)
        report = scan_tree(list(services.paths.all_dirs()), [TEST_KEY])
        assert report.files_scanned > 0 and report.hits == []

    arun(scenario())


def test_the_app_log_masks_known_keys() -> None:
    register_secrets(["sk-logged-0123456789LOGS"])
    record = logging.LogRecord("desktop_app", logging.INFO, __file__, 1, "tool failed: %s",
                               ("bad key sk-logged-0123456789LOGS",), None)
    assert KeyMaskingFilter().filter(record)
    assert record.getMessage() == "tool failed: bad key sk-…LOGS"
