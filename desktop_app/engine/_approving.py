"""The agent loop's approval gate: asks the run's `Approvals` before a side-effecting call.

Before a tool call runs, the loop asks the tool what the call would do
(`BaseTool.approval_request`). When the tool says nothing (None) the call runs. Otherwise
the run's policy decides: "always" runs it, "never" refuses it, and "ask" awaits the
approver (a sync one in a daemon thread on the async path, so a cancelled run never waits
for it; directly on the blocking path, whose private loop serves this run alone). "ask"
without an approver refuses, saying that the call needed approval and nobody could give it.
An approver's "always" turns the run's policy to "always". Every request and decision is
also an event (`ApprovalRequested`, `ApprovalDecided`). A refusal goes back to the model as
the call's error; the run goes on.

While an allowed call runs, the file tools read the run's `FileScope` (`_tool_paths`):
relative paths resolve against the run's workspace, and a read outside it is allowed only
under `allowed_paths` or for the path this call was approved for.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import inspect
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from desktop_app.engine import events as ev
from desktop_app.engine._secrets_mask import mask
from desktop_app.engine._tool_paths import FileScope, file_scope
from desktop_app.engine._trace import Span
from desktop_app.engine.approval import (
    ApprovalRequest,
    Approvals,
    Approver,
    Decision,
)
from desktop_app.engine.errors import CrewError
from desktop_app.engine.tools import BaseTool

if TYPE_CHECKING:
    from desktop_app.engine._run_state import RunState, TaskMeta

__all__ = ["ApproverError", "approve_call", "run_approvals"]

_DECISIONS: frozenset[str] = frozenset({"run", "deny", "always"})
_POLL_SECONDS = 0.1
"""How often the blocking path checks for cancellation while an approver is awaited."""


class ApproverError(CrewError, TypeError):
    """An approver answered something other than "run", "deny" or "always"."""


def run_approvals(approvals: Approvals) -> Approvals:
    """A run's own copy of `approvals`: its policy may turn to "always" during the run
    without touching the crew's; the workspace (None: the working folder now) and the
    allowed paths are resolved, symlinks included."""
    workspace = Path(approvals.workspace or os.getcwd()).expanduser().resolve()
    allowed = tuple(Path(path).expanduser().resolve() for path in approvals.allowed_paths)
    return dataclasses.replace(approvals, workspace=workspace, allowed_paths=allowed)


def _scope_of(approvals: Approvals, granted: Path | None = None) -> FileScope:
    return FileScope(
        workspace=approvals.workspace or Path(os.getcwd()).resolve(),
        allowed_paths=tuple(approvals.allowed_paths),
        granted=granted,
    )


async def approve_call(
    tool: BaseTool, arguments: dict[str, Any], call_id: str, state: RunState, meta: TaskMeta
) -> tuple[str | None, FileScope]:
    """Asks before one call: returns the refusal for the model (None: it may run) and the
    file scope the call runs in.

    Raises:
        ValueError: The tool cannot describe the call (its arguments do not work).
        ApproverError: The approver answered something else than a `Decision`.
        asyncio.CancelledError: The run was cancelled while it waited.
    """
    approvals = state.approvals
    scope = _scope_of(approvals)
    request = await _request_of(tool, arguments, scope, blocking=state.blocking)
    if request is None:
        return None, scope
    request = dataclasses.replace(
        request, agent_role=meta["agent_role"], task_name=meta["task_name"] or "",
        run_id=state.run_id, call_id=call_id,
    )
    state.send(ev.ApprovalRequested(
        call_id=call_id, approval_kind=request.kind, tool_name=request.tool_name,
        summary=request.summary, detail=request.detail, target=request.target, **meta,
    ))
    with Span(state, "approval", request.tool_name, meta) as span:
        decision, by = await _decide(
            approvals, request, cancelled=state.cancelled if state.blocking else None
        )
        if span.active:
            span.status = "ok" if decision != "deny" else "refused"
            span.detail = {"summary": mask(request.summary), "decision": decision, "by": by}
    if decision == "always":
        approvals.policy = "always"
    allowed = decision != "deny"
    state.send(ev.ApprovalDecided(
        call_id=call_id, decision="run" if allowed else "deny", by=by, **meta
    ))
    if not allowed:
        return _refusal(approvals, request, by), scope
    granted = Path(request.target) if request.kind == "file_read" and request.target else None
    return None, _scope_of(approvals, granted)


async def _request_of(
    tool: BaseTool, arguments: dict[str, Any], scope: FileScope, *, blocking: bool
) -> ApprovalRequest | None:
    """The tool's request, in the call's file scope; a tool that overrides
    `approval_request` (it may resolve paths: file system calls) answers in a worker
    thread on the async path."""
    if type(tool).approval_request is BaseTool.approval_request:
        return None

    def describe() -> ApprovalRequest | None:
        with file_scope(scope):
            return tool.approval_request(arguments, scope.workspace)

    return describe() if blocking else await asyncio.to_thread(describe)


async def _decide(
    approvals: Approvals, request: ApprovalRequest, *, cancelled: Callable[[], bool] | None
) -> tuple[Decision, Literal["policy", "user"]]:
    if approvals.policy == "always":
        return "run", "policy"
    if approvals.policy == "never" or approvals.approver is None:
        return "deny", "policy"
    return await ask(approvals.approver, request, cancelled=cancelled), "user"


def _refusal(approvals: Approvals, request: ApprovalRequest, by: str) -> str:
    """What the model is told about a refused call."""
    if by == "user":
        return f"Error: the user did not allow this call ({request.summary})."
    if approvals.policy == "never":
        return (
            f"Error: this call was refused: the crew's approval policy is \"never\" "
            f"({request.summary})."
        )
    return (
        f"Error: this call needed the user's approval and nobody could give it "
        f"({request.summary})."
    )


async def ask(
    approver: Approver, request: ApprovalRequest, *, cancelled: Callable[[], bool] | None = None
) -> Decision:
    """The approver's decision on `request`.

    Args:
        approver: Sync or async.
        request: What it is asked about.
        cancelled: On the blocking path (whose private loop serves this run alone): the
            run's flag, polled while an async approver is awaited, and the sync approver is
            called directly. None (the async path): a sync approver runs in a daemon thread.

    Raises:
        ApproverError: It answered something other than "run", "deny" or "always".
        asyncio.CancelledError: `cancelled` said so while waiting.
    """
    if inspect.iscoroutinefunction(approver) or cancelled is not None:
        answer: Any = approver(request)
    else:
        answer = await _in_daemon_thread(approver, request)
    if inspect.isawaitable(answer):
        answer = await _awaited(answer, cancelled)
    if answer not in _DECISIONS:
        raise ApproverError(
            f"an approver must answer \"run\", \"deny\" or \"always\", not {answer!r}"
        )
    decision: Decision = answer
    return decision


async def _awaited(answer: Awaitable[Any], cancelled: Callable[[], bool] | None) -> Any:
    """Awaits an async approver's answer; on the blocking path, polls the run's flag (a
    cancelled `kickoff_async` sets it) and stops waiting when it is set."""
    if cancelled is None:
        return await answer
    waiting = asyncio.ensure_future(answer)
    try:
        while not waiting.done():
            if cancelled():
                raise asyncio.CancelledError
            await asyncio.wait({waiting}, timeout=_POLL_SECONDS)
        return waiting.result()
    finally:
        if not waiting.done():
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting


async def _in_daemon_thread(approver: Approver, request: ApprovalRequest) -> Any:
    """Calls a sync approver in a daemon thread: a cancelled run stops waiting at once and
    the thread (say, blocked on a terminal) never holds up the process's exit, as
    `asyncio.to_thread` would."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(answer: Any, error: BaseException | None) -> None:
        if future.done():  # the run stopped waiting
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(answer)

    def target() -> None:
        answer: Any = None
        error: BaseException | None = None
        try:
            answer = approver(request)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting run
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, answer, error)

    context = contextvars.copy_context()
    threading.Thread(
        target=context.run, args=(target,), name="crewdesk-approver", daemon=True
    ).start()
    return await future
