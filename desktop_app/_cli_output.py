"""What ``crewdesk run`` shows: each crew's streamed chunks, and how each crew ended.

`StreamPrinter` writes the chunks of one or many crews (``[n]`` prefixes when several run at
once) and CrewDesk's warnings; `RunResult` is one crew's outcome, as ``--output`` writes it;
`MaskedOutput` masks every known key in what reaches the terminal; `write_report` writes how
every crew ended (``--output``'s JSON, or a block per crew).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from desktop_app.engine import StreamChunk


class MaskedOutput(io.TextIOBase):
    """A terminal stream that never shows a known key (the engine's `register_secrets`).

    Each write is masked; text that ends with the start of a known key is held back until
    the next write (or `release`), so a key streamed in pieces is masked whole too.
    """

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self._held = ""

    def write(self, text: str) -> int:
        """Writes ``text`` with every known key masked (an unfinished one held back)."""
        from desktop_app.engine._secrets_mask import known_secrets, mask

        if not text:
            return 0
        pending = mask(self._held + text)
        keep = _unfinished_secret(pending, known_secrets())
        ready, self._held = pending[: len(pending) - keep], pending[len(pending) - keep :]
        if ready:
            self.out.write(ready)
        return len(text)

    def release(self) -> None:
        """Writes what was held back (the stream ends)."""
        held, self._held = self._held, ""
        if held:
            self.out.write(held)
            self.out.flush()

    def flush(self) -> None:
        """Flushes the real stream (held text stays held)."""
        self.out.flush()

    def isatty(self) -> bool:
        """Whether the real stream is a terminal."""
        return self.out.isatty()

    def fileno(self) -> int:
        """The real stream's file descriptor."""
        return self.out.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase's is read-only None
        """The real stream's encoding."""
        return getattr(self.out, "encoding", None) or "utf-8"


def _unfinished_secret(text: str, secrets: frozenset[str]) -> int:
    """The length of the longest end of ``text`` that begins one of ``secrets`` (else 0)."""
    longest = 0
    for secret in secrets:
        for size in range(min(len(secret) - 1, len(text)), longest, -1):
            if text.endswith(secret[:size]):
                longest = size
                break
    return longest


@dataclass
class RunResult:
    """How one crew of a run ended.

    Attributes:
        index: 1-based position in the batch.
        inputs: The values it ran with.
        output: Its `CrewOutput` when it succeeded.
        error: What went wrong when it failed.
        refused_key: The provider that refused the key, when that is why it failed.
        missing_input: The placeholder the inputs had no value for, when that is why.
        history_run_id: The id the run has in the history, when it is kept there.
    """

    index: int
    inputs: dict[str, Any]
    output: Any = None
    error: str | None = None
    refused_key: str | None = None
    missing_input: str | None = None
    history_run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        output = None if self.output is None else self.output.model_dump(mode="json")
        status = "failed" if self.error is not None else "succeeded"
        data = {"index": self.index, "inputs": self.inputs, "status": status,
                "output": output, "error": self.error}
        if self.history_run_id is not None:
            data["history_run_id"] = self.history_run_id
        return data


@dataclass
class StreamPrinter:
    """Writes the chunks of one or many crews to a terminal.

    One crew streams as it comes. When several run at once, each line gets the crew's
    prefix (``[3] ``) and text is held until its line is complete, so lines never mix.
    """

    out: TextIO
    prefixed: bool
    quiet: bool = False
    err: TextIO | None = None
    _warned: set[str] = field(default_factory=set)
    _partial: dict[int, str] = field(default_factory=dict)
    _task: dict[int, int] = field(default_factory=dict)
    _agent: dict[int, str] = field(default_factory=dict)

    def prefix(self, index: int) -> str:
        """The prefix of crew ``index``'s lines ("[3] " when several crews run)."""
        return f"[{index}] " if self.prefixed else ""

    def _line(self, index: int, text: str) -> None:
        self.flush(index)
        self.out.write(f"{self.prefix(index)}{text}\n")
        self.out.flush()

    def chunk(self, index: int, chunk: StreamChunk) -> None:
        """Shows one chunk of crew ``index``."""
        if self.quiet:
            return
        role = " ".join(chunk.agent_role.split())  # a YAML role ("role: >") ends in "\n"
        if self._task.get(index) != chunk.task_index:
            self._task[index] = chunk.task_index
            self._agent[index] = role
            name = f" {chunk.task_name}" if chunk.task_name else ""
            self._line(index, f"== task {chunk.task_index + 1}{name} ({role}) ==")
        elif self._agent.get(index) != role:  # a coworker, or the manager again
            self._agent[index] = role
            self._line(index, f">> {role}")
        if chunk.tool_call is not None:
            arguments = chunk.tool_call.arguments
            arguments = arguments if len(arguments) <= 300 else arguments[:297] + "..."
            self._line(index, f"-> tool {chunk.tool_call.tool_name}({arguments})")
            return
        self._text(index, chunk.content)

    def _text(self, index: int, text: str) -> None:
        if not self.prefixed:
            self._partial[index] = (self._partial.get(index, "") + text).rpartition("\n")[2]
            self.out.write(text)
            self.out.flush()
            return
        *lines, rest = (self._partial.pop(index, "") + text).split("\n")
        for line in lines:
            self.out.write(f"{self.prefix(index)}{line}\n")
        self._partial[index] = rest
        if lines:
            self.out.flush()

    def flush(self, index: int) -> None:
        """Ends crew ``index``'s unfinished line."""
        rest = self._partial.pop(index, "")
        if rest:
            self.out.write(f"{self.prefix(index)}{rest}\n" if self.prefixed else "\n")
            self.out.flush()

    def plan(self, index: int, task_index: int, task_name: str | None, plan: str) -> None:
        """Shows the plan made for a task (`Crew(planning=True)`, `Agent(reasoning=True)`)."""
        if self.quiet:
            return
        name = f" {task_name}" if task_name else ""
        self._line(index, f"== plan for task {task_index + 1}{name} ==")
        for line in plan.strip().splitlines():
            self._line(index, line)

    def skipped(self, index: int, task_index: int, task_name: str | None) -> None:
        """Shows that a conditional task was skipped (its condition was false)."""
        if self.quiet:
            return
        name = f" {task_name}" if task_name else ""
        self._line(index, f"== task {task_index + 1}{name} skipped: its condition was false ==")

    def warning(self, text: str) -> None:
        """Shows ``warning: text`` on ``err`` (stderr), once per text (even when quiet)."""
        if self.err is None or text in self._warned:
            return
        self._warned.add(text)
        self.err.write(f"warning: {text}\n")
        self.err.flush()

    def status(self, index: int, text: str) -> None:
        """Shows a line about crew ``index`` (a start, an end)."""
        if not self.quiet:
            self._line(index, text)


def write_report(results: list[RunResult], output: str | None, out: TextIO) -> None:
    """Writes how each crew ended, every known key masked.

    Args:
        results: The crews' results, in order.
        output: ``--output``: a file for the JSON, ``"-"`` for stdout (then nothing else is
            written there), or None.
        out: The standard output: the final output (or the error) of each crew.
    """
    from desktop_app.engine import mask_secrets

    data = mask_secrets(json.dumps([r.to_json() for r in results], indent=2, default=str))
    if output == "-":
        out.write(data + "\n")
    elif output is not None:
        from desktop_app.documents.crewdesk_file import atomic_write_text

        atomic_write_text(Path(output), data + "\n")
    if output == "-":
        return
    for result in results:
        title = f"[{result.index}] " if len(results) > 1 else ""
        if result.error is not None:
            out.write(mask_secrets(f"\n=== {title}failed ===\n{result.error}\n"))
        else:
            out.write(mask_secrets(f"\n=== {title}final output ===\n{result.output.raw}\n"))
