"""CrewAI's RAG search tools, on the engine's knowledge store (see `_rag.py`).

Each is made with its source fixed (`CSVSearchTool(csv="data.csv")`: the model gives only
the query) or without one (the model gives the path, address or folder with the query), as
in crewai-tools 1.15; names, descriptions and argument schemas are CrewAI's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from desktop_app.engine.approval import ApprovalRequest
from desktop_app.engine.knowledge._sources import (
    BaseFileKnowledgeSource,
    BaseKnowledgeSource,
    CSVKnowledgeSource,
    JSONKnowledgeSource,
    MarkdownKnowledgeSource,
    PDFKnowledgeSource,
    TextFileKnowledgeSource,
)
from desktop_app.engine.toolkit._rag import CHUNK_OVERLAP, CHUNK_SIZE, RagTool
from desktop_app.engine.toolkit._rag_sources import source_for_file

__all__ = [
    "CSVSearchTool",
    "DirectorySearchTool",
    "JSONSearchTool",
    "MDXSearchTool",
    "PDFSearchTool",
    "TXTSearchTool",
    "WebsiteSearchTool",
]


class _SearchTool(RagTool):
    """A RAG tool over one kind of source, named by `ref_arg`."""

    ref_arg: ClassVar[str]
    query_arg: ClassVar[str] = "search_query"
    fixed_schema: ClassVar[type[BaseModel]]
    fixed_description: ClassVar[str]
    file_kind: ClassVar[type[BaseFileKnowledgeSource] | None] = None

    def _fix(self, ref: str | None) -> None:
        """With a source given in code: add it; the model then gives only the query."""
        if ref is None:
            return
        self.add(ref)
        self.description = self.fixed_description.format(ref=ref)
        self.args_schema = self.fixed_schema

    def source_for(self, path: Path) -> BaseKnowledgeSource:
        """The file in this tool's format (a folder: each file in its own)."""
        return source_for_file(path, CHUNK_SIZE, CHUNK_OVERLAP, self.file_kind)

    def approval_request(
        self, arguments: dict[str, Any], workspace: Path
    ) -> ApprovalRequest | None:
        """A web address the model names (not one the tool has already) asks first: kind
        "network". Local paths stay inside the workspace, without asking."""
        ref = str(arguments.get(self.ref_arg) or "")
        if not ref.startswith(("http://", "https://")) or ref in self._pages:
            return None
        query = str(arguments.get(self.query_arg) or "")
        return ApprovalRequest(
            kind="network", tool_name=self.name, summary=f"GET {ref}",
            detail=f"GET {ref}\nto search its text for {query!r}", target=ref,
        )

    async def _arun(self, **kwargs: Any) -> str:
        ref = kwargs.get(self.ref_arg)
        if ref:  # checks the path on the file system: off the loop
            await asyncio.to_thread(self.add_from_model, str(ref))
        query = str(kwargs.get(self.query_arg) or "").strip()
        if not query:
            raise ValueError(f"give what to search for as {self.query_arg}")
        return await self.search(query, kwargs.get("limit"))


def _schemas(
    subject: str, ref_arg: str, ref_text: str, query_arg: str = "search_query"
) -> tuple[type[BaseModel], type[BaseModel]]:
    """CrewAI's two argument schemas of a search tool: fixed source, and source given."""
    from pydantic import create_model

    query_text = (
        f"Mandatory search query you want to use to search the {subject}'s content"
        if query_arg == "search_query"
        else f"Mandatory query you want to use to search the {subject}'s content"
    )
    query_field: dict[str, Any] = {query_arg: (str, Field(..., description=query_text))}
    ref_field: dict[str, Any] = {ref_arg: (str, Field(..., description=ref_text))}
    fixed: type[BaseModel] = create_model(
        f"Fixed{subject}SearchToolSchema", __doc__=f"Input for {subject}SearchTool.",
        **query_field,
    )
    full: type[BaseModel] = create_model(
        f"{subject}SearchToolSchema", __base__=fixed,
        __doc__=f"Input for {subject}SearchTool.", **ref_field,
    )
    return fixed, full


_CSV = _schemas("CSV", "csv", "File path or URL of a CSV file to be searched")
_JSON = _schemas("JSON", "json_path", "File path or URL of a JSON file to be searched")
_MDX = _schemas("MDX", "mdx", "File path or URL of a MDX file to be searched")
_PDF = _schemas("PDF", "pdf", "File path or URL of a PDF file to be searched", "query")
_TXT = _schemas("txt", "txt", "File path or URL of a TXT file to be searched")


