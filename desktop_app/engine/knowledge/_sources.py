"""Knowledge sources, as CrewAI's: strings, text, Markdown, CSV, JSON and PDF files.

A source is cut into `units` (one per string or file), each known by a stable `key` (what
it is and how it is chunked) and a quick `stamp` (a file's modification time and size), so
the index reads a file again only when its stamp changed, and re-indexes it only when its
content changed. Loading reads files: it is blocking, and runs on the store's worker thread.

Relative file paths are looked up in the working folder, then in `knowledge/` under it
(where CrewAI projects keep them).
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from desktop_app.engine.bounded_read import read_bytes_bounded, read_text_bounded
from desktop_app.engine.knowledge._chunking import chunk_text

KNOWLEDGE_FILE_LIMIT = 50_000_000
"""Largest knowledge file read (a big PDF); a larger one, or a special file, is refused."""

_HEADING = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SourceUnit:
    """One string or file of a source.

    Attributes:
        key: Stable identity: source type, path or content digest, chunking.
        label: Shown with its chunks (a file name, or "string").
        stamp: Changes when the unit may have changed (blocking to compute for files).
        load: Returns the unit's chunks (blocking).
    """

    key: str
    label: str
    stamp: Callable[[], str]
    load: Callable[[], list[str]]


class BaseKnowledgeSource(BaseModel, ABC):
    """What every knowledge source has.

    Attributes:
        chunk_size: Most characters in one chunk.
        chunk_overlap: Characters each chunk repeats from the one before.
        metadata: Kept with every chunk.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    chunk_size: int = Field(default=4000, ge=20)
    chunk_overlap: int = Field(default=200, ge=0)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_overlap(self) -> BaseKnowledgeSource:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @abstractmethod
    def units(self) -> list[SourceUnit]:
        """The strings or files of this source."""

    def chunks_of(self, text: str) -> list[str]:
        """`text` cut by this source's chunk settings."""
        return chunk_text(text, self.chunk_size, self.chunk_overlap)

    def _key(self, identity: str) -> str:
        basis = f"{type(self).__name__}\x1f{identity}\x1f{self.chunk_size}\x1f{self.chunk_overlap}"
        return hashlib.sha256(basis.encode()).hexdigest()[:24]


class StringKnowledgeSource(BaseKnowledgeSource):
    """Knowledge given as text in code."""

    content: str

    def units(self) -> list[SourceUnit]:
        """One unit: the string."""
        digest = hashlib.sha256(self.content.encode()).hexdigest()
        return [
            SourceUnit(
                self._key(f"string:{digest}"),
                "string",
                lambda: digest,
                lambda: self.chunks_of(self.content),
            )
        ]


class BaseFileKnowledgeSource(BaseKnowledgeSource):
    """A source made of files; subclasses turn a file's bytes into chunks.

    Attributes:
        file_paths: The files (CrewAI's `file_path` is accepted too).
        encoding: How text files are decoded.
    """

    file_paths: list[Path] = Field(default_factory=list)
    encoding: str = "utf-8"

    @model_validator(mode="before")
    @classmethod
    def _single_path(cls, data: Any) -> Any:
        if isinstance(data, dict) and "file_path" in data:
            data = dict(data)
            single = data.pop("file_path")
            paths = list(data.get("file_paths") or [])
            data["file_paths"] = paths + (single if isinstance(single, list) else [single])
        return data

    @field_validator("file_paths")
    @classmethod
    def _some_files(cls, paths: list[Path]) -> list[Path]:
        if not paths:
            raise ValueError("give at least one file in file_paths")
        return paths

    def units(self) -> list[SourceUnit]:
        """One unit per file."""
        return [self._unit(resolve_path(path)) for path in self.file_paths]

    def _unit(self, path: Path) -> SourceUnit:
        def stamp() -> str:
            try:
                info = path.stat()
            except FileNotFoundError:
                raise FileNotFoundError(
                    f"{type(self).__name__}: the file {path} does not exist"
                ) from None
            return f"{info.st_mtime_ns}:{info.st_size}"

        return SourceUnit(
            self._key(f"file:{path}"), path.name, stamp, lambda: self.chunks_from_file(path)
        )

    def _read_text(self, path: Path) -> str:
        """The text of one file, through the bounded reader (blocking).

        Raises:
            UnsafeFileError: It is a special file (FIFO, device) or over
                `KNOWLEDGE_FILE_LIMIT`.
        """
        return read_text_bounded(path, limit=KNOWLEDGE_FILE_LIMIT, what="knowledge file",
                                 encoding=self.encoding)

    def chunks_from_file(self, path: Path) -> list[str]:
        """The chunks of one file (blocking)."""
        return self.chunks_of(self._read_text(path))


