"""The ``crewdesk`` command: no arguments opens the window; subcommands work headless.

    crewdesk                       open the CrewDesk window
    crewdesk run CREW [options]    run a crew (or a batch of crews) and stream their output
    crewdesk simulator [options]   serve the local fake LLM (see desktop_app.simulator)

Each subcommand is one entry of `COMMANDS`: a help line and a ``main(argv) -> exit code``.
Heavy modules (pydantic documents, the engine, litellm) are imported inside the subcommand,
so ``crewdesk --help`` answers at once.

A task with ``human_input`` asks for feedback on the terminal (on stderr, so that
``--output -`` stays clean JSON): a line of feedback makes the agent revise, an empty line
(or the end of stdin) approves.

Tool calls with side effects follow ``--approve ask|always|never`` (see
`desktop_app._terminal_approval`).

``run`` takes a ``.crew.yaml``, or a CrewAI project folder, ``.py`` script or ``.ipynb`` notebook
as it is: those run their own code (`desktop_app._cli_project`; ``--static`` reads a project's
YAML without running any of it).

Exit codes of ``run``: 0 when every crew succeeded, 1 when any crew failed, 2 for a usage or
file error (a project's: ``error: file:line: message``; each explained on one line, without a
traceback), 130 when interrupted.

This module is the entry point and the dispatch; ``run``'s parts live beside it: its options
(`desktop_app._cli_args`), inputs (`_cli_inputs`), exit codes and usage errors
(`_cli_errors`), model and keys (`_cli_llm`), crew files (`_cli_crew_file`), batches
(`_cli_batch`), output (`_cli_output`). Their names stay importable from here.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, cast

from desktop_app import _cli_fork as fork
from desktop_app._cli_args import run_parser
from desktop_app._cli_batch import run_batch, run_one
from desktop_app._cli_crew_file import run_crew_file
from desktop_app._cli_errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    MissingInputsError,
    UsageError,
    inputs_hint,
)
from desktop_app._cli_inputs import parse_json_object, read_inputs_file, resolve_inputs
from desktop_app._cli_llm import (
    SIMULATOR_API_KEY,
    SIMULATOR_MODEL,
    key_hint,
    llm_target,
    refused_key_provider,
    stored_keys,
)
from desktop_app._cli_output import MaskedOutput, RunResult, StreamPrinter, write_report

__all__ = [  # with the names of `run`'s parts that callers and tests import from here
    "COMMANDS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "SIMULATOR_API_KEY",
    "SIMULATOR_MODEL",
    "Command",
    "MaskedOutput",
    "MissingInputsError",
    "RunResult",
    "StreamPrinter",
    "UsageError",
    "doctor_main",
    "gui_main",
    "inputs_hint",
    "key_hint",
    "main",
    "main_parser",
    "read_inputs_file",
    "refused_key_provider",
    "rehearse_main",
    "resolve_inputs",
    "run_batch",
    "run_main",
    "run_one",
    "run_parser",
    "simulator_main",
    "stored_keys",
    "trace_main",
]

# Their names before `run`'s parts moved out of this module (still imported from here).
_parse_json_object = parse_json_object
_llm_target = llm_target
_report = write_report


@dataclass(frozen=True)
class Command:
    """A subcommand of ``crewdesk``.

    Attributes:
        help: One line for ``crewdesk --help``.
        main: Runs it with the arguments after its name; returns the exit code.
    """

    help: str
    main: Callable[[list[str]], int]


# --- run ----------------------------------------------------------------------------------


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.output not in (None, "-") and not Path(args.output).parent.is_dir():
        raise UsageError(f"--output: no folder {Path(args.output).parent}")
    from desktop_app._cli_project import run_project, runs_project_code

    if runs_project_code(args):
        fork.refuse_for_project_code(args)
        return run_project(args, out, err)
    return run_crew_file(args, out, err)


def run_main(argv: list[str]) -> int:
    """``crewdesk run``: runs a crew, or one crew per line of an inputs file.

    Everything written to the terminal meanwhile (CrewDesk's lines, the project's prints,
    warnings) goes through `MaskedOutput`: a known key is never shown.
    """
    args = run_parser().parse_args(argv)
    out, err = MaskedOutput(sys.stdout), MaskedOutput(sys.stderr)
    try:
        with (contextlib.redirect_stdout(cast(TextIO, out)),
              contextlib.redirect_stderr(cast(TextIO, err))):
            return _run_main(args)
    finally:
        for stream in (out, err):
            with contextlib.suppress(OSError, ValueError):
                stream.release()


def _run_main(args: argparse.Namespace) -> int:
    from desktop_app.compat.projects import ProjectError
    from desktop_app.documents import CrewFileError

    try:
        return _run(args, sys.stdout, sys.stderr)
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CrewFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        missing = [p.message.split()[1] for p in exc.problems if p.message.startswith("placeholder")]
        if missing:
            print(inputs_hint([name.strip("{}") for name in missing]), file=sys.stderr)
        return EXIT_USAGE
    except MissingInputsError as exc:
        for message in exc.problems:
            print(f"error: {message}", file=sys.stderr)
        print(inputs_hint(exc.names), file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, fork.ForkUsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `crewdesk run ... | head`: the reader left; no traceback
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


# --- other subcommands ---------------------------------------------------------------------


def simulator_main(argv: list[str]) -> int:
    """``crewdesk simulator``: the local fake LLM server (``python -m desktop_app.simulator``)."""
    from desktop_app.simulator.__main__ import main

    return main(argv)


def gui_main() -> int:
    """Opens the CrewDesk window, when this build has one."""
    if importlib.util.find_spec("desktop_app.ui.app") is None:
        print("The CrewDesk window is not part of this build yet. "
              "Try `crewdesk run --help` to run crews from the terminal.", file=sys.stderr)
        return EXIT_FAILED
    app = importlib.import_module("desktop_app.ui.app")
    result = app.main()
    return int(result) if isinstance(result, int) else EXIT_OK


def doctor_main(argv: Sequence[str]) -> int:
    """Prints versions, paths, keychain and providers, and runs a crew on the simulator."""
    from desktop_app.doctor import main as doctor

    return doctor(list(argv))


def rehearse_main(argv: list[str]) -> int:
    """Estimates a crew's calls, tokens and cost on the simulator (`desktop_app._cli_rehearse`)."""
    from desktop_app._cli_rehearse import rehearse_main as main_of_rehearse

    return main_of_rehearse(argv)


