"""``crewdesk trace RUN_ID [--otlp] [-o FILE]``: a run's trace from the history, as JSON.

The history is the app's (under ``$CREWDESK_HOME`` or the platform's folder), which
``crewdesk run`` records in too. Without ``--otlp`` the output is CrewDesk's own trace JSON
(every span with its detail: an LLM call's exact messages and answer, keys masked); with
``--otlp`` it is OpenTelemetry OTLP JSON (GenAI semantic conventions), which an OTLP/HTTP
collector, Langfuse, Phoenix or Jaeger read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from desktop_app.storage.history import HistoryDB, RunRecord

__all__ = ["trace_main", "trace_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class TraceUsageError(Exception):
    """The run is unknown or ambiguous, or there is no history: its text is shown."""


def trace_parser() -> argparse.ArgumentParser:
    """The parser of ``crewdesk trace``."""
    parser = argparse.ArgumentParser(
        prog="crewdesk trace",
        description="Print a run's trace (every LLM call, tool call, approval, guardrail "
        "check, delegation, memory recall and human input) from the history, as JSON.",
    )
    parser.add_argument("run_id", metavar="RUN_ID", help="the run's id (History shows it)")
    parser.add_argument("--otlp", action="store_true",
                        help="OpenTelemetry OTLP JSON (for Langfuse, Phoenix, Jaeger...)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    return parser


def trace_main(
    argv: list[str], out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Runs ``crewdesk trace``; returns the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    args = trace_parser().parse_args(argv)
    try:
        document = _trace_document(args.run_id, otlp=args.otlp)
    except TraceUsageError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if args.output is None:
        out.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        err.write(f"error: cannot write {args.output}: {exc.strerror or exc}\n")
        return EXIT_FAILED
    err.write(f"wrote the trace of run {document_run_id(document)} to {args.output}\n")
    return EXIT_OK


def document_run_id(document: dict[str, object]) -> str:
    """The run id a trace document names (either format)."""
    if "run_id" in document:
        return str(document["run_id"])
    resource = document["resourceSpans"][0]["resource"]  # type: ignore[index]
    found = [a for a in resource["attributes"] if a["key"] == "crewdesk.run.id"]
    return str(found[0]["value"]["stringValue"]) if found else "?"


def _trace_document(run_id: str, *, otlp: bool) -> dict[str, object]:
    from desktop_app.storage.history import HistoryDB
    from desktop_app.storage.paths import AppPaths
    from desktop_app.storage.trace_export import trace_as_json, trace_as_otlp

    path = AppPaths.from_env().history_db
    if not path.is_file():
        raise TraceUsageError(f"no run {run_id}: there is no history yet ({path})")
    with HistoryDB(path) as db:
        record = _find_run(db, run_id, path)
        spans = db.trace(record.run_id)
    if not spans:
        raise TraceUsageError(
            f"run {record.run_id} has no trace (it was recorded before traces were kept, or "
            "made no call)"
        )
    if otlp:
        from desktop_app import __version__

        return trace_as_otlp(record.run_id, spans, crew_name=record.crew_name, version=__version__)
    return trace_as_json(record.run_id, spans, crew_name=record.crew_name)


def _find_run(db: HistoryDB, run_id: str, path: Path) -> RunRecord:
    record = db.get_run(run_id)
    if record is None:
        raise TraceUsageError(f"no run {run_id} in the history ({path})")
    return record
