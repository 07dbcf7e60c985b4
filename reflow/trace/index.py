"""The trace index: the links of every event of a store, in memory, brought up to date before use.

Loading a trace's graph from SQL for every trace (one recursive query, a graph built from its
rows) cost more than the walk: at 10 000 items ~30 ms of a 54 ms trace. A node traces the same
graph again and again while it grows by a few events at a time, so each store keeps one
``FlowGraph`` of all its events (the nine columns of ``EventLink``) and, before each use, asks
the database one cheap question: its *version*, the log's last position (``records.pos``) and
the projection generation (``store_meta``; rebuild bumps it, since it rewrites rows without
growing the log).

* Same version: the index is used as it is.
* The log grew (this process's ledger, or another process writing to the same database): the
  events of the new records are read, and the events they correct (a correction sets
  ``corrected_by`` on the event it corrects).
* Nothing loaded yet, the generation moved, or the log shrank (a restored database): every
  event is read. Besides rebuild, a commit moves the generation when a record relinked earlier
  events' breadcrumbs (an event from another chain that arrived after newer events on the same
  resource: see ``reflow.vf.history.into_history``), the only other change to an old event row.

So a trace never answers from a state older than the store's when the trace began. A load must
see a whole prefix of the log, or a record it missed would be skipped for ever: on SQLite the
reads share one snapshot (``BEGIN``), and writers are serialised, so records commit in position
order; on PostgreSQL a record with a lower position may commit after one with a higher, so the
load takes ``records`` in SHARE mode (as the report's catch-up does): it waits for the appends
in flight and holds new ones off for the few milliseconds of the load.

The index lives as long as its store object and is walked under its lock (a walk must not see
a half-applied update); its memory grows with the store's events (about 650 bytes an event, as
the trace bench measures; ``forget`` lets it go).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reflow.store.schema import PROJECTION_GENERATION
from reflow.store.sqlstore import SqlStore
from reflow.trace.graph import LINK_COLS, EventLink, FlowGraph, paused_gc

_new = tuple.__new__

# The store's version in one round trip. ``:name`` is rewritten to each driver's style below.
_VERSION = (
    "SELECT (SELECT MAX(pos) FROM records), "
    f"(SELECT value FROM store_meta WHERE key = '{PROJECTION_GENERATION}')"
)
_ALL = f"SELECT {LINK_COLS} FROM economic_events e"
# The events made by the records in (p, q], and the events those correct (their new
# ``corrected_by``), read as they are now.
_DELTA = f"""
SELECT {LINK_COLS} FROM economic_events e WHERE e.pos > :p AND e.pos <= :q
UNION
SELECT {LINK_COLS} FROM economic_events e WHERE e.id IN (
  SELECT x.corrects FROM economic_events x
  WHERE x.pos > :p AND x.pos <= :q AND x.corrects IS NOT NULL)
"""


class TraceIndex:
    """One store's graph of every event, and the store version it reflects."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.graph: FlowGraph | None = None
        self.version: tuple[int, int] = (-1, -1)
        self.loads = {"full": 0, "delta": 0}  # how it was brought up to date (for tests, bench)

    def refresh(self, store: SqlStore) -> FlowGraph:
        """The graph as of the store's version now (call with ``lock`` held)."""
        with store.engine.connect() as conn:
            version = _version(conn)
            if self.graph is not None and version == self.version:
                return self.graph
            if store.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN")  # one snapshot for the version and the rows
            else:
                conn.exec_driver_sql("LOCK TABLE records IN SHARE MODE")
            version = _version(conn)
            pos, generation = version
            with paused_gc():
                if self.graph is None or generation != self.version[1] or pos < self.version[0]:
                    rows = _rows(store, conn, _ALL, {})
                    self.graph = FlowGraph((_new(EventLink, r) for r in rows), {})
                    self.loads["full"] += 1
                else:
                    put = self.graph.put
                    for r in _rows(store, conn, _DELTA, {"p": self.version[0], "q": pos}):
                        put(_new(EventLink, r))
                    self.loads["delta"] += 1
            conn.rollback()  # nothing was written; this ends the snapshot or releases the lock
        self.version = version
        return self.graph


def _version(conn: Any) -> tuple[int, int]:
    row = conn.exec_driver_sql(_VERSION).first()
    return int(row[0] or 0), int(row[1] or 0)


def _rows(store: SqlStore, conn: Any, sql: str, params: dict[str, int]) -> list[tuple[Any, ...]]:
    """Rows as the driver gives them (plain tuples): no SQLAlchemy Row for each of thousands."""
    if store.dialect != "sqlite":  # psycopg's named style; sqlite3 takes ``:name`` itself
        for name in params:
            sql = sql.replace(f":{name}", f"%({name})s")
    result = conn.exec_driver_sql(sql, params) if params else conn.exec_driver_sql(sql)
    rows: list[tuple[Any, ...]] = result.cursor.fetchall()
    result.close()
    return rows


_INDEXES: weakref.WeakKeyDictionary[SqlStore, TraceIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def index_of(store: SqlStore) -> TraceIndex:
    """The store's trace index (empty until its first use)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(store)
        if index is None:
            index = _INDEXES[store] = TraceIndex()
        return index


@contextmanager
def current_graph(store: SqlStore) -> Iterator[FlowGraph]:
    """The store's graph of every event, current as of now, locked while the caller walks it."""
    index = index_of(store)
    with index.lock:
        yield index.refresh(store)


def forget(store: SqlStore) -> None:
    """Let the store's trace index go (its memory); the next trace loads it again."""
    with _INDEXES_LOCK:
        _INDEXES.pop(store, None)
