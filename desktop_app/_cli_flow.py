"""`crewdesk run` on a CrewAI Flow (a ``crewai create flow`` project, or a script with a Flow).

The flow's events (`engine.events.FlowStarted` ...) come from the engine's bus like its crews'
events: `FlowPrinter` prints a line as each step starts and ends, and names the step each crew
runs for (``>> step write: crew "Writers" started``); the crews' own output is printed by the
project printer (`_cli_bus_printer.BusPrinter`), ``[n]``-prefixed when several crews run at once.
A failed flow is one ``error:`` line naming the step, and exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.engine.events import FLOW_KINDS

if TYPE_CHECKING:
    from desktop_app._cli_bus_printer import BusPrinter
    from desktop_app.compat.projects import LoadedProject
    from desktop_app.engine.events import RunEvent

__all__ = ["FlowPrinter", "flow_report", "flow_script_with_inputs", "run_flow_project"]

RESULT_SHOWN = 160


class FlowPrinter:
    """Prints flow events and hands every other event to the project's `BusPrinter`.

    Attributes:
        failed: Whether a flow failed or was cancelled.
        steps: The step each crew run (by run id) was kicked off in.
    """

    def __init__(self, inner: BusPrinter) -> None:
        self.inner = inner
        self.failed = False
        self.steps: dict[str, str] = {}
        self.flows: dict[str, dict[str, Any]] = {}

    def __call__(self, event: RunEvent) -> None:
        """Shows one event of any run (the bus's listener)."""
        if event.kind not in FLOW_KINDS:
            self.inner(event)
            return
        with self.inner.lock:
            self._keep(event)
            text = self._text(event)
            if text is not None:
                self._line(text)

    def _keep(self, event: Any) -> None:
        """Keeps how each flow run ended, for the report (`flow_report`)."""
        if event.kind == "flow_started":
            self.flows[event.run_id] = {"index": len(self.flows) + 1, "flow": event.flow_name,
                                        "inputs": event.inputs, "status": "running"}
            return
        kept = self.flows.get(event.run_id)
        if kept is None or event.kind not in ("flow_finished", "flow_failed", "flow_cancelled"):
            return
        kept["status"] = {"flow_finished": "succeeded", "flow_failed": "failed"}.get(
            event.kind, "cancelled")
        kept["usage"] = event.usage.model_dump(mode="json")
        if event.kind == "flow_finished":
            kept.update(result=event.result, state=event.state)
        elif event.kind == "flow_failed":
            kept.update(error=event.error, step=event.method)

    def _text(self, event: Any) -> str | None:
        kind = event.kind
        if kind == "flow_started":
            return f">> flow {event.flow_name} started (state id {event.state_id})"
        if kind == "flow_method_started":
            return f">> step {event.method} started"
        if kind == "flow_crew_started":
            self.steps[event.crew_run_id] = event.method
            number = self.inner.number(event.crew_run_id)
            tag = f" [{number}]" if self.inner.printer.prefixed else ""
            return f">> step {event.method}: crew {event.crew_name!r} started{tag}"
        if kind == "flow_method_finished":
            shown = " ".join(event.result.split())
            shown = shown if len(shown) <= RESULT_SHOWN else shown[:RESULT_SHOWN - 3] + "..."
            return f">> step {event.method} finished" + (f": {shown}" if shown else "")
        if kind == "flow_method_failed":
            return f">> step {event.method} failed: {event.error_type}"
        if kind == "flow_finished":
            tokens = event.usage.total_tokens
            return f">> flow {event.flow_name} finished ({tokens} tokens)"
        self.failed = True
        where = f" in step {event.method!r}" if getattr(event, "method", None) else ""
        message = (f"flow {event.flow_name} failed{where}: {' '.join(event.error.split())}"
                   if kind == "flow_failed" else f"flow {event.flow_name} was cancelled")
        self.inner.err.write(f"error: {message}\n")
        self.inner.err.flush()
        return None

    def _line(self, text: str) -> None:
        printer = self.inner.printer
        if printer.quiet:
            return
        for index in sorted(self.inner._active):  # noqa: SLF001 - same-package printer state
            printer.flush(index)
        printer.out.write(text + "\n")
        printer.out.flush()


def flow_script_with_inputs(args: argparse.Namespace, project: LoadedProject) -> bool:
    """Whether a script or notebook given ``--inputs``/``--inputs-file`` defines a Flow: its
    Flow class is kicked off with them (rather than a crew of it)."""
    from desktop_app.compat._project_flow import defines_flow

    given = args.inputs is not None or args.inputs_file is not None
    program = getattr(project, "_program", None)
    return given and program is not None and defines_flow(program.source)


def flow_inputs(args: argparse.Namespace) -> list[dict[str, Any] | None]:
    """The inputs of each run of the flow: ``--inputs``, each line of ``--inputs-file``, or
    one run with none (the project's own ``kickoff()``)."""
    from desktop_app._cli_errors import UsageError
    from desktop_app._cli_inputs import parse_json_object, read_inputs_file

    if args.input_set is not None:
        raise UsageError("--input-set is for .crew.yaml files; give a flow's values with "
                         "--inputs or --inputs-file")
    if args.inputs is not None:
        return [parse_json_object(args.inputs, "--inputs")]
    if args.inputs_file is not None:
        return list(read_inputs_file(args.inputs_file))
    return [None]


def run_flow_project(args: argparse.Namespace, project: LoadedProject, bus_printer: BusPrinter,
                     out: TextIO, err: TextIO) -> int:
    """Runs a Flow project once per input set, printing its steps and crews; the exit code.

    Raises:
        UsageError: A mistake in the command line.
    """
    from desktop_app._cli_bus_printer import ProjectOutput
    from desktop_app._cli_errors import EXIT_FAILED, EXIT_OK
    from desktop_app.compat.projects import ProjectError
    from desktop_app.engine import bus

    batch = flow_inputs(args)
    printer = FlowPrinter(bus_printer)
    unsubscribe = bus.subscribe(printer)
    failed = False
    try:
        for inputs in batch:
            try:
                with contextlib.redirect_stdout(ProjectOutput(bus_printer)):
                    project.run_flow(inputs)
            except ProjectError as exc:
                failed = True
                if not printer.failed:  # a flow_failed line already named the step
                    err.write(f"error: {exc}\n")
            except SystemExit as exc:
                failed = failed or exc.code not in (None, 0)
    finally:
        unsubscribe()
        bus_printer.terminal.end_line()
    flow_report(list(printer.flows.values()), args.output, out)
    crews_failed = any(result.error is not None for result in bus_printer.results)
    return EXIT_FAILED if failed or printer.failed or crews_failed else EXIT_OK


def flow_report(flows: list[dict[str, Any]], output: str | None, out: TextIO) -> None:
    """Each flow run's result (its last step's value), as ``crewdesk run`` reports crews:
    JSON to ``--output`` (``-``: stdout only), else ``=== final output ===`` blocks."""
    import json
    from pathlib import Path

    from desktop_app.engine import mask_secrets

    data = mask_secrets(json.dumps(flows, indent=2, default=str))
    if output == "-":
        out.write(data + "\n")
        return
    if output is not None:
        from desktop_app.documents.crewdesk_file import atomic_write_text

        atomic_write_text(Path(output), data + "\n")
    for flow in flows:
        title = f"[{flow['index']}] " if len(flows) > 1 else ""
        if flow["status"] == "succeeded":
            out.write(mask_secrets(f"\n=== {title}final output ===\n{flow['result']}\n"))
        else:
            reason = flow.get("error") or flow["status"]
            out.write(mask_secrets(f"\n=== {title}failed ===\n{reason}\n"))