def trace_main(argv: list[str]) -> int:
    """Prints a run's trace (`desktop_app._cli_trace`)."""
    from desktop_app._cli_trace import trace_main as main_of_trace

    return main_of_trace(argv)


COMMANDS: dict[str, Command] = {
    "run": Command("run a crew (or a batch of crews) headless and stream its output", run_main),
    "simulator": Command("serve the local fake LLM to rehearse crews offline", simulator_main),
    "doctor": Command("check this installation and run a crew on the simulator", doctor_main),
    "trace": Command("print a run's trace from the history as JSON or OpenTelemetry (OTLP)",
                     trace_main),
    "rehearse": Command("estimate a crew's calls, tokens and cost on the simulator",
                        rehearse_main),
}
"""Subcommands by name. Adding one is one entry here."""


def main_parser() -> argparse.ArgumentParser:
    """The top-level parser: lists the subcommands for ``crewdesk --help``."""
    from desktop_app import __version__

    parser = argparse.ArgumentParser(
        prog="crewdesk",
        description="Design crews of LLM agents, run many at once, and watch each stream "
        "live. With no command, opens the CrewDesk window.",
    )
    parser.add_argument("--version", action="version", version=f"crewdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        commands.add_parser(name, help=command.help, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``crewdesk`` and ``python -m desktop_app``.

    Args:
        argv: Arguments without the program name (default ``sys.argv[1:]``).

    Returns:
        The exit code.
    """
    from desktop_app._hardening import harden_process

    harden_process()  # Linux: no same-user process may read this one's memory or environ
    arguments = list(sys.argv[1:] if argv is None else argv)
    from desktop_app._frozen import exec_python_request

    executed = exec_python_request(arguments)  # a frozen build running model-written code
    if executed is not None:
        return executed
    if not arguments:
        return gui_main()
    command = COMMANDS.get(arguments[0])
    if command is not None:
        return command.main(arguments[1:])
    main_parser().parse_args(arguments)  # prints help or version, or a usage error; exits
    return EXIT_USAGE
