"""The SQL store: the ledger's persistence (``LedgerStore``) and the reads services make.

One node has one writer (its ledger). To keep the ingest hot path cheap the store keeps a
write-through cache of the state the rules read (resources, events, objects, chain heads) and
checks, at the start of every batch and again inside the commit, that nobody else has written
to the log since; if someone has, the cache is dropped and the batch is judged again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from reflow.errors import StaleStateError, StoreError
from reflow.ledger.changes import Changes, VfObject, process_state
from reflow.ledger.port import Equivocation
from reflow.ledger.records import Record, now, record_from_dict
from reflow.store import codec
from reflow.store.bulk import param_mark, write_rows
from reflow.store.database import has_schema, make_engine, migrate
from reflow.store.schema import (
    PROJECTION_GENERATION,
    equivocations,
    events,
    records,
    resources,
    store_meta,
    vf_objects,
)
from reflow.vf.state import EventState, ProcessState, ResourceState

# Writers for rows of tables owned by outer services: name -> Table (registered at import).
SERVICE_TABLES: dict[str, Table] = {}
# Called inside the commit transaction for every applied record (extra projections).
Projector = Callable[[Connection, Record, Changes], None]
PROJECTORS: list[Projector] = []
# Called once per commit with every applied record, after ``PROJECTORS``: for projections that
# write a row per event, so their rows go to the database in one ``executemany``.
BatchProjector = Callable[[Connection, Sequence[tuple[Record, Changes]]], None]
BATCH_PROJECTORS: list[BatchProjector] = []

CACHE_LIMIT = 500_000
# Columns of economic_resources that some index covers, and the others.
_INDEXED = tuple(c for c in codec.RESOURCE_COLS if any(c in ix.columns for ix in resources.indexes))
_UNINDEXED = tuple(c for c in codec.RESOURCE_COLS if c != "id" and c not in _INDEXED)
_indexed = attrgetter(*_INDEXED)  # the row's columns are ResourceState's fields
_EVENT_COLS = (*codec.EVENT_COLS, "pos")
_EVENT_UPDATES = tuple(c for c in codec.EVENT_COLS if c != "id")


class SqlStore:
    """A node's database. Open with ``SqlStore.open(url)``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._resources: dict[str, ResourceState | None] = {}
        self._events: dict[str, EventState | None] = {}
        self._objects: dict[str, VfObject | None] = {}
        self._heads: dict[str, tuple[int, str] | None] = {}
        self._clocks: dict[str, int] = {}  # record hash -> logical clock, for recent records
        self._containers: set[str] | None = None
        self._pos = -1
        # Bumped whenever what this store knows may have changed other than by its own appends
        # of records (another writer, evidence stored): caches of rarely changing facts (which
        # authors equivocated) key on it, not on the log position every commit moves.
        self.cache_epoch = 0
        # Commits may run on another thread while the next batch is judged, except on an
        # in-memory SQLite database, whose single shared connection must not be used twice.
        self.concurrent = not (
            self.dialect == "sqlite" and engine.url.database in (None, "", ":memory:")
        )

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> SqlStore:
        engine = make_engine(url)
        try:
            if create:
                migrate(engine)
            elif not has_schema(engine):
                raise StoreError(
                    f"no ReflowOS database at {url}; run `reflow init`", field="database"
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot prepare the database: {exc}", field="database") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- cache -----------------------------------------------------------------------------

    def log_position(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(records.c.pos), 0))).scalar())

    def refresh(self) -> None:
        """Drop the cache if another writer appended since this store last committed."""
        pos = self.log_position()
        if pos != self._pos:
            self.clear_cache()
            self._pos = pos

    def clear_cache(self) -> None:
        self.cache_epoch += 1
        self._resources.clear()
        self._events.clear()
        self._objects.clear()
        self._heads.clear()
        self._clocks.clear()
        self._containers = None

    def _trim(self) -> None:
        """Keep the read cache under ``CACHE_LIMIT`` entries by forgetting the older half of each
        part (the order they were first cached in): clearing it all made a node that catches up
        a long backlog read back everything it was still using (45-65 % more CPU measured with a
        low limit). Entries mirror the database, so a forgotten one is simply read again."""
        if len(self._resources) + len(self._events) + len(self._objects) <= CACHE_LIMIT:
            return
        for cache in (self._resources, self._events, self._objects):
            for key in list(islice(cache, len(cache) // 2)):
                del cache[key]

    # -- LedgerStore ---------------------------------------------------------------------------

    def _one(self, stmt: Any) -> Any:
        try:
            with self.engine.connect() as conn:
                return conn.execute(stmt).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"database read failed: {exc}") from exc

    def head(self, author: str) -> tuple[int, str] | None:
        if author in self._heads:
            return self._heads[author]
        row = self._one(
            select(records.c.seq, records.c.hash)
            .where(records.c.author == author)
            .order_by(records.c.seq.desc())
            .limit(1)
        )
        head = (int(row.seq), row.hash) if row else None
        self._heads[author] = head
        return head

    def hash_at(self, author: str, seq: int) -> str | None:
        row = self._one(
            select(records.c.hash).where(records.c.author == author, records.c.seq == seq)
        )
        return row.hash if row else None

    def has_record(self, record_hash: str) -> bool:
        return self._one(select(records.c.pos).where(records.c.hash == record_hash)) is not None

    def clock(self, record_hash: str) -> int | None:
        found = self._clocks.get(record_hash)
        if found is not None:
            return found
        row = self._one(select(records.c.clock).where(records.c.hash == record_hash))
        return int(row.clock) if row else None

    def resource(self, resource_id: str) -> ResourceState | None:
        if resource_id in self._resources:
            return self._resources[resource_id]
        row = self._one(select(resources).where(resources.c.id == resource_id))
        res = codec.resource_from_row(row) if row else None
        self._resources[resource_id] = res
        return res

    def _container_ids(self) -> set[str]:
        if self._containers is None:
            with self.engine.connect() as conn:
                self._containers = {
                    r[0] for r in conn.execute(
                        select(resources.c.contained_in).where(
                            resources.c.contained_in.is_not(None)).distinct()
                    )
                }  # fmt: skip
        return self._containers

    def may_contain(self, container_id: str) -> bool:
        return container_id in self._container_ids()

    def contents(self, container_id: str) -> list[ResourceState]:
        if container_id not in self._container_ids():
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(resources)
                .where(resources.c.contained_in == container_id)
                .order_by(resources.c.id)
            ).all()
        return [codec.resource_from_row(r) for r in rows]

    def process(self, process_id: str) -> ProcessState | None:
        return process_state(self.object(process_id))

    def event(self, event_id: str) -> EventState | None:
        if event_id in self._events:
            return self._events[event_id]
        row = self._one(select(events).where(events.c.id == event_id))
        ev = codec.event_from_row(row) if row else None
        self._events[event_id] = ev
        return ev

    def events_on(self, process_id: str, resource_id: str, action: str) -> list[EventState]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events)
                .where(
                    events.c.resource_inventoried_as == resource_id,
                    events.c.action == action,
                    (events.c.input_of == process_id) | (events.c.output_of == process_id),
                )
                .order_by(events.c.id)
            ).all()
        return [codec.event_from_row(r) for r in rows]

    def object(self, object_id: str) -> VfObject | None:
        if object_id in self._objects:
            return self._objects[object_id]
        row = self._one(select(vf_objects).where(vf_objects.c.id == object_id))
        obj = codec.object_from_row(row) if row else None
        self._objects[object_id] = obj
        return obj

    # -- the one transactional insert --------------------------------------------------------

    def commit(
        self,
        applied: Sequence[tuple[Record, Changes]],
        evidence: Sequence[Equivocation],
        *,
        write_log: bool = True,
        merged: Changes | None = None,
    ) -> None:
        if merged is None:
            merged = Changes()
            for _rec, ch in applied:
                merged.merge(ch)
        try:
            with self.engine.begin() as conn:
                if self.dialect == "sqlite":
                    conn.exec_driver_sql("SELECT 1")  # the transaction has begun
                pos = conn.execute(select(func.coalesce(func.max(records.c.pos), 0))).scalar()
                if self._pos >= 0 and pos != self._pos:
                    raise StaleStateError("another writer appended to this log; judge again")
                self._write(conn, applied, merged, evidence, write_log=write_log, after=pos)
                if not write_log and applied:
                    # a replay recomputes the clocks (a database migrated to clocks had them
                    # computed from prev and deps alone): keep the log's in step
                    conn.execute(
                        update(records)
                        .where(records.c.hash == bindparam("h"))
                        .values(clock=bindparam("c")),
                        [{"h": rec.hash, "c": ch.clock} for rec, ch in applied],
                    )
                if any(ch.relinks for _, ch in applied):
                    # earlier events' rows changed: caches that read only new records' events
                    # (the trace index) must read everything again
                    conn.execute(
                        update(store_meta)
                        .where(store_meta.c.key == PROJECTION_GENERATION)
                        .values(value=store_meta.c.value + 1)
                    )
                for rec, ch in applied:
                    for project in PROJECTORS:
                        project(conn, rec, ch)
                if applied:
                    for project_batch in BATCH_PROJECTORS:
                        project_batch(conn, applied)
                new_pos = conn.execute(select(func.coalesce(func.max(records.c.pos), 0))).scalar()
        except StaleStateError:
            self.clear_cache()
            self._pos = -1
            raise
        except SQLAlchemyError as exc:
            self.clear_cache()
            self._pos = -1
            raise StoreError(f"the commit failed, nothing was written: {exc}") from exc
        self._pos = int(new_pos)
        if evidence:
            self.cache_epoch += 1
        self._trim()
        self._resources.update(merged.resources)
        self._events.update(merged.events)
        self._objects.update(merged.objects)
        if len(self._clocks) > CACHE_LIMIT:
            self._clocks.clear()
        for rec, ch in applied:
            self._heads[rec.author] = (rec.seq, rec.hash)
            self._clocks[rec.hash] = ch.clock
        if self._containers is not None:
            self._containers.update(
                r.contained_in for r in merged.resources.values() if r.contained_in
            )

    def _write(
        self,
        conn: Connection,
        applied: Sequence[tuple[Record, Changes]],
        merged: Changes,
        evidence: Sequence[Equivocation],
        *,
        write_log: bool,
        after: int,
    ) -> None:
        if applied and write_log:
            write_rows(conn, records.name, codec.RECORD_COLS, codec.record_rows(applied))
        self._write_resources(conn, merged.resources.values())
        if merged.events:
            pos = self._positions(conn, applied, after if write_log else None)
            rows = codec.event_rows(merged.events.values(), pos)
            # an event already stored (corrected, relinked) keeps the position it was made at
            write_rows(conn, events.name, _EVENT_COLS, rows, keys=("id",), updates=_EVENT_UPDATES)
        objects = [codec.object_row(o) for o in merged.objects.values()]
        write_rows(conn, vf_objects.name, codec.OBJECT_COLS, objects, keys=("id",))
        by_table: dict[str, list[dict[str, Any]]] = {}
        for table, row in merged.rows:
            by_table.setdefault(table, []).append(row)
        for name, rows in by_table.items():
            self.upsert(conn, SERVICE_TABLES[name], rows)
        if evidence:
            detected = now()
            rows = [
                {
                    "author": e.author,
                    "seq": e.seq,
                    "kept": e.kept,
                    "other": e.other.hash,
                    "record": e.other.to_json(),
                    "detected": detected,
                }
                for e in evidence
            ]
            self.upsert(conn, equivocations, rows, keys=("author", "seq", "other"))

    @staticmethod
    def _positions(
        conn: Connection, applied: Sequence[tuple[Record, Changes]], after: int | None
    ) -> dict[str, int]:
        """record hash -> log position, for the records of this commit: those appended after
        ``after`` (one range read at the end of the log), or, on a replay, looked up."""
        if after is not None:  # on the ingest hot path: straight to the driver
            mark = param_mark(conn.dialect.name)
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(f"SELECT hash, pos FROM records WHERE pos > {mark}", (after,))
                return dict(cursor.fetchall())
            finally:
                cursor.close()
        hashes = [rec.hash for rec, ch in applied if ch.events]
        found: dict[str, int] = {}
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            rows = conn.execute(
                select(records.c.hash, records.c.pos).where(records.c.hash.in_(part))
            )
            found.update((h, int(p)) for h, p in rows)
        return found

    def _write_resources(self, conn: Connection, changed: Iterable[ResourceState]) -> None:
        """Most changes to a resource are to its quantities and breadcrumb. An upsert that sets
        every column rewrites the row's entries in all its indexes even where the indexed
        columns kept their values (SQLite; measured: twice the time of leaving them out), so a
        resource whose indexed columns are as this store last wrote them (its cache mirrors
        the database) is written without them."""
        full: list[tuple[Any, ...]] = []
        light: list[tuple[Any, ...]] = []
        for r in changed:
            before = self._resources.get(r.id)
            row = codec.resource_row(r)
            if before is not None and _indexed(before) == _indexed(r):
                light.append(row)
            else:
                full.append(row)
        write_rows(conn, resources.name, codec.RESOURCE_COLS, full, keys=("id",))
        write_rows(conn, resources.name, codec.RESOURCE_COLS, light, keys=("id",),
                   updates=_UNINDEXED, stored=True)  # fmt: skip

    def upsert(
        self,
        conn: Connection,
        table: Table,
        rows: list[dict[str, Any]],
        keys: tuple[str, ...] | None = None,
    ) -> None:
        """Insert rows, replacing those whose key exists (projections are last-writer-wins).

        The hot path of ingest: rows go straight to the driver (``reflow.store.bulk``),
        skipping per-row SQLAlchemy processing.
        """
        if not rows:
            return
        cols = tuple(rows[0])
        keys = keys or tuple(c.name for c in table.primary_key.columns)
        pick = itemgetter(*cols)  # one C call a row (a report row a record goes through here)
        tuples = [pick(r) for r in rows] if len(cols) > 1 else [(pick(r),) for r in rows]
        write_rows(conn, table.name, cols, tuples, keys=keys)

    # -- reads for services, the CLI and replication -----------------------------------------

    def iter_records(self, after_pos: int = 0, batch: int = 2000) -> Iterator[Record]:
        """The log in order, streamed in batches (memory stays bounded)."""
        pos = after_pos
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(records).where(records.c.pos > pos).order_by(records.c.pos).limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                yield record_from_row(row)
            pos = rows[-1].pos

    def get_record(self, record_hash: str) -> Record | None:
        row = self._one(select(records).where(records.c.hash == record_hash))
        return record_from_row(row) if row else None

    def objects_of_type(self, type_name: str) -> list[VfObject]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(vf_objects)
                .where(vf_objects.c.type == type_name, vf_objects.c.deleted.is_(False))
                .order_by(vf_objects.c.id)
            ).all()
        return [codec.object_from_row(r) for r in rows]

    def equivocations(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(equivocations).order_by(equivocations.c.id)).all()
        return [dict(r._mapping) for r in rows]

    def events_of_resource(self, resource_id: str) -> list[EventState]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(
                    (events.c.resource_inventoried_as == resource_id)
                    | (events.c.to_resource_inventoried_as == resource_id)
                )
            ).all()
        return [codec.event_from_row(r) for r in rows]


def record_from_row(row: Any) -> Record:
    m = row._mapping
    unsigned = json.loads(bytes(m["payload"]))
    unsigned["sig"] = m["sig"]
    return record_from_dict(unsigned)
