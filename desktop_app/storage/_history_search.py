"""Reading the run history: the search index, listing with search, loading one run."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Literal, TypeAlias, cast

from desktop_app.storage._history_records import (
    RunRecord,
    RunStatus,
    RunSummary,
    Segment,
    TaskOutputRecord,
)
from desktop_app.storage._history_schema import fts_query, like_pattern

SearchMode: TypeAlias = Literal["auto", "like"]
"""How `HistoryDB` searches: FTS5 where SQLite has it ("auto"), or always LIKE."""

PREVIEW_CHARS = 200

_SUMMARY_COLUMNS = (
    "r.id, r.crew_name, r.mode, r.status, r.started_at, r.finished_at, r.inputs, r.usage, "
    f"r.cost_usd, r.error, substr(coalesce(r.final_output, ''), 1, {PREVIEW_CHARS})"
)


def _run_output_text(conn: sqlite3.Connection, run_id: str) -> str:
    """The text of a run to index: final output, task answers, and the streamed text of tasks
    that have no recorded answer (a failed, cancelled or interrupted run)."""
    final = conn.execute("SELECT final_output FROM runs WHERE id = ?", (run_id,)).fetchone()
    answers = conn.execute(
        "SELECT raw FROM task_outputs WHERE run_id = ? ORDER BY task_index", (run_id,)
    ).fetchall()
    streamed = conn.execute(
        "SELECT text FROM segments WHERE run_id = ? AND kind = 'text' AND task_index NOT IN "
        "(SELECT task_index FROM task_outputs WHERE run_id = ?) ORDER BY seq",
        (run_id, run_id),
    ).fetchall()
    parts = [(final[0] or "") if final else ""]
    parts += [row[0] for row in answers]
    parts.append("".join(row[0] for row in streamed))
    return "\n".join(part for part in parts if part)


def index_run(conn: sqlite3.Connection, run_id: str) -> None:
    """Replaces the search index row of one run (call inside a transaction)."""
    row = conn.execute(
        "SELECT rowid, crew_name, inputs FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    if row is None:
        return
    conn.execute("DELETE FROM runs_fts WHERE rowid = ?", (row[0],))
    conn.execute(
        "INSERT INTO runs_fts (rowid, crew_name, inputs, output) VALUES (?, ?, ?, ?)",
        (row[0], row[1], row[2], _run_output_text(conn, run_id)),
    )


def rebuild_index(conn: sqlite3.Connection) -> None:
    """Refills the search index from the tables (call inside a transaction)."""
    conn.execute("DELETE FROM runs_fts")
    for (run_id,) in conn.execute("SELECT id FROM runs").fetchall():
        index_run(conn, run_id)


def _like_clause(words: list[str]) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for word in words:
        pattern = like_pattern(word)
        clauses.append(
            "(r.crew_name LIKE ? ESCAPE '\\' OR r.inputs LIKE ? ESCAPE '\\' "
            "OR r.final_output LIKE ? ESCAPE '\\' "
            "OR EXISTS (SELECT 1 FROM task_outputs t WHERE t.run_id = r.id "
            "AND t.raw LIKE ? ESCAPE '\\') "
            "OR EXISTS (SELECT 1 FROM segments s WHERE s.run_id = r.id "
            "AND s.text LIKE ? ESCAPE '\\'))"
        )
        params += [pattern] * 5
    return " AND ".join(clauses), params


def list_runs(
    conn: sqlite3.Connection,
    search: str | None,
    *,
    limit: int,
    offset: int,
    status: RunStatus | None,
    fts: bool,
) -> list[RunSummary]:
    """Lists runs newest first; see `HistoryDB.list_runs`."""
    joins = ""
    where: list[str] = []
    params: list[object] = []
    words = (search or "").split()
    query = fts_query(search) if fts and search else None
    if query is not None:
        joins = "JOIN runs_fts f ON f.rowid = r.rowid"
        where.append("runs_fts MATCH ?")
        params.append(query)
    elif words:
        clause, like_params = _like_clause(words)
        where.append(clause)
        params += like_params
    if status is not None:
        where.append("r.status = ?")
        params.append(status)
    sql = f"SELECT {_SUMMARY_COLUMNS} FROM runs r {joins}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY r.started_at DESC, r.rowid DESC LIMIT ? OFFSET ?"
    params += [max(0, limit), max(0, offset)]
    return [_summary(row) for row in conn.execute(sql, params)]


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _summary_fields(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    started = _when(row[4])
    assert started is not None  # NOT NULL column
    return {
        "run_id": row[0],
        "crew_name": row[1],
        "mode": row[2],
        "status": cast(RunStatus, row[3]),
        "started_at": started,
        "finished_at": _when(row[5]),
        "inputs": _json(row[6]) or {},
        "usage": _json(row[7]),
        "cost_usd": row[8],
        "error": row[9],
        "output_preview": row[10],
    }


def _summary(row: tuple[Any, ...]) -> RunSummary:
    return RunSummary(**_summary_fields(row))


def _segments(conn: sqlite3.Connection, run_id: str) -> list[Segment]:
    """The run's segments in order, consecutive ones of one task and kind merged."""
    groups: list[tuple[int, str, list[str]]] = []
    rows = conn.execute(
        "SELECT task_index, kind, text FROM segments WHERE run_id = ? ORDER BY seq", (run_id,)
    )
    for task_index, kind, text in rows:
        if groups and groups[-1][0] == task_index and groups[-1][1] == kind:
            groups[-1][2].append(text)
        else:
            groups.append((task_index, kind, [text]))
    return [Segment(task_index, kind, "".join(parts)) for task_index, kind, parts in groups]


def load_run(conn: sqlite3.Connection, run_id: str) -> RunRecord | None:
    """Everything about one run, or None; see `HistoryDB.get_run`."""
    row = conn.execute(
        f"SELECT {_SUMMARY_COLUMNS}, r.crew_snapshot, r.final_output FROM runs r WHERE r.id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    outputs = [
        TaskOutputRecord(task_index=r[0], name=r[1], agent=r[2], raw=r[3])
        for r in conn.execute(
            "SELECT task_index, name, agent, raw FROM task_outputs WHERE run_id = ? "
            "ORDER BY task_index",
            (run_id,),
        )
    ]
    segments = _segments(conn, run_id)
    task_text: dict[int, str] = {}
    for segment in segments:
        if segment.kind == "text":
            task_text[segment.task_index] = task_text.get(segment.task_index, "") + segment.text
    return RunRecord(
        **_summary_fields(row),
        crew_snapshot=_json(row[11]) or {},
        final_output=row[12],
        task_outputs=outputs,
        segments=segments,
        task_text=task_text,
    )
