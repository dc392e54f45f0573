"""The embedded store of memory and knowledge: one SQLite file, FTS5 with BM25, optional vectors.

`FtsStore` is synchronous and owns one connection: use it from one thread only. Code on an
event loop goes through `StoreHandle` (`_store_thread.py`), which runs every call on the
store's own worker thread.

Items are texts with a `kind` ("short_term", "long_term", "entity", "knowledge"), a `scope`
(the run of a short-term item, the entity of an entity item, the source of a knowledge chunk)
and JSON metadata. The same (kind, scope, text) is kept once. Search ranks by FTS5's BM25;
when the caller brings a query vector, items embedded by the same model are also ranked by
cosine similarity, and the two rankings are merged by reciprocal rank fusion.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.engine._vectors import VectorIndex

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    vector BLOB,
    vector_model TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS items_unique ON items (kind, scope, text);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5 (
    text, content='items', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS items_ai AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS items_ad AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    digest TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    indexed_at REAL NOT NULL
);
"""

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP_WORD_TEXT = (
    "a an and are as at be but by for from has have in into is it its of on or that the their "
    "this to was were will with you your what which who how when where why not no do does "
    "this these those then than there here can could should would may might must shall"
)
_STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())
_MAX_QUERY_TERMS = 32
_RRF_K = 60.0


class StoreError(RuntimeError):
    """A store file cannot be opened (damaged, not a store, no access)."""


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to save.

    Attributes:
        kind: "short_term", "long_term", "entity" or "knowledge".
        text: What is searched and shown.
        scope: The run, entity or source the item belongs to.
        metadata: JSON-able details (agent, task, quality, ...).
        vector: Its embedding, when an embedder is configured.
    """

    kind: str
    text: str
    scope: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: Sequence[float] | None = None


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored or found.

    Attributes:
        id: Its row id.
        kind: Its kind.
        scope: Its scope.
        text: Its text.
        metadata: Its details.
        created_at: When it was saved (seconds since the epoch).
        score: Relevance to the search (higher is better); 0 when listed.
    """

    id: int
    kind: str
    scope: str
    text: str
    metadata: dict[str, Any]
    created_at: float
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class SourceState:
    """What was indexed from a knowledge source: its quick stamp and its content digest."""

    stamp: str
    digest: str
    chunks: int


def query_terms(text: str) -> list[str]:
    """The words of `text` worth searching for, lower-cased, without repeats or stop words."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in _STOP_WORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)[:_MAX_QUERY_TERMS]


def fts_query(text: str) -> str | None:
    """An FTS5 query that matches any of the words of `text` (None when there are none)."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def pack_vector(vector: Sequence[float]) -> bytes:
    """A vector as little-endian float32 bytes, normalised to unit length."""
    norm = math.sqrt(math.fsum(v * v for v in vector)) or 1.0
    return array("f", (v / norm for v in vector)).tobytes()


def unpack_vector(blob: bytes) -> array[float]:
    """The float32 vector stored in `blob`."""
    values = array("f")
    values.frombytes(blob)
    return values


