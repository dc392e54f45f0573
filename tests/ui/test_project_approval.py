"""A CrewAI project's crew asks before its code tool runs (a project starts at "ask"); its
"Always" is kept in the app settings by crew id, since the project's YAML has no such field,
and the designer's crew page shows and changes that kept value."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from test_app_support import (
    litellm_loaded,  # noqa: F401 - a fixture
    make_services,
    wait_until,
)
from test_projects import CREW_PY, write_project

from desktop_app.ui.controllers import RunController, RunRequest, RunStatus
from desktop_app.ui.dashboard.run_panel import RunPanel
from desktop_app.ui.designer import DesignerView
from desktop_app.ui.projects._session import load_project

Arun = Callable[..., Any]

pytestmark = pytest.mark.usefixtures("litellm_loaded")

CODE_TASKS = """\
research_task:
  description: >
    sim-call: code_interpreter {call}
  expected_output: >
    One fact about {{topic}}
  agent: researcher
"""


def test_a_project_crew_asks_and_always_is_kept_in_the_app_settings(
    qtbot: QtBot, arun: Arun, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "demo", CREW_PY.replace(
        "tools=[fact_finder])", "tools=[fact_finder], allow_code_execution=True)"))
    call = json.dumps({"code": "print(3 * 5)"})
    (root / "src/demo/config/tasks.yaml").write_text(CODE_TASKS.format(call=call),
                                                     encoding="utf-8")

    async def scenario() -> None:
        services = await make_services("http://127.0.0.1:9/v1")  # unreachable: dry run only
        controller = RunController(services)
        opened = await asyncio.to_thread(load_project, root, True)
        assert opened.runs_code, opened.error
        assert str(opened.document.settings.approval) == "ask"  # a project starts at ask
        services.projects.add(opened)

        def request() -> RunRequest:
            return RunRequest(opened.document, {"topic": "owls", "year": "2026"},
                              crew_id=opened.crew_id, dry_run=True, project=opened.run_for())

        state = controller.start(request())
        panel = RunPanel(state)
        qtbot.addWidget(panel)
        panel.approvalDecided.connect(lambda run_id, decision: controller.decide(run_id, decision))
        await wait_until(lambda: state.pending_approval is not None or state.status.is_terminal)
        assert state.pending_approval is not None, (state.error, state.transcript())
        assert "print(3 * 5)" in panel.approval_bar.detail.toPlainText()
        panel.approval_bar.always_button.click()
        await controller.wait(state)
        assert state.status is RunStatus.DONE, state.error
        assert "↳ 15" in state.transcript()
        assert services.current_settings.crew_approvals == {opened.crew_id: "always"}
        assert "saved in the app settings" in state.transcript()

        again = controller.start(request())  # the kept "always": no question
        await controller.wait(again)
        assert again.status is RunStatus.DONE and "↳ 15" in again.transcript()

        designer = DesignerView(services)  # shows the kept value; a choice there is kept
        qtbot.addWidget(designer)
        await designer.ready()
        assert await designer.show_project(opened)
        safety = designer.crew_page.safety
        assert safety.approval_box.currentData() == "always"
        assert not designer.editor.dirty
        safety.set_approval("never")
        await designer._tasks.join()
        assert services.current_settings.crew_approvals == {opened.crew_id: "never"}
        assert opened.document.settings.approval == "never"
        await controller.aclose()
        await services.close()

    arun(scenario(), timeout=90)
