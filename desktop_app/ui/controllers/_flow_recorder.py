"""Writing one flow run to the run history (the crews' table; no new column).

A flow run is one history run: its name is the flow's, mode ``flow`` (``flow dry run`` on
the simulator), its snapshot the project folder and graph. Each step is a "task" of the run
(its index in the flow's steps): its crews' text as ``text`` segments, its start and end as
``heading`` segments and its result as that task's output; its state id (what `@persist`
saves under) a ``flow_state_id`` segment; the flow's final state is a
``flow_state`` segment (JSON) and the step outcomes a ``flow_steps`` segment (JSON). As for
crews, a failing write is logged and swallowed: the history must not stop a run.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from desktop_app.storage.history import RunHistory
from desktop_app.ui.controllers.flow_state import FlowRunState, FlowStatus

__all__ = ["STATE_ID_KIND", "FlowRecorder"]

STATE_ID_KIND = "flow_state_id"
"""The segment holding the run's state id (`FlowStarted.state_id`)."""

log = logging.getLogger(__name__)

_ENDS: dict[FlowStatus, Literal["finished", "failed", "cancelled"]] = {
    FlowStatus.DONE: "finished", FlowStatus.FAILED: "failed",
    FlowStatus.CANCELLED: "cancelled",
}


class FlowRecorder:
    """Writes one flow run's start, steps, crews' text, state and end to the history."""

    def __init__(self, history: RunHistory, state: FlowRunState, root: str) -> None:
        """Creates a recorder for `state` (its run id is the history's), of the project at
        `root`."""
        self._history = history
        self._state = state
        self._root = root
        self._index = {name: index for index, name in enumerate(state.graph.steps)}
        self._started = False

    async def start(self) -> None:
        """Records the run as running, with the flow's graph as its snapshot."""
        state = self._state
        snapshot = {"kind": "flow", "project": self._root, "flow": state.flow_name,
                    "steps": list(state.graph.steps),
                    "edges": [list(edge) for edge in state.graph.edges()]}
        try:
            await self._history.start_run(
                state.flow_name, run_id=state.run_id, crew_snapshot=snapshot,
                inputs=state.inputs, mode="flow dry run" if state.dry_run else "flow",
                status="running")
        except Exception:
            log.exception("could not record the start of flow run %s", state.run_id)
            return
        self._started = True

    async def on_event(self, event: Any) -> None:
        """Records what an event adds: step lines, step results, crews' text."""
        if not self._started:
            return
        kind = event.kind
        if kind == "flow_started":  # the key `@persist` saves under: History resumes by it
            self._history.append_text(self._state.run_id, len(self._index), event.state_id,
                                      kind=STATE_ID_KIND)
        elif kind == "flow_method_started":
            self._text(event.method, f"▶ step {event.method}\n", "heading")
        elif kind == "flow_method_failed":
            self._text(event.method, f"✗ step {event.method}: {event.error}\n", "error")
        elif kind == "flow_crew_started":
            self._text(event.method, f"crew {event.crew_name}\n", "heading")
        elif kind == "flow_method_finished":
            await self._step_output(event.method, event.result)
        elif kind == "text" and event.run_id in self._state.crews:
            self._text(self._state.crews[event.run_id][0], event.content, "text")
        elif kind == "trace_span" and event.run_id in self._state.crews:  # the crews' steps
            self._history.append_span(event, self._state.run_id)

    def _text(self, step: str, text: str, kind: str) -> None:
        self._history.append_text(self._state.run_id, self._index.get(step, 0), text, kind=kind)

    async def _step_output(self, step: str, result: str) -> None:
        try:
            await self._history.record_task_output(
                self._state.run_id, self._index.get(step, 0), raw=result, name=step,
                agent="flow step")
        except Exception:
            log.exception("could not record step %s of flow run %s", step, self._state.run_id)

    async def finish(self) -> None:
        """Records how the run ended: status, result, tokens, error, state and step outcomes."""
        state = self._state
        status = _ENDS.get(state.status)
        if not self._started or status is None:
            return
        last = len(self._index)
        steps = {name: node.value for name, node in state.nodes.items()}
        self._history.append_text(state.run_id, last, json.dumps(steps), kind="flow_steps")
        self._history.append_text(state.run_id, last, json.dumps(state.state, default=str),
                                  kind="flow_state")
        try:
            await self._history.finish_run(
                state.run_id, status, final_output=state.result or None,
                usage={"total_tokens": state.total_tokens}, cost_usd=state.cost_usd,
                error=state.error or None)
            await self._history.flush()
        except Exception:
            log.exception("could not record the end of flow run %s", state.run_id)
