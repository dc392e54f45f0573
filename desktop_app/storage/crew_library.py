"""The user's crews as `.crew.yaml` files, the bundled examples, and recovery copies.

* The user's crews live in `paths.data_dir / "crews"`, one `<id>.crew.yaml` file each; the id
  is the file name without its ending.
* The examples shipped with CrewDesk live in `resources/examples/` (beside the package in a
  source checkout or wheel, under `sys._MEIPASS` in a PyInstaller build). They are read-only:
  their ids start with `example:`, and saving one means saving a copy.
* Recovery copies of unsaved edits live in `paths.recovery_dir`, one JSON file per crew id
  (or per draft id for a crew never saved). They hold the document as it was, problems and all,
  so that nothing typed is lost when the app closes or crashes.

No Qt here. The methods block on files: callers on the event loop use the `a*` wrappers, which
run them in a worker thread.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import yaml
from pydantic import ValidationError

from desktop_app.documents import crewai_project, rebase_knowledge
from desktop_app.documents.crewdesk_file import (
    CREW_FILE_SUFFIX,
    atomic_write_text,
    load_crew,
    save_crew,
)
from desktop_app.documents.errors import CrewFileError
from desktop_app.documents.model import CrewDocument
from desktop_app.storage.paths import AppPaths, ensure_dir

__all__ = [
    "DRAFT_PREFIX",
    "EXAMPLE_PREFIX",
    "CrewEntry",
    "CrewLibrary",
    "ReadOnlyCrewError",
    "RecoveryEntry",
    "bundled_examples_dir",
]

EXAMPLE_PREFIX = "example:"
"""Ids of the bundled, read-only examples start with this."""

DRAFT_PREFIX = "draft:"
"""Ids of crews never saved (used only for their recovery copies) start with this."""

_RECOVERY_SUFFIX = ".recovery.json"
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SLUG_RE = re.compile(r"[^a-z0-9]+")


class ReadOnlyCrewError(ValueError):
    """An attempt to change a bundled example, which is read-only."""


@dataclass(frozen=True, slots=True)
class CrewEntry:
    """One crew of the library.

    Attributes:
        id: Stable identifier: the file's stem ("market_research"), or "example:<stem>".
        name: The crew's name as written in its file (the stem when the file is unreadable).
        path: Its file.
        is_example: True for the read-only bundled examples.
    """

    id: str
    name: str
    path: Path
    is_example: bool


@dataclass(frozen=True, slots=True)
class RecoveryEntry:
    """A recovery copy of unsaved edits.

    Attributes:
        id: The crew id it belongs to (a `draft:` id for a crew never saved).
        document: The document as it was when last edited; it may have problems.
        saved_at: When it was written (seconds since the epoch).
        path: The recovery file.
    """

    id: str
    document: CrewDocument
    saved_at: float
    path: Path


def bundled_examples_dir() -> Path:
    """The folder of the example crews shipped with CrewDesk.

    In a PyInstaller build it is `resources/examples` under the bundle (`sys._MEIPASS`); else
    the `resources/examples` folder beside the `desktop_app` package.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources" / "examples"
    package = Path(__file__).resolve().parent.parent
    return package.parent / "resources" / "examples"


def new_draft_id() -> str:
    """A fresh id for the recovery copy of a crew that has not been saved yet."""
    return DRAFT_PREFIX + uuid.uuid4().hex[:12]


def slugify(name: str) -> str:
    """A file-name-safe id made from a crew's name ("My Crew!" -> "my_crew")."""
    slug = _SLUG_RE.sub("_", name.lower()).strip("_")
    return slug[:60] or "crew"


