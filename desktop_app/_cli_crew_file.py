"""``crewdesk run CREW.crew.yaml`` (or a project read ``--static``): a crew document's runs.

The document is opened and checked before anything runs (its inputs, its files, that the
engine can build it), then one crew per inputs runs in a batch (`desktop_app._cli_batch`),
recorded in the history (`desktop_app._cli_fork`) and held to its budgets
(`desktop_app._cli_budget`). Keys come from the secret store before the event loop starts.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app import _cli_fork as fork
from desktop_app._cli_batch import run_batch
from desktop_app._cli_errors import EXIT_FAILED, EXIT_OK
from desktop_app._cli_inputs import resolve_inputs
from desktop_app._cli_llm import key_hint, llm_target, stored_keys
from desktop_app._cli_output import StreamPrinter, write_report
from desktop_app._terminal_approval import TerminalApprovals

if TYPE_CHECKING:
    from desktop_app.documents import CrewDocument, LoadedCrew
    from desktop_app.engine import Crew

__all__ = ["run_crew_file"]


def _open(
    args: argparse.Namespace, err: TextIO, plans: Sequence[fork.ForkPlan] = ()
) -> tuple[LoadedCrew, list[dict[str, Any]]]:
    """Opens the crew and checks its inputs and files; returns it and each run's inputs."""
    from desktop_app.documents import open_crew

    loaded = open_crew(args.crew)
    for notice in loaded.notices:
        err.write(f"note: {notice}\n")
    batch = fork.with_fork_inputs(resolve_inputs(args, loaded.document), plans)
    for inputs in batch:
        loaded.check_inputs(inputs)
    loaded.check_files()
    return loaded, batch


def run_crew_file(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Runs the crew file ``args.crew`` once per inputs; returns the exit code.

    Raises:
        UsageError: A mistake in the command line.
        CrewFileError: The crew file cannot be read, or its inputs or files are wrong.
        ForkUsageError: A fork or resume the history cannot give.
    """
    from desktop_app.documents import override_llm

    plans = fork.read_fork_plans(args)  # before the loop: it reads the history
    loaded, batch = _open(args, err, plans)
    with llm_target(args) as (model, base_url, api_key):
        document = override_llm(loaded.document, model=model, base_url=base_url,
                                embedding_model="sim" if args.simulator else None)
        make_crew = _crew_maker(args, document, loaded.base_dir, api_key)
        printer = StreamPrinter(out, prefixed=len(batch) > 1, quiet=args.quiet, err=err)
        approvals = TerminalApprovals(printer, err, workspace=loaded.base_dir,
                                      policy=args.approve or document.settings.approval)
        results = asyncio.run(fork.run_recorded(args, plans, document, batch, lambda history: run_batch(
            make_crew, batch, concurrency=args.concurrency, mode=args.mode, printer=printer,
            progress=err if len(batch) > 1 else None, errors=err, approvals=approvals,
            history=history), err))
    write_report(results, args.output, out)
    for provider in dict.fromkeys(r.refused_key for r in results if r.refused_key is not None):
        err.write(key_hint(provider) + "\n")
    return EXIT_FAILED if any(result.error is not None for result in results) else EXIT_OK


def _crew_maker(args: argparse.Namespace, document: CrewDocument, base_dir: Path,
                api_key: str | None) -> Callable[[], Crew]:
    """What builds each run's crew: keys, MCP servers and budgets resolved once.

    Builds one crew at once, so that a crew the engine cannot build is refused before any
    run starts. Keys are read here, before the event loop, since keychain calls may block.
    """
    from desktop_app._cli_budget import budgets_of
    from desktop_app.documents import build_crew
    from desktop_app.storage.mcp_servers import servers_for_document

    keys = {} if api_key else stored_keys(document)
    servers = servers_for_document(document)  # the app's MCP servers, for mcp: tools
    budgets = budgets_of(args, document)  # a batch's crews share its budget's meter

    def make_crew() -> Crew:
        crew = build_crew(document, stream=True, base_dir=base_dir,
                          resolve_api_key=lambda spec: api_key or keys.get(spec.key),
                          trust_project_tools=not args.static, mcp_servers=servers)
        budgets.apply(crew)
        return crew

    make_crew()  # refuse a crew the engine cannot build before any run starts
    return make_crew