class TextFileKnowledgeSource(BaseFileKnowledgeSource):
    """Plain text files."""


class MarkdownKnowledgeSource(BaseFileKnowledgeSource):
    """Markdown files, chunked section by section (a chunk never spans two headings)."""

    def chunks_from_file(self, path: Path) -> list[str]:
        """The chunks of each section, in order."""
        text = self._read_text(path)
        starts = [match.start() for match in _HEADING.finditer(text)]
        bounds = [0, *[s for s in starts if s > 0], len(text)]
        chunks: list[str] = []
        for start, end in zip(bounds, bounds[1:], strict=False):
            chunks.extend(self.chunks_of(text[start:end].strip()))
        return chunks


class CSVKnowledgeSource(BaseFileKnowledgeSource):
    """CSV files with a header row: each row becomes a line "column: value, ...".

    Attributes:
        delimiter: The field separator.
    """

    delimiter: str = ","

    def chunks_from_file(self, path: Path) -> list[str]:
        """Rows as lines, chunked."""
        import csv
        import io

        text = self._read_text(path)
        reader = csv.DictReader(io.StringIO(text), delimiter=self.delimiter)
        lines = [
            ", ".join(f"{column}: {value}" for column, value in row.items() if column)
            for row in reader
        ]
        return self.chunks_of("\n".join(lines))


class JSONKnowledgeSource(BaseFileKnowledgeSource):
    """JSON files: each value becomes a line "path.to.key: value"."""

    def chunks_from_file(self, path: Path) -> list[str]:
        """Flattened values, chunked."""
        try:
            data = json.loads(self._read_text(path))
        except (RecursionError, MemoryError):
            raise ValueError(f"{path}: not JSON this source can read: nested too deeply") from None
        return self.chunks_of("\n".join(_flatten(data, "")))


class PDFKnowledgeSource(BaseFileKnowledgeSource):
    """PDF files, read with pypdf (pure Python): the text of each page, chunked."""

    def chunks_from_file(self, path: Path) -> list[str]:
        """Page texts, chunked."""
        import io

        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(read_knowledge_bytes(path)))
        pages = [page.extract_text() or "" for page in reader.pages]
        return self.chunks_of("\n\n".join(page.strip() for page in pages if page.strip()))


def read_knowledge_bytes(path: Path) -> bytes:
    """The bytes of a knowledge file, through the bounded reader (blocking)."""
    return read_bytes_bounded(path, limit=KNOWLEDGE_FILE_LIMIT, what="knowledge file")


def resolve_path(path: Path) -> Path:
    """`path` as given when it exists or is absolute, else under `knowledge/` if it is there."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    candidate = Path("knowledge") / path
    return candidate.resolve() if candidate.exists() else path.resolve()


def _flatten(value: Any, prefix: str) -> list[str]:
    if isinstance(value, dict):
        lines: list[str] = []
        for key, item in value.items():
            lines.extend(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return lines
    if isinstance(value, list):
        lines = []
        for index, item in enumerate(value):
            lines.extend(_flatten(item, f"{prefix}[{index}]"))
        return lines
    return [f"{prefix}: {value}" if prefix else str(value)]