class CrewLibrary:
    """The crews the user can open: their own and the examples, plus recovery copies.

    Attributes:
        crews_dir: Where the user's crew files are.
        examples_dir: Where the read-only examples are.
        recovery_dir: Where recovery copies of unsaved edits are.
    """

    def __init__(self, paths: AppPaths, *, examples_dir: Path | None = None) -> None:
        """Creates a library; no folder is created before the first save.

        Args:
            paths: The folders of this installation.
            examples_dir: The examples folder; `bundled_examples_dir()` when None.
        """
        self.crews_dir = paths.data_dir / "crews"
        self.examples_dir = bundled_examples_dir() if examples_dir is None else examples_dir
        self.recovery_dir = paths.recovery_dir
        self._lock = threading.Lock()

    # -- crews -------------------------------------------------------------------------

    def list(self) -> builtins.list[CrewEntry]:
        """The user's crews by name, then the examples by name."""
        own = [self._entry(path, False) for path in _crew_files(self.crews_dir)]
        examples = [self._entry(path, True) for path in _crew_files(self.examples_dir)]
        return sorted(own, key=_by_name) + sorted(examples, key=_by_name)

    def is_example(self, crew_id: str) -> bool:
        """Tells whether `crew_id` names a read-only example."""
        return crew_id.startswith(EXAMPLE_PREFIX)

    def path_of(self, crew_id: str) -> Path:
        """The file of a crew (which may not exist yet).

        Raises:
            ValueError: The id cannot be a crew id (a path, a draft id ...).
        """
        if crew_id.startswith(EXAMPLE_PREFIX):
            stem = crew_id[len(EXAMPLE_PREFIX):]
            folder = self.examples_dir
        else:
            stem, folder = crew_id, self.crews_dir
        if not _ID_RE.fullmatch(stem):
            raise ValueError(f"not a crew id: {crew_id!r}")
        return folder / f"{stem}{CREW_FILE_SUFFIX}"

    def base_dir_of(self, crew_id: str | None) -> Path | None:
        """The folder a crew's relative knowledge paths start from (its file's folder).

        None for a crew never saved (None or a draft id), or an id that is not a crew's.
        """
        if crew_id is None or crew_id.startswith(DRAFT_PREFIX):
            return None
        try:
            return self.path_of(crew_id).parent
        except ValueError:
            return None

    def read_file(self, path: Path) -> CrewDocument:
        """Reads a `.crew.yaml` file from anywhere, to be saved into the library.

        Its relative knowledge paths are made absolute (from the file's folder), so that they
        still lead to the files once the crew lives among the user's crews.

        Raises:
            CrewFileError: The file is missing or has problems.
        """
        path = Path(path)
        return rebase_knowledge(load_crew(path), path.parent.resolve())

    def load(self, crew_id: str) -> CrewDocument:
        """Reads and checks a crew.

        Raises:
            CrewFileError: The file is missing or has problems (each names its line).
            ValueError: The id is malformed.
        """
        return load_crew(self.path_of(crew_id))

    def save(self, doc: CrewDocument, id: str | None = None) -> str:  # noqa: A002 - agreed name
        """Writes a crew atomically, as a new crew when `id` is None.

        Args:
            doc: The crew; it must have no problems.
            id: The crew to replace; None picks a new id from the crew's name.

        Returns:
            The crew's id.

        Raises:
            ReadOnlyCrewError: `id` is an example.
            CrewFileError: The document has problems, or the file cannot be written.
        """
        if id is not None and self.is_example(id):
            raise ReadOnlyCrewError("the examples are read-only: save a copy instead")
        ensure_dir(self.crews_dir)
        with self._lock:
            crew_id = self._new_id(doc.name) if id is None else id
            path = self.path_of(crew_id)
            if id is None:
                path.touch(exist_ok=False)  # reserve the name before the slow write
            try:
                save_crew(doc, path)
            except CrewFileError:
                if id is None:
                    path.unlink(missing_ok=True)
                raise
        return crew_id

    def delete(self, crew_id: str) -> None:
        """Removes a crew's file and its recovery copy.

        Raises:
            ReadOnlyCrewError: `crew_id` is an example.
        """
        if self.is_example(crew_id):
            raise ReadOnlyCrewError("the examples are read-only")
        self.path_of(crew_id).unlink(missing_ok=True)
        self.discard_recovery(crew_id)

    # -- CrewAI projects ---------------------------------------------------------------

    def import_crewai(self, path: Path) -> tuple[CrewDocument, builtins.list[str]]:
        """Reads a CrewAI project (folder or its agents/tasks YAML) as a crew document.

        Args:
            path: The project folder, or its `config` folder.

        Returns:
            The document (not saved yet; its knowledge paths made absolute, from the
            project's folder) and notices for the user, one per field kept but not used by
            CrewDesk.

        Raises:
            CrewFileError: The project cannot be read.
        """
        loaded = crewai_project.import_crewai(Path(path))
        document = rebase_knowledge(loaded.document, loaded.base_dir.resolve())
        return document, [str(notice) for notice in loaded.notices]

    def export_crewai(
        self, doc: CrewDocument, folder: Path, base_dir: Path | None = None
    ) -> Path:
        """Writes a crew as a CrewAI project (pyproject, src/<pkg>/config/agents.yaml ...).

        Args:
            doc: The crew; it must have no problems.
            folder: An empty or new folder for the project; when it already holds files, the
                project goes into a new subfolder named after the crew.
            base_dir: The folder its relative knowledge paths start from (`base_dir_of`);
                its knowledge files are copied into the project's `knowledge/` folder.

        Returns:
            The project folder written.

        Raises:
            CrewFileError: The document has problems, or the files cannot be written.
        """
        target = Path(folder)
        if target.is_dir() and any(target.iterdir()):
            base = target / slugify(doc.name)
            target, number = base, 2
            while target.exists():
                target, number = base.with_name(f"{base.name}_{number}"), number + 1
        # Knowledge files outside the crew's folder are not copied; the designer names them
        # (documents.knowledge_left_out) in what it says after the export.
        crewai_project.export_crewai_report(doc, target, base_dir=base_dir)
        return target

    # -- recovery copies ---------------------------------------------------------------

    def save_recovery(self, crew_id: str, doc: CrewDocument) -> Path:
        """Keeps a copy of unsaved edits, replacing the previous copy for this id.

        Args:
            crew_id: The crew's id, or a `draft:` id (`new_draft_id`) for a new crew.
            doc: The document as edited; it may have problems.

        Returns:
            The recovery file.
        """
        ensure_dir(self.recovery_dir)
        path = self._recovery_path(crew_id)
        payload = {
            "crew_id": crew_id,
            "saved_at": time.time(),
            "document": doc.model_dump(mode="json"),
        }
        atomic_write_text(path, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
        return path

    def list_recovery(self) -> builtins.list[RecoveryEntry]:
        """The recovery copies that can be read, newest first; unreadable ones are skipped."""
        if not self.recovery_dir.is_dir():
            return []
        entries = []
        for path in self.recovery_dir.glob(f"*{_RECOVERY_SUFFIX}"):
            entry = _read_recovery(path)
            if entry is not None:
                entries.append(entry)
        return sorted(entries, key=lambda entry: entry.saved_at, reverse=True)

    def discard_recovery(self, crew_id: str) -> None:
        """Removes the recovery copy of a crew, if there is one."""
        self._recovery_path(crew_id).unlink(missing_ok=True)

    # -- async wrappers ----------------------------------------------------------------

    async def alist(self) -> builtins.list[CrewEntry]:
        """`list` in a worker thread."""
        return await asyncio.to_thread(self.list)

    async def aload(self, crew_id: str) -> CrewDocument:
        """`load` in a worker thread."""
        return await asyncio.to_thread(self.load, crew_id)

    async def asave(self, doc: CrewDocument, id: str | None = None) -> str:  # noqa: A002
        """`save` in a worker thread."""
        return await asyncio.to_thread(self.save, doc, id)

    async def adelete(self, crew_id: str) -> None:
        """`delete` in a worker thread."""
        await asyncio.to_thread(self.delete, crew_id)

    async def asave_recovery(self, crew_id: str, doc: CrewDocument) -> Path:
        """`save_recovery` in a worker thread."""
        return await asyncio.to_thread(self.save_recovery, crew_id, doc)

    async def alist_recovery(self) -> builtins.list[RecoveryEntry]:
        """`list_recovery` in a worker thread."""
        return await asyncio.to_thread(self.list_recovery)

    async def adiscard_recovery(self, crew_id: str) -> None:
        """`discard_recovery` in a worker thread."""
        await asyncio.to_thread(self.discard_recovery, crew_id)

    # -- helpers -----------------------------------------------------------------------

    def _entry(self, path: Path, is_example: bool) -> CrewEntry:
        stem = path.name[: -len(CREW_FILE_SUFFIX)]
        crew_id = EXAMPLE_PREFIX + stem if is_example else stem
        return CrewEntry(crew_id, _name_in(path) or stem, path, is_example)

    def _new_id(self, name: str) -> str:
        base = slugify(name)
        candidate, number = base, 2
        while self.path_of(candidate).exists():
            candidate, number = f"{base}_{number}", number + 1
        return candidate

    def _recovery_path(self, crew_id: str) -> Path:
        if not crew_id:
            raise ValueError("a recovery copy needs a crew id")
        return self.recovery_dir / (quote(crew_id, safe="") + _RECOVERY_SUFFIX)


def _crew_files(folder: Path) -> builtins.list[Path]:
    if not folder.is_dir():
        return []
    return [
        path
        for path in folder.glob(f"*{CREW_FILE_SUFFIX}")
        if path.is_file() and _ID_RE.fullmatch(path.name[: -len(CREW_FILE_SUFFIX)])
    ]


def _by_name(entry: CrewEntry) -> tuple[str, str]:
    return entry.name.casefold(), entry.id


def _name_in(path: Path) -> str | None:
    """The `name` field of a crew file, read cheaply; None when the file is unreadable."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name.strip() or None if isinstance(name, str) else None


def _read_recovery(path: Path) -> RecoveryEntry | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        document = CrewDocument.model_validate(data["document"])
        crew_id = str(data.get("crew_id") or unquote(path.name[: -len(_RECOVERY_SUFFIX)]))
        saved_at = float(data.get("saved_at", path.stat().st_mtime))
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return None
    return RecoveryEntry(crew_id, document, saved_at, path)
