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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from desktop_app import _cli_fork as fork
from desktop_app._cli_output import MaskedOutput, RunResult, StreamPrinter
from desktop_app._terminal_approval import TerminalApprovals
from desktop_app._terminal_feedback import TerminalFeedback

if TYPE_CHECKING:
    from desktop_app.documents import CrewDocument, LoadedCrew
    from desktop_app.engine import Crew

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

SIMULATOR_MODEL = "openai/sim"
SIMULATOR_API_KEY = "sk-simulator"


class UsageError(Exception):
    """A mistake in the command line or in a file it names; its text is shown to the user."""


class MissingInputsError(UsageError):
    """Inputs without a value for some placeholders: one ``error:`` line each, and a hint.

    Attributes:
        problems: The messages, one per placeholder.
        names: The placeholders, for the hint.
    """

    def __init__(self, problems: Sequence[str], names: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)
        self.names = list(names)


def inputs_hint(names: Sequence[str]) -> str:
    """``hint: give the values with --inputs '{"name": "..."}'`` for the placeholders."""
    example = ", ".join(f'"{name}": "..."' for name in dict.fromkeys(names))
    return f"hint: give the values with --inputs '{{{example}}}'"


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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def run_parser() -> argparse.ArgumentParser:
    """The arguments of ``crewdesk run``."""
    parser = argparse.ArgumentParser(
        prog="crewdesk run",
        description="Run a crew headless, streaming each crew's output to the terminal. "
        "Values given with --inputs or --inputs-file are laid over the crew's first input "
        "set. Agents that name a credential get its key from CrewDesk's secret store; "
        "others use the provider's environment variable (OPENAI_API_KEY ...). "
        "Running a CrewAI project folder, a .py script or an .ipynb notebook RUNS ITS CODE, "
        "as `crewai run` does (its `from crewai ...` imports resolve to CrewDesk): with no "
        "--inputs, its own run entry (main.run() and its inputs); with --inputs, its crew. "
        "Use --static to read a project's YAML without running any of its code.",
    )
    add = parser.add_argument
    add("crew", metavar="CREW", help="a .crew.yaml file, a CrewAI project folder, a .py script "
        "or an .ipynb notebook")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--inputs", metavar="JSON", help='placeholder values: \'{"topic": "AI"}\'')
    given.add_argument("--inputs-file", metavar="FILE.jsonl", type=Path,
                       help="one JSON object per line: run the crew once per line (a batch)")
    given.add_argument("--input-set", metavar="NAME", help="use this input set of the crew")
    add("--concurrency", type=_positive_int, default=4, metavar="N",
        help="crews of a batch running at once (default 4)")
    add("--mode", choices=("akickoff", "kickoff-async"), default="akickoff",
        help="akickoff: native async (default); kickoff-async: each crew in a worker thread")
    add("--output", metavar="OUT.json", help="write the outputs as JSON to this file ('-': stdout)")
    add("--model", help="run every agent on this model (a litellm model string)")
    add("--base-url", help="send every agent's requests to this OpenAI-compatible URL")
    add("--simulator", action="store_true",
        help=f"start the built-in LLM simulator and point every agent at it ({SIMULATOR_MODEL})")
    add("--quiet", action="store_true", help="do not stream chunks; print only the outcome")
    add("--approve", choices=("ask", "always", "never"), default=None,
        help="before a tool runs code, reaches the network, writes a file or reads outside "
        "the crew's folder: ask on the terminal (refused when stdin is not a terminal), "
        "always allow, or never allow (default: the crew file's own setting, else ask)")
    add("--static", action="store_true",
        help="read a CrewAI project's agents.yaml/tasks.yaml (or crew.jsonc) without running "
        "its code (for code you do not trust; what lives in code is left out); a crew "
        "file's own project: tools (tools/*.py) are refused too")
    fork.add_history_arguments(parser)
    from desktop_app._cli_budget import add_budget_arguments

    add_budget_arguments(parser)
    return parser


