"""The dashboard's inputs of each crew, remembered between sessions.

What a person typed for a crew (its inputs form) and its for-each rows are kept in
``dashboard_inputs.json`` in the data folder, so that the app opened again shows the last
values per crew. The file is versioned (`schema_version`), written atomically (a temporary
file, then `os.replace`), and an unreadable one is moved aside to ``.bad`` and forgotten
(with a warning in the log), never fatal.

No key is ever written: an input whose name says it holds a secret (``api_key``,
``token``, ``password`` ...), a value that holds a key the app knows (`mask_secrets`), or a
value shaped like a provider's key (``sk-...``) is left out, in the form and in every
for-each row. The person types those again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from desktop_app.engine import mask_secrets
from desktop_app.storage.paths import AppPaths, ensure_dir

__all__ = ["FILE_NAME", "SCHEMA_VERSION", "CrewInputs", "DashboardInputsStore", "SavedInputs",
           "without_secrets"]

log = logging.getLogger(__name__)

FILE_NAME = "dashboard_inputs.json"
SCHEMA_VERSION = 1
MAX_ROWS = 1000
"""For-each rows kept per crew; a larger table (a loaded JSONL file) is not remembered whole."""

_SECRET_NAME = re.compile(r"(api[_-]?key|secret|token|passw(or)?d|credential|bearer)", re.I)
_KEY_SHAPE = re.compile(r"\b(sk|rk|pk|gsk|xai|hf|ghp|gho|AIza)[-_][A-Za-z0-9_\-]{16,}")


class CrewInputs(BaseModel):
    """What was typed for one crew.

    Attributes:
        values: The inputs form's values, by placeholder.
        rows: The for-each table's rows.
    """

    values: dict[str, Any] = Field(default_factory=dict)
    rows: list[dict[str, Any]] = Field(default_factory=list)


class SavedInputs(BaseModel):
    """The file: the inputs of every crew, by crew id.

    Attributes:
        schema_version: Layout version of the file.
        crews: What was typed, by crew id.
    """

    schema_version: int = SCHEMA_VERSION
    crews: dict[str, CrewInputs] = Field(default_factory=dict)


def _holds_secret(name: str, value: Any) -> bool:
    if _SECRET_NAME.search(name):
        return True
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return bool(_KEY_SHAPE.search(text)) or mask_secrets(text) != text


def without_secrets(values: dict[str, Any]) -> dict[str, Any]:
    """`values` without the inputs that hold (or are named for) a key."""
    return {name: value for name, value in values.items() if not _holds_secret(name, value)}


class DashboardInputsStore:
    """Reads and writes ``dashboard_inputs.json`` (blocking; `aload`/`asave` run off the loop)."""

    def __init__(self, paths: AppPaths) -> None:
        """Keeps the file's place; does no I/O.

        Args:
            paths: The folders of this installation (the file goes in `data_dir`).
        """
        self.path = paths.data_dir / FILE_NAME

    def load(self) -> SavedInputs:
        """The saved inputs; none when the file is missing or unreadable (moved to .bad)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return SavedInputs()
        except OSError as exc:
            log.warning("cannot read %s: %s", self.path, exc)
            return SavedInputs()
        try:
            saved = SavedInputs.model_validate(json.loads(text))
        except (ValueError, ValidationError) as exc:
            log.warning("%s is unreadable (%s); moved to %s.bad", self.path, exc, self.path.name)
            with contextlib.suppress(OSError):
                os.replace(self.path, self.path.with_name(self.path.name + ".bad"))
            return SavedInputs()
        return SavedInputs(crews={crew_id: _clean(inputs) for crew_id, inputs
                                  in saved.crews.items()})

    def save(self, saved: SavedInputs) -> None:
        """Writes `saved` (without secrets) atomically, private to the user."""
        crews = {crew_id: _clean(inputs) for crew_id, inputs in saved.crews.items()}
        text = SavedInputs(crews=crews).model_dump_json(indent=1)
        ensure_dir(self.path.parent)
        fd, name = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    async def aload(self) -> SavedInputs:
        """`load`, in a worker thread."""
        return await asyncio.to_thread(self.load)

    async def asave(self, saved: SavedInputs) -> None:
        """`save`, in a worker thread."""
        await asyncio.to_thread(self.save, saved)


def _clean(inputs: CrewInputs) -> CrewInputs:
    rows = [row for row in (without_secrets(row) for row in inputs.rows[:MAX_ROWS]) if row]
    return CrewInputs(values=without_secrets(inputs.values), rows=rows)
