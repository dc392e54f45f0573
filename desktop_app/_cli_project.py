"""``crewdesk run PATH`` for a CrewAI project folder, a Python script or a notebook.

Running a project runs its code (as ``crewai run`` does), with its ``crewai`` imports resolved
to CrewDesk's engine. With no inputs given it runs the project's own entry (``main.run()``, or
the script), and its crews are printed from the engine's process-wide event bus
(`desktop_app._cli_bus_printer`). With ``--inputs``/``--inputs-file`` the project's crew is
built and run with them, as a ``.crew.yaml`` is (`desktop_app._cli_batch`); a Flow runs its
steps (`desktop_app._cli_flow`). Its LLMs are pointed at ``--simulator``/``--model``
process-wide (`desktop_app._cli_llm.project_target`).
``--approve`` reaches the crews the code builds as the process's default approvals.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from desktop_app._cli_batch import run_batch
from desktop_app._cli_bus_printer import (
    BusPrinter,
    ProjectOutput,
    Terminal,
    TerminalSide,
    warnings_printed,
)
from desktop_app._cli_errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    MissingInputsError,
    UsageError,
    inputs_hint,
)
from desktop_app._cli_inputs import parse_json_object, read_inputs_file
from desktop_app._cli_llm import project_target
from desktop_app._cli_output import RunResult, StreamPrinter, write_report
from desktop_app._terminal_approval import TerminalApprovals

if TYPE_CHECKING:
    from desktop_app.compat.projects import LoadedProject
    from desktop_app.engine import Crew

__all__ = [  # the printing classes and project_target are imported from here too
    "BusPrinter",
    "ProjectOutput",
    "Terminal",
    "TerminalSide",
    "project_batch",
    "project_target",
    "run_project",
    "runs_project_code",
    "warnings_printed",
]


def project_batch(args: argparse.Namespace, defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs of each run of a project's crew: given values over its ``main.py`` inputs.

    Raises:
        UsageError: Values that cannot be read, or ``--input-set`` (``.crew.yaml`` only).
    """
    if args.input_set is not None:
        raise UsageError("--input-set is for .crew.yaml files; give a project's values "
                         "with --inputs or --inputs-file")
    if args.inputs is not None:
        return [{**defaults, **parse_json_object(args.inputs, "--inputs")}]
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
    write_report(results, args.output, out)
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
    write_report(results, args.output, out)
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
