"""``crewdesk run PATH`` for a CrewAI project folder, a Python script or a notebook.

Running a project runs its code (as ``crewai run`` does), with its ``crewai`` imports resolved
to CrewDesk's engine. With no inputs given it runs the project's own entry (``main.run()``, or
the script), and its crews are printed from the engine's process-wide event bus: each crew run
(a ``run_id``) is numbered in the order it started, and once two run at once every line gets
its crew's ``[n]`` prefix. With ``--inputs``/``--inputs-file`` the project's crew is built and
run with them, as a ``.crew.yaml`` is.

Runs started with ``kickoff_async`` deliver their events on worker threads, so every print
goes through one lock (`BusPrinter`).
``--approve`` reaches the crews the code builds as the process's default approvals.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from desktop_app._cli_output import RunResult, StreamPrinter
from desktop_app._terminal_approval import TerminalApprovals
from desktop_app.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    MissingInputsError,
    UsageError,
    _llm_target,
    _parse_json_object,
    _report,
    inputs_hint,
    read_inputs_file,
    run_batch,
)

if TYPE_CHECKING:
    from desktop_app.compat.projects import LoadedProject
    from desktop_app.engine import Crew
    from desktop_app.engine.events import ApprovalRequested, RunEvent


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


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _store_key(name: str) -> str | None:
    """A tool's key from CrewDesk's secret store (the environment is asked first by C4)."""
    from desktop_app.storage.secrets import SecretStore, SecretStoreError

    try:
        return SecretStore().get(name)
    except (SecretStoreError, ValueError):
        return None


@contextlib.contextmanager
def project_target(args: argparse.Namespace) -> Iterator[None]:
    """Points every LLM of the project's code at ``--simulator``/``--model``/``--base-url``.

    Project agents build their own LLMs (``LLM("gpt-4o")``), so the target is forced
    process-wide (C3), and the variables code reads (``OPENAI_API_KEY``, ``MODEL`` ...) are
    set while it runs (and, through ``_llm_target``, the search tools' addresses). Tool keys
    come from the environment, then the secret store (C4).
    """
    from desktop_app.engine.llm import force_llm_target
    from desktop_app.engine.toolkit import _keys

    with _llm_target(args) as (model, base_url, api_key):
        values: dict[str, str] = {}
        if args.simulator and model and base_url and api_key:
            values = {"OPENAI_API_KEY": api_key, "OPENAI_BASE_URL": base_url,
                      "OPENAI_API_BASE": base_url, "MODEL": model}
        forced = (force_llm_target(model, base_url, api_key) if model or base_url
                  else contextlib.nullcontext())
        previous = _keys._source  # put back after (the app may have installed its own)
        _keys.set_key_source(_store_key)
        try:
            with _environ(values), forced:
                yield
        finally:
            _keys.set_key_source(previous)


def project_batch(args: argparse.Namespace, defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs of each run of a project's crew: given values over its ``main.py`` inputs.

    Raises:
        UsageError: Values that cannot be read, or ``--input-set`` (``.crew.yaml`` only).
    """
    if args.input_set is not None:
        raise UsageError("--input-set is for .crew.yaml files; give a project's values "
                         "with --inputs or --inputs-file")
    if args.inputs is not None:
        return [{**defaults, **_parse_json_object(args.inputs, "--inputs")}]
    return [{**defaults, **values} for values in read_inputs_file(args.inputs_file)]


def run_project(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Runs a project folder, script or notebook (its code); returns the exit code.

    Raises:
        ProjectError: The project cannot be loaded, or failed before any crew ran.
        UsageError: A mistake in the command line.
    """
    from desktop_app._cli_flow import flow_script_with_inputs, run_flow_project
    from desktop_app.compat.projects import load, locate

    spec = locate(Path(args.crew))
    terminal = Terminal(out)
    side = TerminalSide(terminal, "crewdesk")
    printer = StreamPrinter(cast(TextIO, side), prefixed=False, quiet=args.quiet, err=err)
    approvals = TerminalApprovals(printer, err, policy=args.approve or "ask")
    bus_printer = BusPrinter(printer, err, terminal, approvals)
    with (warnings_printed(bus_printer.warn), project_target(args),
          approvals.as_default(bus_printer.number)):
        project = load(spec)
        if spec.kind == "flow" or flow_script_with_inputs(args, project):
            return run_flow_project(args, project, bus_printer, out, err)
        given = args.inputs is not None or args.inputs_file is not None
        if given or args.input_set is not None:
            return _run_with_inputs(args, project, printer, out, err, approvals)
        if args.mode != "akickoff" or args.concurrency != 4:
            err.write("note: --mode and --concurrency apply to runs with --inputs or "
                      "--inputs-file; the project's own run decides how its crews run\n")
        results, failed = _run_entry(project, bus_printer)
    _report(results, args.output, out)
    if not results and not failed:
        err.write("note: the project ran no crew\n")
    return EXIT_FAILED if failed or any(r.error is not None for r in results) else EXIT_OK


def _run_entry(project: LoadedProject, bus_printer: BusPrinter) -> tuple[list[RunResult], bool]:
    from desktop_app._cli_flow import FlowPrinter
    from desktop_app.compat.projects import ProjectError
    from desktop_app.engine import bus

    unsubscribe = bus.subscribe(FlowPrinter(bus_printer))  # a script's flows: their steps too
    failed = False
    try:
        with contextlib.redirect_stdout(ProjectOutput(bus_printer)):
            project.run_entry()
    except ProjectError as exc:
        if not bus_printer.started:
            raise
        with bus_printer.lock:
            bus_printer.err.write(f"error: {exc}\n")
        failed = True
    except SystemExit as exc:
        failed = exc.code not in (None, 0)
    finally:
        unsubscribe()
        bus_printer.terminal.end_line()
    return bus_printer.results, failed


def _run_with_inputs(args: argparse.Namespace, project: LoadedProject, printer: StreamPrinter,
                     out: TextIO, err: TextIO, approvals: TerminalApprovals) -> int:
    from desktop_app.compat._project_crew import check_tool_keys
    from desktop_app.engine import bus

    batch = project_batch(args, project.default_inputs)
    printer.prefixed = len(batch) > 1
    # CrewDesk prints these runs from their streams; a bus subscriber tells the engine that
    # someone shows them, so a crew's `verbose=True` does not print each step a second time.
    unsubscribe = bus.subscribe(lambda event: None)
    try:
        with project.activated():
            crew = project.build_crew()
            _check_inputs(crew, batch)  # refuse before any run
            check_tool_keys(crew, project.spec.entry)
            results = asyncio.run(run_batch(
                project.build_crew, batch, concurrency=args.concurrency, mode=args.mode,
                printer=printer, progress=err if len(batch) > 1 else None, errors=err,
                approvals=approvals))
    finally:
        unsubscribe()
    _report(results, args.output, out)
    missing = [result.missing_input for result in results if result.missing_input]
    if missing:  # found only by the run (a @before_kickoff callback changed the inputs)
        err.write(inputs_hint(missing) + "\n")
        return EXIT_USAGE
    return EXIT_FAILED if any(result.error is not None for result in results) else EXIT_OK


def _check_inputs(crew: Crew, batch: list[dict[str, Any]]) -> None:
    """Refuses values that leave a placeholder of the crew without one (a usage error).

    Raises:
        MissingInputsError: One problem per placeholder (and per line of a batch).
    """
    from desktop_app.compat._project_crew import missing_inputs

    problems: list[str] = []
    names: list[str] = []
    for number, inputs in enumerate(batch, start=1):
        for error in missing_inputs(crew, inputs):
            where = f"inputs {number}: " if len(batch) > 1 else ""
            problems.append(where + str(error))
            names.append(error.placeholder)
    if problems:
        raise MissingInputsError(problems, names)


def runs_project_code(args: argparse.Namespace) -> bool:
    """True when ``args.crew`` is run as code: a project folder (a JSON crew's too, whose
    custom tools and python references are code), a script or a notebook.

    A ``.crew.yaml`` (any YAML file) and ``--static`` take the static path, as does a folder
    with YAML but no ``crew.py`` (there is no code to run).
    """
    path = Path(args.crew)
    if args.static or path.suffix in (".yaml", ".yml"):
        return False
    if path.is_file() or not path.exists():
        return path.suffix in (".py", ".ipynb") or path.name in ("crew.jsonc", "crew.json")
    from desktop_app.compat.projects import ProjectError, locate

    try:
        locate(path)
    except ProjectError:
        return not _static_layout_exists(path)
    return True


def _static_layout_exists(path: Path) -> bool:
    from desktop_app.documents import CrewFileError
    from desktop_app.documents.crewai_import import find_crewai_layout

    try:
        find_crewai_layout(path)
    except CrewFileError:
        return False
    return True
