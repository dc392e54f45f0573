"""CrewDesk's own file format: one readable YAML file per crew (``*.crew.yaml``).

The file is the document as YAML: ``schema_version``, ``name``, ``process``, ``settings``,
``agents``, ``tasks`` and ``input_sets``, with multi-line text as literal blocks. Unknown fields
are refused (a typo is named, with its line); older versions are migrated on load. Writes are
atomic: a temporary file in the same folder replaces the old one, so a crash never leaves half
a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from desktop_app.documents._locate import Origin, SourceMap
from desktop_app.documents._yaml import dump_yaml, load_yaml
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.loaded import LoadedCrew, checked
from desktop_app.documents.migrations import SchemaVersionError, migrate
from desktop_app.documents.model import CURRENT_SCHEMA_VERSION, CrewDocument

CREW_FILE_SUFFIX = ".crew.yaml"
"""The ending of CrewDesk crew files."""

_HEADER = (
    "# A CrewDesk crew. Tasks name their agent by key; {placeholders} in the texts are\n"
    "# filled from an input set when the crew runs.\n"
)


def open_crew_file(path: Path | str) -> LoadedCrew:
    """Reads and checks a CrewDesk crew file.

    Args:
        path: The ``.crew.yaml`` file.

    Returns:
        The document, with where its parts are in the file.

    Raises:
        CrewFileError: The file is missing, not YAML, has an old version with no migration,
            a wrong or missing field, or a broken reference; each problem names its line.
    """
    path = Path(path)
    data, index = load_yaml(path)
    source = SourceMap(Origin(path, index))
    if not isinstance(data, dict):
        raise CrewFileError(
            "a crew file must be a mapping of fields (schema_version, name, agents, tasks ...)",
            path=path,
            line=index.line_of(()),
        )
    try:
        data = migrate(data)
    except SchemaVersionError as exc:
        raise source.error([(("schema_version",), str(exc))]) from None
    try:
        document = CrewDocument.model_validate(data)
    except ValidationError as exc:
        raise source.validation_error(exc) from None
    return checked(document, source)


def load_crew(path: Path | str) -> CrewDocument:
    """Reads and checks a CrewDesk crew file; see `open_crew_file`."""
    return open_crew_file(path).document


def dumps_crew(document: CrewDocument) -> str:
    """The text of a crew file for ``document``."""
    body = document.model_dump(mode="python", exclude_defaults=True)
    data: dict[str, Any] = {"schema_version": CURRENT_SCHEMA_VERSION, "name": document.name}
    for name in CrewDocument.model_fields:
        if name in body and name not in data:
            data[name] = body[name]
        elif name == "process":
            data[name] = document.process
    return _HEADER + dump_yaml(data)


def save_crew(document: CrewDocument, path: Path | str) -> None:
    """Writes a document as a crew file, atomically.

    Args:
        document: The crew; it must have no problems, so that the file opens again.
        path: Where to write (by convention ending in ``.crew.yaml``).

    Raises:
        CrewFileError: The document has problems, or the file cannot be written.
    """
    path = Path(path)
    issues = document.problems()
    if issues:
        raise SourceMap(Origin(path)).error((issue.loc, issue.message) for issue in issues)
    atomic_write_text(path, dumps_crew(document))


def atomic_write_text(path: Path, text: str) -> None:
    """Writes text to a temporary file beside ``path``, then renames it over ``path``.

    Raises:
        CrewFileError: The folder is missing or not writable.
    """
    try:
        descriptor, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise CrewFileError(f"cannot write: {exc.strerror or exc}", path=path) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, _mode_for(path))
        os.replace(temp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise CrewFileError(f"cannot write: {exc.strerror or exc}", path=path) from None


def _mode_for(path: Path) -> int:
    """The permissions of the file being replaced, or rw-r--r-- for a new one."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644
