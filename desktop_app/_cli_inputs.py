"""The inputs of ``crewdesk run``'s runs, read from the command line.

``--inputs JSON`` gives one run, ``--inputs-file FILE.jsonl`` one run per line (a batch), and
``--input-set NAME`` one of the crew file's own sets; given values are laid over the crew's
first input set. A value that cannot be read is a `UsageError` naming the file and line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app._cli_errors import UsageError

if TYPE_CHECKING:
    from desktop_app.documents import CrewDocument

__all__ = ["parse_json_object", "read_inputs_file", "resolve_inputs"]


def parse_json_object(text: str, where: str) -> dict[str, Any]:
    """Reads ``text`` as one JSON object.

    Args:
        text: The JSON text.
        where: Where it comes from (``--inputs``, ``FILE:LINE``), to name it in the error.

    Raises:
        UsageError: The text is not JSON, or not an object.
    """
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
    batch = [parse_json_object(line, f"{path}:{number}")
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
        return [{**defaults, **parse_json_object(args.inputs, "--inputs")}]
    if args.inputs_file is not None:
        return [{**defaults, **values} for values in read_inputs_file(args.inputs_file)]
    if args.input_set is not None:
        for input_set in document.input_sets:
            if input_set.name == args.input_set:
                return [dict(input_set.values)]
        names = ", ".join(item.name for item in document.input_sets) or "none"
        raise UsageError(f"the crew has no input set '{args.input_set}' (it has: {names})")
    return [defaults]
