"""``crewdesk rehearse CREW [--rows N]``: what a crew will cost, before it runs for real.

Runs the crew once on the built-in simulator with its real model names and prints the calls,
tokens and dollars per task and per agent, then one line: "about 14 calls, 38k tokens,
$0.21; this 200-row batch about $42" (`desktop_app.documents.rehearsal`). No key is needed
and no provider is called.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from desktop_app.documents.rehearsal import Rehearsal

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def rehearse_parser() -> argparse.ArgumentParser:
    """The arguments of ``crewdesk rehearse``."""
    parser = argparse.ArgumentParser(
        prog="crewdesk rehearse",
        description="Run a crew once on the offline simulator, count its calls and tokens "
        "per task, and price them at the crew's real models (no key, no provider call).")
    parser.add_argument("crew", metavar="CREW", help="a .crew.yaml file or a CrewAI project")
    parser.add_argument("--rows", type=int, default=None, metavar="N",
                        help="estimate a batch of N runs (default: the lines of --inputs-file, "
                        "else 1)")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--inputs", metavar="JSON", help='placeholder values: \'{"topic": "AI"}\'')
    given.add_argument("--inputs-file", metavar="FILE.jsonl", type=Path,
                       help="a batch's inputs: its first line is rehearsed, its lines counted")
    parser.add_argument("--json", action="store_true", help="print the estimate as JSON")
    return parser


def _inputs(args: argparse.Namespace, defaults: dict[str, object]) -> tuple[dict[str, object], int]:
    from desktop_app._cli_errors import UsageError
    from desktop_app._cli_inputs import parse_json_object, read_inputs_file

    if args.rows is not None and args.rows < 1:
        raise UsageError("--rows must be 1 or more")
    if args.inputs_file is not None:
        batch = read_inputs_file(args.inputs_file)
        return {**defaults, **batch[0]}, args.rows or len(batch)
    if args.inputs is not None:
        return {**defaults, **parse_json_object(args.inputs, "--inputs")}, args.rows or 1
    return defaults, args.rows or 1


def print_rehearsal(rehearsal: Rehearsal, rows: int, out: TextIO) -> None:
    """The per-task table, the per-agent line and the summary."""
    for task in rehearsal.tasks:
        label = f"task {task.index + 1}" if task.index >= 0 else "other"
        cost = f"${task.cost_usd:.4f}" if task.priced else "no price"
        out.write(f"  {label:<8} {task.name[:28]:<28} {task.model[:28]:<28} "
                  f"{task.calls:>3} calls {task.tokens:>8,} tokens  {cost}\n")
    agents = ", ".join(f"{role} ${cost:.4f}" for role, cost in rehearsal.by_agent().items())
    if agents:
        out.write(f"  by agent: {agents}\n")
    out.write(rehearsal.summary(rows) + "\n")


def _as_json(rehearsal: Rehearsal, rows: int) -> str:
    return json.dumps({
        "calls": rehearsal.calls, "tokens": rehearsal.tokens, "cost_usd": rehearsal.cost_usd,
        "rows": rows, "batch_cost_usd": rehearsal.cost_usd * rows,
        "unpriced": rehearsal.unpriced, "finished": rehearsal.finished, "error": rehearsal.error,
        "tasks": [{"index": t.index, "name": t.name, "model": t.model, "calls": t.calls,
                   "prompt_tokens": t.prompt_tokens, "completion_tokens": t.completion_tokens,
                   "cost_usd": t.cost_usd, "agents": t.agents} for t in rehearsal.tasks],
        "summary": rehearsal.summary(rows),
    }, indent=2)


def _rehearse(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.documents import open_crew
    from desktop_app.documents.rehearsal import rehearse

    loaded = open_crew(args.crew)
    for notice in loaded.notices:
        err.write(f"note: {notice}\n")
    inputs, rows = _inputs(args, dict(loaded.document.default_inputs()))
    loaded.check_inputs(inputs)
    rehearsal = asyncio.run(rehearse(loaded.document, inputs, base_dir=loaded.base_dir))
    if args.json:
        out.write(_as_json(rehearsal, rows) + "\n")
    else:
        out.write(f"Rehearsal of '{loaded.document.name}' on the simulator, priced at its "
                  "real models:\n")
        print_rehearsal(rehearsal, rows, out)
    if rehearsal.error is not None:
        err.write(f"error: the rehearsal stopped: {rehearsal.error}\n")
        return EXIT_FAILED
    return EXIT_OK


def rehearse_main(argv: list[str]) -> int:
    """``crewdesk rehearse``: estimates a crew's calls, tokens and cost on the simulator."""
    from desktop_app._cli_errors import MissingInputsError, UsageError, inputs_hint
    from desktop_app.documents import CrewFileError

    args = rehearse_parser().parse_args(argv)
    try:
        return _rehearse(args, sys.stdout, sys.stderr)
    except CrewFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except MissingInputsError as exc:
        for message in exc.problems:
            print(f"error: {message}", file=sys.stderr)
        print(inputs_hint(exc.names), file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
