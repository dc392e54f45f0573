"""What ``crewdesk run`` shows of a project's code: every crew run of the process, from the bus.

A project's code starts its own crews, so they are printed from the engine's process-wide event
bus (`BusPrinter`): each crew run (a ``run_id``) is numbered in the order it started, and once
two run at once every line gets its crew's ``[n]`` prefix. The project's own prints share the
terminal with CrewDesk's (`Terminal`, `TerminalSide`, `ProjectOutput`): each side starts on a
fresh line when the other left one open, and a project that prints a crew's stream itself is
not shown it a second time. CrewDesk's warnings about the project are shown as ``warning:``
lines (`warnings_printed`).

Runs started with ``kickoff_async`` deliver their events on worker threads, so every print
goes through one lock (`BusPrinter.lock`).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO, cast

from desktop_app._cli_output import RunResult, StreamPrinter
from desktop_app._terminal_approval import TerminalApprovals

if TYPE_CHECKING:
    from desktop_app.engine.events import ApprovalRequested, RunEvent

__all__ = ["BusPrinter", "ProjectOutput", "Terminal", "TerminalSide", "warnings_printed"]

class Terminal(io.TextIOBase):
    """The standard output that the project's own prints and CrewDesk's share.

    Remembers who wrote last and whether the line is open, so that each side starts on a
    fresh line when the other left one open (a script printing its own stream, chunk by
    chunk, while CrewDesk prints task headers and tool calls).
    """

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.line_open = False
        self.last_writer = ""
        self.gone = False

    def write(self, text: str) -> int:
        """Writes ``text`` as it is (nothing once the reader has gone: ``| head``)."""
        if text and not self.gone:
            try:
                self.out.write(text)
            except BrokenPipeError:
                self.gone = True
            self.line_open = not text.endswith("\n")
        return len(text)

    def flush(self) -> None:
        """Flushes the real stream."""
        if not self.gone:
            try:
                self.out.flush()
            except BrokenPipeError:
                self.gone = True

    def take_line(self, writer: str) -> None:
        """Ends the line the other writer left open, before ``writer`` writes."""
        if self.line_open and self.last_writer not in ("", writer):
            self.write("\n")
        self.last_writer = writer

    def end_line(self) -> None:
        """Ends an open line (before the report)."""
        if self.line_open:
            self.write("\n")


class TerminalSide(io.TextIOBase):
    """One writer's way into the `Terminal`: it takes the line before each write."""

    def __init__(self, terminal: Terminal, writer: str) -> None:
        super().__init__()
        self.terminal = terminal
        self.writer = writer

    def write(self, text: str) -> int:
        """Writes ``text`` on a line of this writer's own."""
        if text:
            self.terminal.take_line(self.writer)
        return self.terminal.write(text)

    def flush(self) -> None:
        """Flushes the real stream."""
        self.terminal.flush()


