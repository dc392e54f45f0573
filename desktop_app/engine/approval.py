"""Asking before a tool with side effects runs: the approval hook's types and policy.

A tool that runs code, reaches the network, writes a file, reads a file outside the crew's
folder or calls an MCP server describes what it is about to do as an `ApprovalRequest`
(`BaseTool.approval_request`). Before it runs, the agent loop asks the run's `Approvals`:
under the policy "always" it runs, under "never" it is refused, and under "ask" the
`Approver` (the dashboard's Run / Deny / Always prompt, the CLI's terminal question) is
awaited. A refused call goes back to the model as a tool error; the run goes on.

Where the `Approvals` of a run come from, first match wins: the crew's own
(`Crew.set_approvals`), the process's default (`set_default_approvals`, what `crewdesk run`
sets from `--approve`), else `Approvals()`: policy "always", as CrewAI, which never asks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

ApprovalKind: TypeAlias = Literal["code", "network", "file_write", "file_read", "mcp"]
"""What a call would do: run code, reach the network, write a file, read a file outside the
crew's folder, or call a tool of an MCP server."""

Policy: TypeAlias = Literal["ask", "always", "never"]
"""Ask each time, run without asking, or refuse without asking."""

Decision: TypeAlias = Literal["run", "deny", "always"]
"""An approver's answer: run this call, refuse it, or run it and every later one of the run
(and, in the app, of the crew) without asking."""

POLICIES: tuple[Policy, ...] = ("ask", "always", "never")


@dataclass(frozen=True)
class ApprovalRequest:
    """One call waiting for approval, as the user is shown it.

    Attributes:
        kind: What the call would do.
        tool_name: The tool's name, as the model called it.
        summary: One line for a list or a terminal ("Run 12 lines of Python",
            "GET https://example.com", "Write report.md").
        detail: The whole thing to review: the code, the URL and query, the file's path
            and content, the MCP server and arguments. May span many lines.
        target: The path, URL or server the call touches, when there is one ("" otherwise);
            a read outside the crew's folder names the file here.
        agent_role: The agent that made the call.
        task_name: The task it works on.
        run_id: The run, when the call is made in one.
        call_id: The model's id of the call, as on its `ToolCallStarted` and
            `ApprovalRequested` events ("" outside a run).
    """

    kind: ApprovalKind
    tool_name: str
    summary: str
    detail: str = ""
    target: str = ""
    agent_role: str = ""
    task_name: str = ""
    run_id: str = ""
    call_id: str = ""


Approver: TypeAlias = Callable[[ApprovalRequest], Awaitable[Decision] | Decision]
"""Answers one request; sync approvers run in a worker thread on the async path."""


@dataclass
class Approvals:
    """How one run (or a process) approves side-effecting tool calls.

    Attributes:
        policy: "ask", "always" or "never".
        approver: Asked under "ask"; with none, "ask" refuses (and says the call needed
            approval and nobody could give it).
        workspace: The crew's folder: file tools read and write relative to it, and a read
            outside it (or outside `allowed_paths`) is a "file_read" request. None means the
            process's working folder when the run starts.
        allowed_paths: Files and folders outside the workspace that the user allowed by name.
    """

    policy: Policy = "always"
    approver: Approver | None = None
    workspace: Path | None = None
    allowed_paths: tuple[Path, ...] = field(default_factory=tuple)


_default = Approvals()


def set_default_approvals(approvals: Approvals) -> None:
    """Sets the process's default (what `crewdesk run --approve` chooses)."""
    global _default
    _default = approvals


def default_approvals() -> Approvals:
    """The process's default approvals."""
    return _default
