"""`TerminalApprovals`: ``crewdesk run --approve`` asks before side-effecting tool calls.

A crew's tool call that runs code, reaches the network, writes a file or reads outside the
crew's folder waits for approval under the policy "ask" (see `desktop_app.engine.approval`).
On a terminal, the question goes to stderr (``--output -`` keeps stdout clean JSON): the
call's summary and its whole detail (the code, the address, the file and its text), then
``y`` runs it, ``a`` runs it and every later call of that run, and anything else (``n``, an
empty line, the end of stdin) refuses it. When stdin is not a terminal nobody can answer:
the crews get no approver, so the engine refuses the call at once (telling the model that
nobody could approve it), and one ``error:`` line names the call and says to pass
``--approve always``: a run in a script or CI never hangs on a question.

The policy is ``--approve`` when given; else a ``.crew.yaml``'s own ``settings.approval``;
else (a project, a script) "ask".
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from desktop_app.engine import Crew
    from desktop_app.engine.approval import ApprovalRequest, Approver, Decision, Policy
    from desktop_app.engine.events import ApprovalRequested

__all__ = ["TerminalApprovals", "approval_prompt", "decision_of"]

_DETAIL_LINES = 60
"""Lines of a call's detail shown at most (the rest is counted)."""


class _Printer(Protocol):
    def prefix(self, index: int) -> str: ...

    def flush(self, index: int) -> None: ...


def approval_prompt(prefix: str, request: ApprovalRequest) -> str:
    """The question about `request` as the terminal shows it (every line prefixed)."""
    lines = [f"?? {request.agent_role} asks: {request.summary} ({request.tool_name})"]
    detail = request.detail.splitlines()
    lines += [f"   | {line}" for line in detail[:_DETAIL_LINES]]
    if len(detail) > _DETAIL_LINES:
        lines.append(f"   | ... {len(detail) - _DETAIL_LINES} more lines")
    lines.append("Allow it? [y]es, [n]o, [a]lways in this run: ")
    return "\n".join(prefix + line for line in lines)


def decision_of(answer: str) -> Decision:
    """The decision an answer means: "y"/"yes" runs, "a"/"always" runs from now on,
    anything else refuses."""
    word = answer.strip().lower()
    if word in ("y", "yes"):
        return "run"
    if word in ("a", "always"):
        return "always"
    return "deny"


def refusal_line(prefix: str, request: ApprovalRequest | ApprovalRequested) -> str:
    """The ``error:`` line of a call refused because nobody can answer."""
    return (
        f"error: {prefix}refused {request.tool_name} ({request.summary}): it needs approval "
        "and stdin is not a terminal to ask; pass --approve always to allow such calls "
        "(or --approve never to refuse them without this line)\n"
    )


class TerminalApprovals:
    """The approval questions of the crews of one ``crewdesk run``."""

    def __init__(
        self,
        printer: _Printer,
        err: TextIO,
        *,
        policy: Policy,
        workspace: Path | None = None,
        interactive: bool | None = None,
    ) -> None:
        """Prepares the questions.

        Args:
            printer: Shows the crews' streams (its prefixes are the crews' prefixes).
            err: Where questions and refusals go (stderr).
            policy: The run's policy ("ask", "always" or "never").
            workspace: The crews' folder when they name none (None: the working folder
                when each run starts).
            interactive: Whether someone can answer; None: whether stdin is a terminal.
        """
        self._printer = printer
        self._err = err
        self.policy: Policy = policy
        self._workspace = workspace
        self._interactive = sys.stdin.isatty() if interactive is None else interactive
        self._lock = threading.Lock()

    def attach(self, crew: Crew, index: int) -> None:
        """Makes crew ``index`` ask on this terminal, under this run's policy."""
        own = crew.approvals()
        crew.set_approvals(dataclasses.replace(
            own, policy=self.policy, approver=self.approver(lambda _run_id: index),
            workspace=own.workspace or self._workspace,
        ))

    def approver(self, number: Callable[[str], int]) -> Approver | None:
        """An approver for the crews whose number `number` gives from a run id; None when
        nobody can answer (stdin is not a terminal): the engine then refuses "ask" calls,
        and `noticed` names each on stderr."""
        if not self._interactive:
            return None

        async def approve(request: ApprovalRequest) -> Decision:
            from desktop_app.engine import read_stdin_line

            index = number(request.run_id)
            self._printer.flush(index)
            prompt = approval_prompt(self._printer.prefix(index), request)
            return decision_of(await read_stdin_line(prompt, self._err))

        return approve

    def noticed(self, index: int, event: ApprovalRequested) -> None:
        """Crew ``index``'s call of `event` waits for approval: when nobody can give it,
        says on stderr that it is refused, and how to allow such calls."""
        if self.policy != "ask" or self._interactive:
            return
        with self._lock:
            self._printer.flush(index)
            self._err.write(refusal_line(self._printer.prefix(index), event))
            self._err.flush()

    @contextlib.contextmanager
    def as_default(self, number: Callable[[str], int]) -> Iterator[None]:
        """Makes the terminal the approver of every crew built meanwhile without approvals
        of its own (a project's code builds its crews), under this run's policy; the
        workspace is the working folder when each run starts (a project's root). The
        previous default is put back after."""
        from desktop_app.engine.approval import (
            Approvals,
            default_approvals,
            set_default_approvals,
        )

        previous = default_approvals()
        set_default_approvals(Approvals(policy=self.policy, approver=self.approver(number)))
        try:
            yield
        finally:
            set_default_approvals(previous)
