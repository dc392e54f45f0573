"""`CrewApprovals`: each run's approvals (the crew's policy, workspace and the app's prompt),
and where a crew's "Always" is kept.

A crew document's `settings.approval` (ask / always / never), `workspace` and
`allowed_paths` become the run's `Approvals` (`documents.build.approvals_of`), with the
`ApprovalBroker`'s approver for the run (the panel's Run / Deny / Always). A CrewAI
project's crew is made by its own code, so its approvals come from the designer's document
of the project the same way, its folder as workspace (default "ask").

"Always" is saved where the crew keeps its settings: a crew of the user's library in its own
crew file; a crew whose file CrewDesk does not write (a CrewAI project, whose YAML has no
such field, or a bundled example) in the app settings, `Settings.crew_approvals`, keyed by
crew id, which then wins over its document. A run with no crew id keeps it for that run only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.documents.build import approvals_of, let_code_run_unsandboxed
from desktop_app.documents.model import CrewSettings
from desktop_app.ui.controllers._approval import ApprovalBroker
from desktop_app.ui.controllers._recorder import RunRecorder
from desktop_app.ui.controllers.run_state import RunState

if TYPE_CHECKING:
    from desktop_app.engine import Crew
    from desktop_app.engine.approval import Decision
    from desktop_app.engine.events import ApprovalDecided, ApprovalRequested
    from desktop_app.ui.services import AppServices

__all__ = ["CrewApprovals", "decision_line"]


def decision_line(summary: str, decision: str, by: str) -> tuple[str, bool] | None:
    """The line that shows an approval decision, and whether it is a warning; None for a
    call the crew's policy let run (no line: the tool call's own line shows it)."""
    from desktop_app.engine import mask_secrets

    summary = mask_secrets(summary)
    if decision == "run":
        return (f"✓ Allowed by you: {summary}\n", False) if by == "user" else None
    if by == "user":
        return f"Refused by you: {summary}", True
    return f"Refused by this crew's approval setting: {summary}", True


def _note(
    state: RunState, recorder: RunRecorder | None, text: str, warning: bool,
    task_index: int | None = None,
) -> None:
    """Shows a line in the run's panel (a note, or a warning) and keeps it in its history."""
    index = max(state.task_index if task_index is None else task_index, 0)
    if warning:
        state.warn(text)
    else:
        state.add_note(text)
    if recorder is not None:
        recorder.text(index, text + "\n" if warning else text, "warning" if warning else "note")


class CrewApprovals:
    """Gives runs their approvals and keeps the crews' "Always"."""

    def __init__(
        self, services: AppServices, *, saved: Callable[[str], None], project_prefix: str
    ) -> None:
        """Creates the approvals of the app's runs.

        Args:
            services: The settings and the crew library.
            saved: Called with a crew id whose approval was saved (views reload the crew).
            project_prefix: How the crew ids of CrewAI projects start.
        """
        self._services = services
        self._saved = saved
        self._project_prefix = project_prefix
        self._recorders: dict[str, RunRecorder] = {}
        self._summaries: dict[tuple[str, str], str] = {}  # (run id, call id) -> summary
        self.broker = ApprovalBroker(self._save_always)

    def track(self, run_id: str, recorder: RunRecorder) -> None:
        """Keeps the run's history recorder (decisions and "Always" notes go there too)."""
        self._recorders[run_id] = recorder

    def decide(self, run_id: str, decision: Decision) -> bool:
        """Answers the run's current approval; returns whether one waited."""
        return self.broker.decide(run_id, decision)

    def cancel(self, run_id: str) -> None:
        """Cancels every approval the run waits on (the run was stopped)."""
        self.broker.cancel(run_id)

    def forget(self, run_id: str) -> None:
        """The run ended: cancels its waits and lets its recorder go."""
        self.broker.cancel(run_id)
        self._recorders.pop(run_id, None)
        for key in [key for key in self._summaries if key[0] == run_id]:
            del self._summaries[key]

    def show(self, state: RunState, event: ApprovalRequested | ApprovalDecided) -> None:
        """Shows a decision as a line of the run's panel and history (a request is kept
        until its decision, which names it by call id)."""
        key = (state.run_id, event.call_id)
        if event.kind == "approval_requested":
            self._summaries[key] = event.summary or event.tool_name
            return
        summary = self._summaries.pop(key, "a tool call")
        line = decision_line(summary, event.decision, event.by)
        if line is not None:
            _note(state, self._recorders.get(state.run_id), line[0], line[1],
                  event.task_index)

    def policy_of(self, crew_id: str | None, settings: CrewSettings) -> CrewSettings:
        """The crew's settings with the approval the app keeps for it, when it keeps one."""
        stored = self._services.current_settings.crew_approvals.get(crew_id or "")
        return settings if stored is None else settings.model_copy(update={"approval": stored})

    def attach(
        self, crew: Crew, state: RunState, settings: CrewSettings, base_dir: Path | None,
        *, made_by_code: bool = False,
    ) -> None:
        """Sets the run's approvals on its crew (call on the GUI loop, before the run).

        Args:
            crew: The built crew.
            state: The run (its prompt shows in its panel).
            settings: The crew document's settings.
            base_dir: Its folder (the crew file's or the project's).
            made_by_code: A CrewAI project's crew: its code tools get the document's
                "run unsandboxed" here (a document's crew got it from `build_crew`).
        """
        settings = self.policy_of(state.crew_id, settings)
        crew.set_approvals(approvals_of(settings, base_dir, self.broker.approver_for(state)))
        if made_by_code and settings.allow_unsandboxed:
            let_code_run_unsandboxed(crew)

    async def _save_always(self, state: RunState) -> None:
        crew_id = state.crew_id
        if crew_id is None:
            _note(state, self._recorders.get(state.run_id), "✓ Always: for the rest of this "
                  "run (the crew is not one of your saved crews)\n", False)
            return
        library = self._services.library
        if crew_id.startswith(self._project_prefix) or library.is_example(crew_id):
            settings = self._services.current_settings.model_copy(deep=True)
            settings.crew_approvals[crew_id] = "always"
            await self._services.save_settings(settings)
            where = "the app settings"
        else:
            document = await library.aload(crew_id)
            crew_settings = document.settings.model_copy(update={"approval": "always"})
            await library.asave(document.model_copy(update={"settings": crew_settings}), crew_id)
            where = "its crew file"
        self._saved(crew_id)
        _note(state, self._recorders.get(state.run_id),
              f"✓ Always for {state.crew_name}: its tools run without asking from now on "
              f"(saved in {where}; change it on the designer's crew page)\n", False)