class ProjectOutput(io.TextIOBase):
    """``sys.stdout`` while the project's code runs: its prints, ordered with CrewDesk's.

    A project that prints the chunks of a running crew is showing that crew's stream itself
    (``for chunk in streaming: print(chunk.content, end="")``): from then on CrewDesk shows
    only the task headers and tool calls, not the text a second time.
    """

    def __init__(self, bus_printer: BusPrinter) -> None:
        super().__init__()
        self.bus_printer = bus_printer

    def write(self, text: str) -> int:
        """Writes the project's text under the printing lock."""
        with self.bus_printer.lock:
            self.bus_printer.project_wrote(text)
            return self.bus_printer.terminal.write(text)

    def flush(self) -> None:
        """Flushes the real stream."""
        self.bus_printer.terminal.flush()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase's is read-only too
        """The real stream's encoding (libraries such as rich ask)."""
        return getattr(self.bus_printer.terminal.out, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        """Whether the real stream is a terminal (colour output asks)."""
        try:
            return self.bus_printer.terminal.out.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def fileno(self) -> int:
        """The real stream's file descriptor (raises as it does when it has none)."""
        return self.bus_printer.terminal.out.fileno()


class BusPrinter:
    """Prints every crew run of the process from the event bus, and keeps how each ended.

    Called from any thread; one lock orders the prints. Runs are numbered in the order their
    `RunStarted` arrives.
    """

    def __init__(self, printer: StreamPrinter, err: TextIO, terminal: Terminal,
                 approvals: TerminalApprovals | None = None) -> None:
        self.printer = printer
        self.approvals = approvals
        self.err = err
        self.terminal = terminal
        self.lock = threading.RLock()
        self.text_shown = True
        self._chunks: deque[str] = deque(maxlen=64)
        self._printed: deque[str] = deque(maxlen=64)
        self._index: dict[str, int] = {}
        self._inputs: dict[int, tuple[str, dict[str, Any]]] = {}
        self._active: set[int] = set()
        self._results: dict[int, RunResult] = {}

    def project_wrote(self, text: str) -> None:
        """The project printed ``text``: CrewDesk's open lines end, and when it is a chunk
        of a running crew, the project shows the crews' text from now on."""
        if not text:
            return
        for index in sorted(self._active):
            self.printer.flush(index)
        if self._active and text in self._chunks:
            self.text_shown = False
        self._printed.append(text)
        self.terminal.take_line("project")

    def _shows_text(self, content: str) -> bool:
        """Whether CrewDesk prints a text chunk (not when the project prints its stream)."""
        if content:
            if content in self._printed:
                self.text_shown = False
            self._chunks.append(content)
        return self.text_shown

    @property
    def results(self) -> list[RunResult]:
        """How each run ended, by number (a run still going is left out)."""
        with self.lock:
            return [self._results[index] for index in sorted(self._results)]

    @property
    def started(self) -> int:
        """How many runs have started."""
        with self.lock:
            return len(self._index)

    def __call__(self, event: RunEvent) -> None:
        """Shows one event of any run (the bus's listener)."""
        from desktop_app.engine.streaming import chunk_of

        with self.lock:
            index = self.number(event.run_id)
            kind = event.kind
            if kind == "setting_ignored":
                self.printer.warning(str(getattr(event, "message", "")))
                return
            if kind == "plan_created":
                self.printer.plan(index, int(getattr(event, "task_index", 0)),
                                  getattr(event, "task_name", None), str(getattr(event, "plan", "")))
                return
            if kind == "approval_requested" and self.approvals is not None:
                self.approvals.noticed(index, cast("ApprovalRequested", event))
                return
            if kind == "task_skipped":
                self.printer.skipped(index, int(getattr(event, "task_index", 0)),
                                     getattr(event, "task_name", None))
                return
            if kind == "run_started":
                self._started(index, getattr(event, "crew_name", ""),
                              dict(getattr(event, "inputs", {})))
            elif kind in ("run_finished", "run_failed", "run_cancelled"):
                self._ended(index, event)
            elif (chunk := chunk_of(event)) is not None:
                if not self._shows_text(chunk.content) and chunk.tool_call is None:
                    chunk = chunk.model_copy(update={"content": ""})
                self.printer.chunk(index, chunk)

    def number(self, run_id: str) -> int:
        """The number of run `run_id` (numbered when first seen), under the lock."""
        with self.lock:
            return self._index.setdefault(run_id, len(self._index) + 1)

    def _started(self, index: int, crew_name: str, inputs: dict[str, Any]) -> None:
        self._inputs[index] = (crew_name, inputs)
        self._active.add(index)
        if len(self._active) > 1 and not self.printer.prefixed:
            for other in sorted(self._active):
                self.printer.flush(other)
            self.printer.prefixed = True
            for other in sorted(self._active - {index}):  # the runs already going
                self._status(other)
        if self.printer.prefixed:
            self._status(index)

    def _status(self, index: int) -> None:
        crew_name, inputs = self._inputs[index]
        self.printer.status(index, f"started {crew_name} with {json.dumps(inputs, default=str)}")

    def _ended(self, index: int, event: RunEvent) -> None:
        self.printer.flush(index)
        self._active.discard(index)
        inputs = self._inputs.get(index, ("", {}))[1]
        if event.kind == "run_finished":
            self._results[index] = RunResult(index, inputs, output=getattr(event, "output", None))
            return
        error = " ".join(str(getattr(event, "error", "")).split()) or "the run was cancelled"
        self._results[index] = RunResult(index, inputs, error=error)
        prefix = f"[{index}] " if self.printer.prefixed else ""
        self.err.write(f"error: {prefix}{error}\n")
        self.err.flush()

    def warn(self, message: str) -> None:
        """Prints a warning line (``warning: ...``) once, under the lock."""
        with self.lock:
            self.printer.warning(message)


@contextlib.contextmanager
def warnings_printed(show: Callable[[str], None]) -> Iterator[None]:
    """CrewDesk's warnings about a project (ignored settings, skipped lines) go to ``show``.

    Each is shown as ``warning: ...`` (once per text) instead of Python's warning format, and
    never turned into an error, whatever the process's warning filters say.
    """
    from desktop_app.compat.projects import ProjectWarning
    from desktop_app.engine.errors import IgnoredSettingWarning

    ours = (IgnoredSettingWarning, ProjectWarning)
    with warnings.catch_warnings():
        original = warnings.showwarning
        for category in ours:
            warnings.simplefilter("always", category)

        def showwarning(message: Warning | str, category: type[Warning], filename: str,
                        lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
            if issubclass(category, ours):
                show(str(message))
            else:
                original(message, category, filename, lineno, file, line)

        warnings.showwarning = showwarning
        yield