class FtsStore:
    """One store file, used from one thread (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        """Opens (creating) the store file.

        Raises:
            StoreError: The file is not a store, is damaged, or SQLite has no FTS5.
        """
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        self._vectors = VectorIndex()
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(
                f"cannot open the store {path}: {exc}; reset or delete it to start afresh"
            ) from exc
        except BaseException:
            self._conn.close()
            raise

    def _prepare(self) -> None:
        """Sets the journal mode and creates the tables that are missing."""
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)
        self._conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )

    def close(self) -> None:
        """Closes the connection."""
        self._conn.close()

    # --- writing ----------------------------------------------------------------------

    def add(self, items: Iterable[NewItem], vector_model: str | None = None) -> int:
        """Saves `items` in one transaction; returns how many were new."""
        now = time.time()
        rows = [
            (
                item.kind,
                item.scope,
                item.text,
                json.dumps(item.metadata, ensure_ascii=False, default=str),
                now,
                pack_vector(item.vector) if item.vector is not None else None,
                vector_model if item.vector is not None else None,
            )
            for item in items
            if item.text.strip()
        ]
        added = 0
        with self._transaction():
            for row in rows:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO items (kind, scope, text, metadata, created_at,"
                    " vector, vector_model) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                if cursor.rowcount != 1:
                    continue
                added += 1
                if row[5] is not None and cursor.lastrowid is not None:
                    run_id = str(json.loads(row[3]).get("run_id") or "")
                    self._vectors.added(
                        cursor.lastrowid, row[0], row[1], run_id, str(row[6]), row[5]
                    )
        return added

    def delete(self, kind: str | None = None, scope: str | None = None) -> int:
        """Deletes the items of `kind` (every kind when None), of `scope` when given."""
        where, params = _filter(kind, [scope] if scope is not None else None)
        self._vectors.invalidate()
        with self._transaction():
            deleted = self._conn.execute(f"DELETE FROM items{where}", params).rowcount
            if kind in (None, "knowledge") and scope is None:
                self._conn.execute("DELETE FROM sources")
            elif kind == "knowledge":
                self._conn.execute("DELETE FROM sources WHERE key = ?", (scope,))
        return int(deleted)

    # --- reading ----------------------------------------------------------------------

    def search(
        self,
        kind: str,
        query: str,
        *,
        limit: int = 3,
        scopes: Sequence[str] | None = None,
        query_vector: Sequence[float] | None = None,
        vector_model: str | None = None,
        exclude_run: str | None = None,
    ) -> list[StoredItem]:
        """The items of `kind` most relevant to `query`, best first.

        Args:
            kind: Which items.
            query: Text to match (any of its words, BM25).
            limit: Most items returned.
            scopes: Only items of these scopes (None: any scope).
            query_vector: The query's embedding; adds a cosine ranking when given.
            vector_model: The embedder of `query_vector`; only its vectors are compared.
            exclude_run: Leaves out items saved by this run (metadata `run_id`).
        """
        if scopes is not None and not scopes:
            return []
        depth = max(limit * 4, 20)
        where, params = _filter(kind, scopes, exclude_run)
        ranked = [self._bm25(query, depth, where, params)]
        if query_vector is not None and vector_model is not None:
            hits = self._vectors.top(
                self._conn,
                query_vector,
                model=vector_model,
                kind=kind,
                scopes=scopes,
                exclude_run=exclude_run,
                depth=depth,
            )
            ranked.append(self._by_ids(hits))
        return self._fuse(ranked, limit)

    def count(self, kind: str | None = None, scope: str | None = None) -> int:
        """How many items of `kind` (every kind when None), of `scope` when given."""
        where, params = _filter(kind, [scope] if scope is not None else None)
        return int(self._conn.execute(f"SELECT count(*) FROM items{where}", params).fetchone()[0])

    def counts(self) -> dict[str, int]:
        """How many items of each kind there are."""
        rows = self._conn.execute("SELECT kind, count(*) FROM items GROUP BY kind")
        return {str(kind): int(number) for kind, number in rows}

    def items(
        self, kind: str | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[StoredItem]:
        """Items newest first, for inspection."""
        where, params = _filter(kind, None)
        rows = self._conn.execute(
            "SELECT id, kind, scope, text, metadata, created_at FROM items"
            f"{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return [_item(row, 0.0) for row in rows]

    # --- knowledge sources ------------------------------------------------------------

    def source_state(self, key: str) -> SourceState | None:
        """What was indexed for the source `key`, or None."""
        row = self._conn.execute(
            "SELECT stamp, digest, chunks FROM sources WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else SourceState(str(row[0]), str(row[1]), int(row[2]))

    def restamp_source(self, key: str, stamp: str) -> None:
        """Records a new quick stamp for a source whose content did not change."""
        with self._transaction():
            self._conn.execute("UPDATE sources SET stamp = ? WHERE key = ?", (stamp, key))

    def replace_source(
        self, key: str, state: SourceState, chunks: Sequence[NewItem], vector_model: str | None
    ) -> None:
        """Replaces every chunk of the source `key` (one transaction)."""
        with self._transaction():
            self._vectors.invalidate()
            self._conn.execute("DELETE FROM items WHERE kind = 'knowledge' AND scope = ?", (key,))
            self._conn.execute(
                "INSERT OR REPLACE INTO sources (key, stamp, digest, chunks, indexed_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key, state.stamp, state.digest, state.chunks, time.time()),
            )
            self.add(chunks, vector_model)

    # --- internals --------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn, self._vectors.invalidate)

    def _bm25(self, query: str, depth: int, where: str, params: list[Any]) -> list[StoredItem]:
        match = fts_query(query)
        if match is None:
            return []
        rows = self._conn.execute(
            "SELECT items.id, items.kind, items.scope, items.text, items.metadata,"
            " items.created_at, bm25(items_fts) AS rank FROM items_fts"
            f" JOIN items ON items.id = items_fts.rowid{where} AND items_fts MATCH ?"
            " ORDER BY rank LIMIT ?",
            [*params, match, depth],
        ).fetchall()
        return [_item(row[:6], -float(row[6])) for row in rows]

    def _by_ids(self, hits: Sequence[tuple[float, int]]) -> list[StoredItem]:
        """The items of (score, id) pairs, in the same order (one query)."""
        if not hits:
            return []
        marks = ", ".join("?" for _ in hits)
        rows = self._conn.execute(
            f"SELECT id, kind, scope, text, metadata, created_at FROM items WHERE id IN ({marks})",
            [item_id for _, item_id in hits],
        ).fetchall()
        by_id = {int(row[0]): row for row in rows}
        return [_item(by_id[item_id], score) for score, item_id in hits if item_id in by_id]

    @staticmethod
    def _fuse(rankings: list[list[StoredItem]], limit: int) -> list[StoredItem]:
        if len(rankings) == 1:
            return rankings[0][:limit]
        fused: dict[int, float] = {}
        items: dict[int, StoredItem] = {}
        for ranking in rankings:
            for position, item in enumerate(ranking):
                fused[item.id] = fused.get(item.id, 0.0) + 1.0 / (_RRF_K + position + 1)
                items.setdefault(item.id, item)
        best = sorted(fused, key=lambda item_id: fused[item_id], reverse=True)[:limit]
        return [_with_score(items[item_id], fused[item_id]) for item_id in best]


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error, then `on_rollback`); nests as a no-op."""

    def __init__(self, conn: sqlite3.Connection, on_rollback: Callable[[], None]) -> None:
        self._conn = conn
        self._on_rollback = on_rollback
        self._outer = False

    def __enter__(self) -> None:
        self._outer = not self._conn.in_transaction
        if self._outer:
            self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._outer and exc_type is None:
            self._conn.execute("COMMIT")
        elif self._outer:
            self._conn.execute("ROLLBACK")
            self._on_rollback()


def _filter(
    kind: str | None, scopes: Sequence[str | None] | None, exclude_run: str | None = None
) -> tuple[str, list[Any]]:
    """A WHERE clause on `items` (always present, so callers may add `AND ...`) and its
    parameters."""
    clauses = ["1 = 1"]
    params: list[Any] = []
    if kind is not None:
        clauses.append("items.kind = ?")
        params.append(kind)
    if scopes is not None:
        clauses.append(f"items.scope IN ({', '.join('?' for _ in scopes)})")
        params.extend(scopes)
    if exclude_run is not None:
        clauses.append("coalesce(json_extract(items.metadata, '$.run_id'), '') != ?")
        params.append(exclude_run)
    return " WHERE " + " AND ".join(clauses), params


def _item(row: Sequence[Any], score: float) -> StoredItem:
    return StoredItem(
        id=int(row[0]),
        kind=str(row[1]),
        scope=str(row[2]),
        text=str(row[3]),
        metadata=json.loads(row[4]),
        created_at=float(row[5]),
        score=score,
    )


def _with_score(item: StoredItem, score: float) -> StoredItem:
    return StoredItem(
        item.id, item.kind, item.scope, item.text, item.metadata, item.created_at, score
    )
