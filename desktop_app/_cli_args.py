"""The command line of ``crewdesk run``: its argument parser, and nothing that runs.

Kept apart from the runners so that ``crewdesk run --help`` imports no engine, and so that the
options are read in one place; the history and budget options come from their own modules
(`desktop_app._cli_fork`, `desktop_app._cli_budget`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop_app import _cli_fork as fork
from desktop_app._cli_budget import add_budget_arguments
from desktop_app._cli_llm import SIMULATOR_MODEL

__all__ = ["run_parser"]


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
    _add_source_arguments(parser)
    _add_run_arguments(parser)
    fork.add_history_arguments(parser)
    add_budget_arguments(parser)
    return parser


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """What runs: the crew, and the inputs of each run."""
    parser.add_argument("crew", metavar="CREW", help="a .crew.yaml file, a CrewAI project "
                        "folder, a .py script or an .ipynb notebook")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--inputs", metavar="JSON", help='placeholder values: \'{"topic": "AI"}\'')
    given.add_argument("--inputs-file", metavar="FILE.jsonl", type=Path,
                       help="one JSON object per line: run the crew once per line (a batch)")
    given.add_argument("--input-set", metavar="NAME", help="use this input set of the crew")


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """How it runs: concurrency, models, output, approvals, trust."""
    add = parser.add_argument
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
