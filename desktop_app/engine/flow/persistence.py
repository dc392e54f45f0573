"""`@persist`: a flow's state saved after its steps, and found again by its `id`.

As CrewAI's `crewai.flow.persistence`: `@persist()` on a Flow class saves the state after every
step, on a method after that step; `kickoff(inputs={"id": ...})` (with persistence on) loads
the latest saved state of that id before the flow runs, then runs it from its starts (the
steps read the state to skip what is done). The default backend is one SQLite file in the app's
data folder, `<data>/flows/flow_states.db` (`engine._paths`, the same rule as memory), with
CrewAI's table, so the same file serves every flow. Backends are blocking: the flow calls
them through `asyncio.to_thread`, never on the loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, overload

from pydantic import BaseModel, Field, PrivateAttr

from desktop_app.engine._paths import data_dir
from desktop_app.engine.flow._dsl import FlowMark, _marked

__all__ = ["FlowPersistence", "SQLiteFlowPersistence", "default_db_path", "persist"]

F = TypeVar("F", bound=Callable[..., Any])

CLASS_MARK = "__crewdesk_flow_persist__"


class FlowPersistence(BaseModel, ABC):
    """A place flow states are saved in (CrewAI's interface: subclass it for your own)."""

    persistence_type: str = Field(default="base")

    @abstractmethod
    def init_db(self) -> None:
        """Prepares the backend (tables, connections)."""

    @abstractmethod
    def save_state(self, flow_uuid: str, method_name: str,
                   state_data: dict[str, Any] | BaseModel) -> None:
        """Saves the state of flow `flow_uuid` after step `method_name`."""

    @abstractmethod
    def load_state(self, flow_uuid: str) -> dict[str, Any] | None:
        """The latest saved state of `flow_uuid`, or None."""


def default_db_path() -> Path:
    """`<data>/flows/flow_states.db`: where `SQLiteFlowPersistence()` keeps states."""
    return data_dir() / "flows" / "flow_states.db"


class SQLiteFlowPersistence(FlowPersistence):
    """Flow states in one SQLite file (WAL), one row per save (CrewAI's `flow_states` table).

    Args:
        db_path: The file (default: `default_db_path()`); its folder is made.
    """

    persistence_type: str = Field(default="SQLiteFlowPersistence")
    db_path: str = Field(default_factory=lambda: str(default_db_path()))
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, db_path: str | Path | None = None, /, **kwargs: Any) -> None:
        if db_path is not None:
            kwargs["db_path"] = str(db_path)
        super().__init__(**kwargs)
        self.init_db()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db_path, timeout=30.0)

    def init_db(self) -> None:
        """Creates the file's folder and table (blocking)."""
        Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        with self._lock, closing(self._connect()) as conn, conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS flow_states (id INTEGER PRIMARY KEY "
                         "AUTOINCREMENT, flow_uuid TEXT NOT NULL, method_name TEXT NOT NULL, "
                         "timestamp DATETIME NOT NULL, state_json TEXT NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS idx_flow_states_uuid "
                         "ON flow_states(flow_uuid)")

    def save_state(self, flow_uuid: str, method_name: str,
                   state_data: dict[str, Any] | BaseModel) -> None:
        """Adds one saved state (blocking)."""
        values = (state_data.model_dump(mode="json") if isinstance(state_data, BaseModel)
                  else state_data)
        text = json.dumps(values, default=str)
        with self._lock, closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO flow_states (flow_uuid, method_name, timestamp, "
                         "state_json) VALUES (?, ?, ?, ?)",
                         (flow_uuid, method_name, datetime.now(UTC).isoformat(), text))

    def load_state(self, flow_uuid: str) -> dict[str, Any] | None:
        """The latest saved state of `flow_uuid`, or None (blocking)."""
        with self._lock, closing(self._connect()) as conn:
            row = conn.execute("SELECT state_json FROM flow_states WHERE flow_uuid = ? "
                               "ORDER BY id DESC LIMIT 1", (flow_uuid,)).fetchone()
        if row is None:
            return None
        loaded: dict[str, Any] = json.loads(row[0])
        return loaded


@overload
def persist(persistence: FlowPersistence | None = None, verbose: bool = False
            ) -> Callable[[F], F]: ...


@overload
def persist(persistence: F, verbose: bool = False) -> F: ...


def persist(persistence: Any = None, verbose: bool = False) -> Any:
    """Saves the flow's state after every step (on a class) or after one step (on a method).

    `@persist()`, `@persist(SQLiteFlowPersistence("my.db"))` and bare `@persist` all work.

    Args:
        persistence: The backend (default: `SQLiteFlowPersistence()` in the data folder,
            opened when first used).
        verbose: Log each save.
    """
    if persistence is not None and not isinstance(persistence, FlowPersistence):
        if callable(persistence):  # bare @persist
            return _stamp(persistence, None, verbose)
        raise TypeError(f"@persist(...) takes a FlowPersistence, not "
                        f"{type(persistence).__name__}")

    def decorator(target: F) -> F:
        stamped: F = _stamp(target, persistence, verbose)
        return stamped

    return decorator


def _stamp(target: Any, backend: FlowPersistence | None, verbose: bool) -> Any:
    if isinstance(target, type):
        setattr(target, CLASS_MARK, (backend, verbose))
        return target
    return _marked(target, persist=(backend, verbose))


def method_persist(mark: FlowMark | None, flow_class: type) -> tuple[Any, bool] | None:
    """The `(backend or None, verbose)` a step saves with: its own `@persist`, else the
    class's, else None (no saving)."""
    if mark is not None and mark.persist is not None:
        return mark.persist
    found = getattr(flow_class, CLASS_MARK, None)
    return found if isinstance(found, tuple) else None
