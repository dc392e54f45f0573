"""CrewAI's `RagTool` on the engine's own knowledge store.

A RAG tool keeps the sources it was given (a file, a folder, a web page; fixed when it is
made, or named by the model when it runs). At each search the sources that changed are
indexed into one store file per `collection_name` (SQLite FTS5 with BM25, on the store's own
thread, `_store_thread`; plus vectors when `config` names an embedder), and the chunks most
relevant to the query come back, from this tool's sources only.

What CrewAI's `RagTool` has and CrewDesk does not use (`summarize`, `adapter`,
`similarity_threshold`, a vector database in `config`) is accepted with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, PrivateAttr

from desktop_app.engine._blocking import run_to_end
from desktop_app.engine._fts import FtsStore, StoredItem
from desktop_app.engine._paths import store_key, store_path
from desktop_app.engine._store_thread import StoreHandle, open_store
from desktop_app.engine._tool_paths import working_root
from desktop_app.engine.builtin_tools import resolve_inside
from desktop_app.engine.knowledge._index import KNOWLEDGE, apply_plan, plan_index, plan_items
from desktop_app.engine.knowledge._sources import BaseKnowledgeSource, StringKnowledgeSource
from desktop_app.engine.llm import Embedder
from desktop_app.engine.toolkit._face import CrewAIToolFace
from desktop_app.engine.toolkit._rag_sources import PageSource, fetch_page_text
from desktop_app.engine.toolkit._warn import warn_ignored

__all__ = ["RagTool"]

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 100
_EMBEDDER_KEYS = ("embedding_model", "embedder")


class RagToolSchema(BaseModel):
    """Input for RagTool (CrewAI derives it from `RagTool._run`)."""

    query: str
    similarity_threshold: float | None = None
    limit: int | None = None


class RagTool(CrewAIToolFace):
    """CrewAI's `RagTool`: search the content of the sources it was given.

    Attributes:
        summarize: Accepted; CrewDesk returns the chunks found, not a summary.
        similarity_threshold: Accepted; BM25 has no similarity scale to cut at.
        limit: Chunks returned at most.
        collection_name: Names the store file the chunks are kept in.
        adapter: Accepted; CrewDesk's store is used instead.
        config: CrewAI's RAG config; its embedder (`embedding_model` or `embedder`) is used,
            the rest is warned about.
    """

    name: str = "Knowledge base"
    description: str = "A knowledge base that can be used to answer questions."
    args_schema: type[BaseModel] = RagToolSchema
    is_async_native = True
    summarize: bool = False
    similarity_threshold: float = 0.6
    limit: int = 5
    collection_name: str = "rag_tool_collection"
    adapter: Any = None
    config: dict[str, Any] | None = None

    _sources: dict[str, BaseKnowledgeSource] = PrivateAttr(default_factory=dict)
    _pages: dict[str, str] = PrivateAttr(default_factory=dict)
    _embedder: Embedder | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        """Builds the embedder `config` names and warns about settings that are not used."""
        super().model_post_init(context)
        owner = type(self).__name__
        if self.summarize:
            warn_ignored(owner, "summarize=True", "the chunks found are returned as they are")
        if self.adapter is not None:
            warn_ignored(owner, "adapter", "CrewDesk's knowledge store is used")
        if "similarity_threshold" in self.model_fields_set:
            warn_ignored(owner, "similarity_threshold", "the best `limit` chunks are returned")
        self._embedder = _embedder_of(owner, self.config or {})

    # --- sources ----------------------------------------------------------------------

    def add(self, *args: Any, **kwargs: Any) -> None:
        """Adds sources to search, as CrewAI's `add`: paths or http(s) addresses, or texts
        with `data_type="text"`.

        Raises:
            FileNotFoundError: A local path does not exist.
        """
        kind = kwargs.get("data_type")
        if str(getattr(kind, "value", kind)).lower() == "text":
            for text in args:
                source = StringKnowledgeSource(
                    content=str(text), chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP
                )
                self._sources[f"text:{hash(str(text))}"] = source
            return
        for ref in [*args, *(kwargs[k] for k in ("path", "file_path", "url") if k in kwargs)]:
            self._add_ref(str(ref))

    def _add_ref(self, ref: str) -> None:
        if ref in self._sources or ref in self._pages:
            return
        if ref.startswith(("http://", "https://")):
            self.check_address(ref)
            self._pages[ref] = ""  # fetched at the next search
            return
        path = Path(ref).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{type(self).__name__}: there is no file or folder '{ref}'")
        self._sources[ref] = self.source_for(path.resolve())

    def check_address(self, url: str) -> None:
        """Accepts a web address as a source (its page's text is indexed); subclasses whose
        format cannot come as page text refuse it."""

    def source_for(self, path: Path) -> BaseKnowledgeSource:
        """The knowledge source of a local file or folder (subclasses pick the format)."""
        from desktop_app.engine.toolkit._rag_sources import source_for_file

        return source_for_file(path, CHUNK_SIZE, CHUNK_OVERLAP)

    def add_from_model(self, ref: str) -> None:
        """Adds a source the model named; a local path must stay inside the working folder
        (in a run, its workspace), from which a relative path starts.

        Raises:
            PermissionError: The path leads outside that folder.
        """
        if not ref.startswith(("http://", "https://")):
            ref = str(resolve_inside(ref, str(working_root())))
        self._add_ref(ref)

    # --- searching --------------------------------------------------------------------

    def _run(self, **kwargs: Any) -> str:
        return str(run_to_end(self._arun(**kwargs), thread_name="crewdesk-tool"))

    async def _arun(self, **kwargs: Any) -> str:
        query = str(kwargs.get("query") or "").strip()
        if not query:
            raise ValueError("give what to search for as query")
        return await self.search(query, kwargs.get("limit"))

    async def search(self, query: str, limit: int | None = None) -> str:
        """The chunks of this tool's sources most relevant to `query` (at most `limit`, else
        the tool's), as CrewAI words it.

        Raises:
            ValueError: The tool has no source yet.
        """
        await self._fetch_pages()
        sources = [*self._sources.values(), *self._page_sources()]
        if not sources:
            raise ValueError(f"{type(self).__name__} has nothing to search yet: name the "
                             "file, folder or website to search")
        async with open_store(self._store_file()) as handle:
            keys = await self._index(handle, sources)
            found = await self._find(handle, query, keys, limit or self.limit)
        if not found:
            return "Relevant Content:\nNo relevant content found."
        return "Relevant Content:\n" + "\n\n".join(item.text for item in found)

    async def _fetch_pages(self) -> None:
        for url, text in list(self._pages.items()):
            if not text:
                self._pages[url] = await fetch_page_text(url)

    def _page_sources(self) -> list[BaseKnowledgeSource]:
        return [
            PageSource(url=url, text=text, chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
            for url, text in self._pages.items()
        ]

    def _store_file(self) -> Path:
        return store_path("knowledge", store_key(f"crewai-tools {self.collection_name}"))

    async def _index(self, handle: StoreHandle, sources: Sequence[BaseKnowledgeSource]) -> list[str]:
        model = self._embedder.identity if self._embedder is not None else None
        keys, plans = await handle.call(plan_index, sources, model or "")
        for plan in plans:
            vectors = await self._embed(plan.chunks)
            await handle.call(apply_plan, plan, plan_items(plan, vectors), model)
        return keys

    async def _find(
        self, handle: StoreHandle, query: str, keys: list[str], limit: int
    ) -> list[StoredItem]:
        vectors = await self._embed([query])
        found: list[StoredItem] = await handle.call(
            FtsStore.search,
            KNOWLEDGE,
            query,
            limit=limit,
            scopes=keys,
            query_vector=vectors[0] if vectors else None,
            vector_model=self._embedder.identity if self._embedder is not None else None,
        )
        return found

    async def _embed(self, texts: Sequence[str]) -> list[list[float]] | None:
        if self._embedder is None or not texts:
            return None
        return await self._embedder.aembed(texts)


def _embedder_of(owner: str, config: dict[str, Any]) -> Embedder | None:
    """The embedder CrewAI's RAG `config` names, warning about the keys not used.

    Raises:
        ValueError: The embedder setting names no model.
    """
    embedder: Embedder | None = None
    for key, value in config.items():
        if key in _EMBEDDER_KEYS and isinstance(value, dict):
            try:
                embedder = Embedder.from_config(value)
            except ValueError as exc:
                raise ValueError(f"{owner}: config['{key}']: {exc}") from exc
        else:
            warn_ignored(owner, f"config['{key}']", "only an embedder can be configured")
    return embedder
