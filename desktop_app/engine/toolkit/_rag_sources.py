"""The knowledge sources behind the RAG tools: files by format, folders, web pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from desktop_app.engine.builtin_tools import FetchUrlTool
from desktop_app.engine.knowledge._sources import (
    BaseFileKnowledgeSource,
    BaseKnowledgeSource,
    CSVKnowledgeSource,
    JSONKnowledgeSource,
    MarkdownKnowledgeSource,
    PDFKnowledgeSource,
    SourceUnit,
    TextFileKnowledgeSource,
)

__all__ = ["DirectorySource", "PageSource", "fetch_page_text", "source_for_file"]

MAX_FOLDER_FILES = 2000
"""Files of a folder indexed at most (a whole home folder would take hours)."""

PAGE_CHARS = 2_000_000
"""Characters of a web page's text indexed at most."""

_BY_SUFFIX: dict[str, type[BaseFileKnowledgeSource]] = {
    ".csv": CSVKnowledgeSource,
    ".json": JSONKnowledgeSource,
    ".md": MarkdownKnowledgeSource,
    ".mdx": MarkdownKnowledgeSource,
    ".pdf": PDFKnowledgeSource,
}


def source_for_file(
    path: Path, chunk_size: int, chunk_overlap: int,
    kind: type[BaseFileKnowledgeSource] | None = None,
) -> BaseKnowledgeSource:
    """The source of a file (by `kind`, else by its suffix; text otherwise) or a folder."""
    if path.is_dir():
        return DirectorySource(directory=path, chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    chosen = kind or _BY_SUFFIX.get(path.suffix.lower(), TextFileKnowledgeSource)
    return chosen(file_paths=[path], chunk_size=chunk_size, chunk_overlap=chunk_overlap)


class DirectorySource(BaseKnowledgeSource):
    """Every file under a folder (hidden ones left out), each read by its format; files
    that cannot be read as text are skipped.

    Attributes:
        directory: The folder.
    """

    directory: Path

    def units(self) -> list[SourceUnit]:
        """One unit per file, found when the index is planned (on the store's thread)."""
        units: list[SourceUnit] = []
        for path in sorted(self.directory.rglob("*")):
            relative = path.relative_to(self.directory).parts
            if not path.is_file() or any(part.startswith(".") for part in relative):
                continue
            if len(units) == MAX_FOLDER_FILES:
                break
            source = source_for_file(path, self.chunk_size, self.chunk_overlap)
            for unit in source.units():
                units.append(SourceUnit(unit.key, unit.label, unit.stamp, _lenient(unit.load)))
        return units


def _lenient(load: Callable[[], list[str]]) -> Callable[[], list[str]]:
    """`load`, giving no chunks for a file that is not text in its format."""

    def load_or_skip() -> list[str]:
        try:
            return load()
        except (UnicodeDecodeError, ValueError):
            return []

    return load_or_skip


class PageSource(BaseKnowledgeSource):
    """A web page's text, fetched before indexing.

    Attributes:
        url: The page's address (its identity in the store).
        text: The page's readable text.
    """

    url: str
    text: str

    def units(self) -> list[SourceUnit]:
        """One unit: the page; re-indexed when its text changed."""
        digest = hashlib.sha256(self.text.encode()).hexdigest()
        return [
            SourceUnit(
                self._key(f"url:{self.url}"), self.url, lambda: digest,
                lambda: self.chunks_of(self.text),
            )
        ]


async def fetch_page_text(url: str) -> str:
    """The readable text of the page at `url` (httpx's async client; HTML stripped).

    Raises:
        httpx.HTTPError: The page cannot be fetched.
    """
    return str(await FetchUrlTool(max_chars=PAGE_CHARS).arun(website_url=url))
