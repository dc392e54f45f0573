"""The run history's SQLite schema, its migrations (`PRAGMA user_version`) and search index.

Each migration runs in its own transaction together with the `user_version` bump, so a failed
step leaves the database as it was. The full-text index (FTS5) is kept outside the numbered
migrations: it exists only where SQLite has FTS5, and is rebuilt from the tables when missing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

__all__ = [
    "MIGRATIONS",
    "HistoryVersionError",
    "Migration",
    "drop_search_index",
    "ensure_search_index",
    "fts5_available",
    "fts_query",
    "migrate",
    "transaction",
]

Migration = Callable[[sqlite3.Connection], None]
"""One schema step: from version N to N + 1 (N is its index in `MIGRATIONS`)."""

class HistoryVersionError(RuntimeError):
    """The database was written by a newer CrewDesk; it is left untouched."""


def _statements(*sql: str) -> Migration:
    def step(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return step


# Never edit a released step: add a new one. The status list is spelled out for that reason.
_V1 = _statements(
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        crew_name TEXT NOT NULL,
        crew_snapshot TEXT NOT NULL DEFAULT '{}',
        inputs TEXT NOT NULL DEFAULT '{}',
        mode TEXT NOT NULL,
        status TEXT NOT NULL CHECK (
            status IN ('queued', 'running', 'finished', 'failed', 'cancelled', 'interrupted')
        ),
        error TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        usage TEXT,
        cost_usd REAL,
        final_output TEXT
    )
    """,
    "CREATE INDEX runs_by_start ON runs (started_at)",
    "CREATE INDEX runs_by_status ON runs (status)",
    """
    CREATE TABLE task_outputs (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task_index INTEGER NOT NULL,
        name TEXT,
        agent TEXT,
        raw TEXT NOT NULL,
        PRIMARY KEY (run_id, task_index)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE segments (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        task_index INTEGER NOT NULL,
        kind TEXT NOT NULL DEFAULT 'text',
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID
    """,
)

# Issue 16: forks, budget stops and traces.
# - `parent_run_id`/`fork_task_index`: a fork's original run and the first task it ran again
#   (tasks before it reused the original's stored outputs).
# - `stop_reason`: why a run was stopped by CrewDesk rather than by the user ("budget").
# - `trace_spans`: one row per LLM call, tool call, guardrail check, delegation, memory recall
#   or human input of a run; `detail` holds the masked messages and answer (JSON).
_V2 = _statements(
    "ALTER TABLE runs ADD COLUMN parent_run_id TEXT",
    "ALTER TABLE runs ADD COLUMN fork_task_index INTEGER",
    "ALTER TABLE runs ADD COLUMN stop_reason TEXT",
    "CREATE INDEX runs_by_parent ON runs (parent_run_id)",
    """
    CREATE TABLE trace_spans (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        span_id TEXT NOT NULL,
        parent_id TEXT,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        task_index INTEGER,
        agent TEXT,
        started_at REAL NOT NULL,
        duration_s REAL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cost_usd REAL,
        status TEXT NOT NULL DEFAULT 'ok',
        detail TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID
    """,
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2)
"""Schema steps; the database's `user_version` is the number of steps applied."""


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Runs the block in one write transaction (the connection is in autocommit mode)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Applies the steps the database lacks, each in its own transaction.

    Args:
        conn: An autocommit connection (`isolation_level=None`).
        migrations: All steps, oldest first.

    Returns:
        The schema version reached.

    Raises:
        HistoryVersionError: The database is newer than `migrations` knows.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(migrations):
        raise HistoryVersionError(
            f"the run history has schema version {version}, newer than this CrewDesk "
            f"understands ({len(migrations)}); it was left untouched"
        )
    for target, step in enumerate(migrations[version:], start=version + 1):
        with transaction(conn):
            step(conn)
            conn.execute(f"PRAGMA user_version = {target:d}")
    return len(migrations)


def fts5_available(conn: sqlite3.Connection) -> bool:
    """Tells whether this SQLite build has the FTS5 extension."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    conn.execute("DROP TABLE temp._fts5_probe")
    return True


def _has_search_index(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs_fts'").fetchone()
    return row is not None


def ensure_search_index(conn: sqlite3.Connection) -> bool:
    """Creates the FTS5 index of runs when missing.

    Returns:
        True when the index was created (empty) and must be filled from the tables.
    """
    if _has_search_index(conn):
        return False
    conn.execute(
        "CREATE VIRTUAL TABLE runs_fts USING fts5("
        "crew_name, inputs, output, tokenize = 'unicode61 remove_diacritics 2')"
    )
    return True


def search_index_size(conn: sqlite3.Connection) -> int:
    """Rows in the search index (one per run when it is complete)."""
    return int(conn.execute("SELECT count(*) FROM runs_fts").fetchone()[0])


def drop_search_index(conn: sqlite3.Connection) -> None:
    """Removes the FTS5 index (used when searching falls back to LIKE)."""
    if _has_search_index(conn):
        conn.execute("DROP TABLE runs_fts")


_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(search: str) -> str | None:
    """Turns what the user typed into a safe FTS5 query: every word, as a prefix.

    Returns:
        The query, or None when `search` has no word characters.
    """
    words = _WORD.findall(search)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def like_pattern(word: str) -> str:
    """A LIKE pattern matching `word` anywhere, with `\\` as the escape character."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
