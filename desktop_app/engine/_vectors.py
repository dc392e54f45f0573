"""The vectors of one store, kept in memory for cosine ranking (used by `FtsStore` only).

Without numpy, a cosine scan is a Python loop: reading and unpacking every blob from SQLite
for each search cost about 20 ms per 10,000 vectors on top of the products. So the store
keeps its vectors as lists, grouped by kind and embedder, loaded on the first vector search,
extended on every save and dropped on a delete; a search then only multiplies
(`sum(map(mul, ...))`: 1.6 us per 64-dim vector here, against 4.3 us for `math.fsum` over
`zip`). A scan is a Python loop holding the GIL, so it hands the GIL over every 1,000 vectors,
for the event loop's thread.
"""

from __future__ import annotations

import heapq
import math
import operator
import sqlite3
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

_SLICE = 1000
"""Vectors scored between two hand-overs of the GIL (about 2 ms of work)."""


@dataclass(slots=True)
class _Group:
    """The vectors of one kind of item from one embedder, in parallel lists."""

    ids: list[int] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    vectors: list[list[float]] = field(default_factory=list)

    def append(self, item_id: int, scope: str, run_id: str, vector: list[float]) -> None:
        self.ids.append(item_id)
        self.scopes.append(scope)
        self.runs.append(run_id)
        self.vectors.append(vector)


def unit(vector: Sequence[float]) -> list[float]:
    """`vector` scaled to length 1 (unchanged when it is all zeros)."""
    norm = math.sqrt(math.fsum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class VectorIndex:
    """(kind, embedder) -> the vectors of those items, for cosine search."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], _Group] | None = None

    def invalidate(self) -> None:
        """Forgets every vector (reloaded on the next search)."""
        self._groups = None

    def added(
        self, item_id: int, kind: str, scope: str, run_id: str, model: str, blob: bytes
    ) -> None:
        """Records a newly saved vector (when the index is loaded)."""
        if self._groups is not None:
            group = self._groups.setdefault((kind, model), _Group())
            group.append(item_id, scope, run_id, _floats(blob))

    def top(
        self,
        conn: sqlite3.Connection,
        query: Sequence[float],
        *,
        model: str,
        kind: str,
        scopes: Sequence[str] | None,
        exclude_run: str | None,
        depth: int,
    ) -> list[tuple[float, int]]:
        """The `depth` best (cosine, id) pairs among vectors of `model` that pass the filters."""
        group = self._load(conn).get((kind, model))
        if group is None:
            return []
        target = unit(query)
        mul = operator.mul
        scores: list[float] = []
        for start in range(0, len(group.vectors), _SLICE):
            if start:
                time.sleep(0)  # hands the GIL to the event loop's thread
            scores.extend(
                sum(map(mul, target, vector)) if len(vector) == len(target) else -2.0
                for vector in group.vectors[start : start + _SLICE]
            )
        wanted = set(scopes) if scopes is not None else None
        return heapq.nlargest(
            depth,
            (
                (score, group.ids[index])
                for index, score in enumerate(scores)
                if score > -2.0
                and (wanted is None or group.scopes[index] in wanted)
                and (exclude_run is None or group.runs[index] != exclude_run)
            ),
        )

    def _load(self, conn: sqlite3.Connection) -> dict[tuple[str, str], _Group]:
        if self._groups is None:
            groups: dict[tuple[str, str], _Group] = {}
            rows = conn.execute(
                "SELECT id, kind, scope, coalesce(json_extract(metadata, '$.run_id'), ''),"
                " vector_model, vector FROM items WHERE vector IS NOT NULL ORDER BY id"
            )
            for item_id, kind, scope, run_id, model, blob in rows:
                group = groups.setdefault((str(kind), str(model)), _Group())
                group.append(int(item_id), str(scope), str(run_id), _floats(blob))
            self._groups = groups
        return self._groups


def _floats(blob: bytes) -> list[float]:
    values = array("f")
    values.frombytes(blob)
    return values.tolist()