def _parse_json_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where}: not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{where}: must be a JSON object such as {{\"topic\": \"AI\"}}")
    return value


def read_inputs_file(path: Path) -> list[dict[str, Any]]:
    """Reads a JSONL file: one JSON object per non-blank line.

    Raises:
        UsageError: The file cannot be read, a line is not a JSON object, or it has none.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    batch = [_parse_json_object(line, f"{path}:{number}")
             for number, line in enumerate(lines, 1) if line.strip()]
    if not batch:
        raise UsageError(f"{path}: has no inputs (one JSON object per line)")
    return batch


def resolve_inputs(args: argparse.Namespace, document: CrewDocument) -> list[dict[str, Any]]:
    """The inputs of each run: given values laid over the crew's first input set.

    Raises:
        UsageError: Values that cannot be read, or an input set the crew does not have.
    """
    defaults = document.default_inputs()
    if args.inputs is not None:
        return [{**defaults, **_parse_json_object(args.inputs, "--inputs")}]
    if args.inputs_file is not None:
        return [{**defaults, **values} for values in read_inputs_file(args.inputs_file)]
    if args.input_set is not None:
        for input_set in document.input_sets:
            if input_set.name == args.input_set:
                return [dict(input_set.values)]
        names = ", ".join(item.name for item in document.input_sets) or "none"
        raise UsageError(f"the crew has no input set '{args.input_set}' (it has: {names})")
    return [defaults]


def refused_key_provider(exc: BaseException) -> str | None:
    """The provider that refused the key, when `exc` is an auth failure (else None)."""
    from desktop_app.engine import LLMError, TaskExecutionError

    cause = exc.cause if isinstance(exc, TaskExecutionError) else exc
    return cause.provider if isinstance(cause, LLMError) and cause.kind == "auth" else None


def key_hint(provider: str) -> str:
    """Where to fix a refused key: CrewDesk's Settings, or the provider's variable."""
    from desktop_app.storage.secrets import PROVIDER_ENV_VARS

    variables = " or ".join(PROVIDER_ENV_VARS.get(provider, ()))
    other = f"the environment variable {variables}" if variables else "the provider's variable"
    return (f"hint: the key for {provider} was refused. Agents that name a credential take "
            "their key from CrewDesk's keychain: run `crewdesk`, open Settings, pick the "
            f"provider and check its key. Other agents use {other}.")


async def run_one(
    crew: Crew,
    index: int,
    inputs: dict[str, Any],
    mode: str,
    printer: StreamPrinter,
    feedback: TerminalFeedback | None = None,
    approvals: TerminalApprovals | None = None,
    tap: fork.RunTap | None = None,
) -> RunResult:
    """Runs one crew to its end, streaming; an error ends this crew only. Feedback questions
    (tasks with ``human_input``) are asked on the terminal when the stream reaches them, and
    so are approvals of side-effecting tool calls (with ``approvals``)."""
    from desktop_app.engine import MissingInputError
    from desktop_app.engine.streaming import chunk_of

    feedback = feedback or TerminalFeedback(printer)
    crew.human_input_handler = feedback.handler_for(index)
    if approvals is not None:
        approvals.attach(crew, index)
    stream = crew.stream_events(inputs, mode="akickoff" if mode == "akickoff" else "kickoff_async",
                                reuse=tap.reuse if tap is not None else None)
    error: str | None = None
    try:
        async for event in stream:
            if tap is not None:
                await tap.see(event)  # the history keeps each finished task at once
            if event.kind == "human_input_requested":
                await feedback.ask(index, event)
            elif event.kind == "approval_requested" and approvals is not None:
                approvals.noticed(index, event)
            elif event.kind in ("setting_ignored", "budget_warning"):
                printer.warning(event.message)
            elif event.kind == "plan_created":
                printer.plan(index, event.task_index, event.task_name, event.plan)
            elif event.kind == "task_skipped":
                printer.skipped(index, event.task_index, event.task_name)
            elif (chunk := chunk_of(event)) is not None:
                printer.chunk(index, chunk)
        return RunResult(index, inputs, output=stream.value())
    except Exception as exc:  # noqa: BLE001 - one failing crew must not stop the batch
        error = str(exc) or type(exc).__name__
        return RunResult(index, inputs, error=error,
                         refused_key=refused_key_provider(exc),
                         missing_input=exc.placeholder
                         if isinstance(exc, MissingInputError) else None)
    finally:
        printer.flush(index)
        await stream.aclose()
        if tap is not None:
            await tap.close(error)


async def run_batch(
    make_crew: Callable[[], Crew],
    batch: Sequence[dict[str, Any]],
    *,
    concurrency: int,
    mode: str,
    printer: StreamPrinter,
    progress: TextIO | None,
    errors: TextIO | None = None,
    approvals: TerminalApprovals | None = None,
    history: fork.CliHistory | None = None,
) -> list[RunResult]:
    """Runs one crew per inputs, at most ``concurrency`` at once, each to its end.

    A crew that fails says why on ``errors`` at once (``error: [n] ...``), then the batch
    goes on. With ``approvals``, each crew asks on the terminal before side-effecting calls.
    """
    semaphore = asyncio.Semaphore(concurrency)
    finished: list[RunResult] = []
    feedback = TerminalFeedback(printer)

    async def one(index: int, inputs: dict[str, Any]) -> RunResult:
        async with semaphore:
            if len(batch) > 1:
                printer.status(index, f"started with {json.dumps(inputs, default=str)}")
            result = await run_one(make_crew(), index, inputs, mode, printer, feedback,
                                   approvals, history.tap(index) if history else None)
        if history is not None:
            result.history_run_id = history.run_ids()[index - 1]
        finished.append(result)
        if result.error is not None and errors is not None:
            errors.write(f"error: {f'[{index}] ' if len(batch) > 1 else ''}{result.error}\n")
            errors.flush()
        if result.error is not None and len(batch) > 1:
            printer.status(index, f"failed: {result.error}")
        if progress is not None:
            failed = sum(1 for item in finished if item.error is not None)
            progress.write(f"{len(finished)}/{len(batch)} done, {failed} failed\n")
            progress.flush()
        return result

    return list(await asyncio.gather(*(one(i, v) for i, v in enumerate(batch, 1))))


def _report(results: list[RunResult], output: str | None, out: TextIO) -> None:
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


@contextlib.contextmanager
def _llm_target(args: argparse.Namespace) -> Iterator[tuple[str | None, str | None, str | None]]:
    """Yields the model, base URL and API key to force on every agent (None: leave it)."""
    if not args.simulator:
        yield args.model, args.base_url, None
        return
    if args.base_url is not None:
        raise UsageError("--simulator and --base-url cannot be used together")
    from desktop_app.engine.toolkit.simulated import simulated_services
    from desktop_app.simulator import SimulatorConfig, SimulatorThread

    # A dry run: the search tools (Serper, Tavily, Exa, Brave) ask the simulator too.
    with SimulatorThread(SimulatorConfig()) as sim, simulated_services(sim.root_url):
        yield args.model or SIMULATOR_MODEL, sim.base_url, SIMULATOR_API_KEY


def _open(
    args: argparse.Namespace, err: TextIO, plans: Sequence[fork.ForkPlan] = ()
) -> tuple[LoadedCrew, list[dict[str, Any]]]:
    from desktop_app.documents import open_crew

    loaded = open_crew(args.crew)
    for notice in loaded.notices:
        err.write(f"note: {notice}\n")
    batch = fork.with_fork_inputs(resolve_inputs(args, loaded.document), plans)
    for inputs in batch:
        loaded.check_inputs(inputs)
    loaded.check_files()
    return loaded, batch


def stored_keys(document: CrewDocument) -> dict[str, str]:
    """Keys of the agents that name a credential, from the secret store (else environment).

    Read before the event loop starts, since keychain calls may block.
    """
    named = [agent for agent in document.agents if agent.credential]
    if not named:
        return {}
    from desktop_app.storage.secrets import SecretStore

    store = SecretStore()
    keys: dict[str, str] = {}
    for agent in named:
        provider = (agent.llm or "openai").split("/", 1)[0]
        found = store.resolve(agent.credential, provider)
        if found is not None:
            keys[agent.key] = found.value
    from desktop_app.engine import register_secrets

    register_secrets(keys.values())  # masked in every line and --output file
    return keys


def _execute(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.documents import build_crew, override_llm

    plans = fork.read_fork_plans(args)  # before the loop: it reads the history
    loaded, batch = _open(args, err, plans)
    with _llm_target(args) as (model, base_url, api_key):
        document = override_llm(loaded.document, model=model, base_url=base_url,
                                embedding_model="sim" if args.simulator else None)
        keys = {} if api_key else stored_keys(document)
        base_dir = loaded.base_dir
        from desktop_app.storage.mcp_servers import servers_for_document

        servers = servers_for_document(document)  # the app's MCP servers, for mcp: tools
        from desktop_app._cli_budget import budgets_of

        budgets = budgets_of(args, document)  # a batch's crews share its budget's meter

        def make_crew() -> Crew:
            crew = build_crew(document, stream=True, base_dir=base_dir,
                              resolve_api_key=lambda spec: api_key or keys.get(spec.key),
                              trust_project_tools=not args.static, mcp_servers=servers)
            budgets.apply(crew)
            return crew

        make_crew()  # refuse a crew the engine cannot build before any run starts
        printer = StreamPrinter(out, prefixed=len(batch) > 1, quiet=args.quiet, err=err)
        approvals = TerminalApprovals(printer, err, workspace=base_dir,
                                      policy=args.approve or document.settings.approval)
        results = asyncio.run(fork.run_recorded(args, plans, document, batch, lambda history: run_batch(
            make_crew, batch, concurrency=args.concurrency, mode=args.mode, printer=printer,
            progress=err if len(batch) > 1 else None, errors=err, approvals=approvals,
            history=history), err))
    _report(results, args.output, out)
    for provider in dict.fromkeys(r.refused_key for r in results if r.refused_key is not None):
        err.write(key_hint(provider) + "\n")
    return EXIT_FAILED if any(result.error is not None for result in results) else EXIT_OK


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.output not in (None, "-") and not Path(args.output).parent.is_dir():
        raise UsageError(f"--output: no folder {Path(args.output).parent}")
    from desktop_app._cli_project import run_project, runs_project_code

    if runs_project_code(args):
        fork.refuse_for_project_code(args)
        return run_project(args, out, err)
    return _execute(args, out, err)


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