class CSVSearchTool(_SearchTool):
    """CrewAI's `CSVSearchTool`: search a CSV file's rows."""

    name: str = "Search a CSV's content"
    description: str = "A tool that can be used to semantic search a query from a CSV's content."
    args_schema: type[BaseModel] = _CSV[1]
    ref_arg = "csv"
    fixed_schema = _CSV[0]
    fixed_description = "A tool that can be used to semantic search a query the {ref} CSV's content."
    file_kind = CSVKnowledgeSource

    def __init__(self, csv: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `csv`, that file is the one searched."""
        super().__init__(**kwargs)
        self._fix(csv)


class JSONSearchTool(_SearchTool):
    """CrewAI's `JSONSearchTool`: search a JSON file's values."""

    name: str = "Search a JSON's content"
    description: str = (
        "A tool that can be used to semantic search a query from a JSON's content."
    )
    args_schema: type[BaseModel] = _JSON[1]
    ref_arg = "json_path"
    fixed_schema = _JSON[0]
    fixed_description = (
        "A tool that can be used to semantic search a query the {ref} JSON's content."
    )
    file_kind = JSONKnowledgeSource

    def __init__(self, json_path: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `json_path`, that file is the one searched."""
        super().__init__(**kwargs)
        self._fix(json_path)


class MDXSearchTool(_SearchTool):
    """CrewAI's `MDXSearchTool`: search a Markdown/MDX file, section by section."""

    name: str = "Search a MDX's content"
    description: str = "A tool that can be used to semantic search a query from a MDX's content."
    args_schema: type[BaseModel] = _MDX[1]
    ref_arg = "mdx"
    fixed_schema = _MDX[0]
    fixed_description = "A tool that can be used to semantic search a query the {ref} MDX's content."
    file_kind = MarkdownKnowledgeSource

    def __init__(self, mdx: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `mdx`, that file is the one searched."""
        super().__init__(**kwargs)
        self._fix(mdx)


class PDFSearchTool(_SearchTool):
    """CrewAI's `PDFSearchTool`: search a PDF's text (read with pypdf).

    Attributes:
        pdf: The file searched, when fixed in code.
    """

    name: str = "Search a PDF's content"
    description: str = "A tool that can be used to semantic search a query from a PDF's content."
    args_schema: type[BaseModel] = _PDF[1]
    pdf: str | None = None
    ref_arg = "pdf"
    query_arg = "query"
    fixed_schema = _PDF[0]
    fixed_description = "A tool that can be used to semantic search a query the {ref} PDF's content."
    file_kind = PDFKnowledgeSource

    def __init__(self, pdf: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `pdf`, that file is the one searched."""
        super().__init__(**{**kwargs, "pdf": pdf})
        self._fix(pdf)

    def check_address(self, url: str) -> None:
        """Refuses a PDF's web address: CrewDesk reads PDF files from disk only.

        Raises:
            ValueError: Always, saying to download the file first.
        """
        raise ValueError(
            f"PDFSearchTool reads PDF files on disk, not addresses: download {url} and give "
            "its path"
        )


class TXTSearchTool(_SearchTool):
    """CrewAI's `TXTSearchTool`: search a text file.

    Attributes:
        txt: The file searched, when fixed in code.
    """

    name: str = "Search a txt's content"
    description: str = "A tool that can be used to semantic search a query from a txt's content."
    args_schema: type[BaseModel] = _TXT[1]
    txt: str | None = None
    ref_arg = "txt"
    fixed_schema = _TXT[0]
    fixed_description = "A tool that can be used to semantic search a query the {ref} txt's content."
    file_kind = TextFileKnowledgeSource

    def __init__(self, txt: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `txt`, that file is the one searched."""
        super().__init__(**{**kwargs, "txt": txt})
        self._fix(txt)


class FixedDirectorySearchToolSchema(BaseModel):
    """Input for DirectorySearchTool."""

    search_query: str = Field(
        ...,
        description="Mandatory search query you want to use to search the directory's content",
    )


class DirectorySearchToolSchema(FixedDirectorySearchToolSchema):
    """Input for DirectorySearchTool."""

    directory: str = Field(..., description="Mandatory directory you want to search")


class DirectorySearchTool(_SearchTool):
    """CrewAI's `DirectorySearchTool`: search every file under a folder, each by its format."""

    name: str = "Search a directory's content"
    description: str = (
        "A tool that can be used to semantic search a query from a directory's content."
    )
    args_schema: type[BaseModel] = DirectorySearchToolSchema
    ref_arg = "directory"
    fixed_schema = FixedDirectorySearchToolSchema
    fixed_description = (
        "A tool that can be used to semantic search a query the {ref} directory's content."
    )

    def __init__(self, directory: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `directory`, that folder is the one searched."""
        super().__init__(**kwargs)
        if directory is not None and not Path(directory).expanduser().is_dir():
            raise NotADirectoryError(f"DirectorySearchTool: '{directory}' is not a folder")
        self._fix(directory)


class FixedWebsiteSearchToolSchema(BaseModel):
    """Input for WebsiteSearchTool."""

    search_query: str = Field(
        ...,
        description="Mandatory search query you want to use to search a specific website",
    )


class WebsiteSearchToolSchema(FixedWebsiteSearchToolSchema):
    """Input for WebsiteSearchTool."""

    website: str = Field(..., description="Mandatory valid website URL you want to search on")


class WebsiteSearchTool(_SearchTool):
    """CrewAI's `WebsiteSearchTool`: search a web page's text (fetched once per tool)."""

    name: str = "Search in a specific website"
    description: str = (
        "A tool that can be used to semantic search a query from a specific URL content."
    )
    args_schema: type[BaseModel] = WebsiteSearchToolSchema
    ref_arg = "website"
    fixed_schema = FixedWebsiteSearchToolSchema
    fixed_description = (
        "A tool that can be used to semantic search a query from {ref} website content."
    )

    def __init__(self, website: str | None = None, **kwargs: Any) -> None:
        """Makes the tool; with `website`, that page is the one searched.

        Raises:
            ValueError: `website` is not an http(s) address.
        """
        super().__init__(**kwargs)
        if website is not None and not website.startswith(("http://", "https://")):
            raise ValueError(f"WebsiteSearchTool: '{website}' is not an http(s) address")
        self._fix(website)

    def add_from_model(self, ref: str) -> None:
        """Adds the page the model named.

        Raises:
            ValueError: It is not an http(s) address.
        """
        if not ref.startswith(("http://", "https://")):
            raise ValueError(f"'{ref}' is not an http(s) address")
        super().add_from_model(ref)
