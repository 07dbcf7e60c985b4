"""The territory report's catch-up projection: events are placed when a report asks, not at ingest.

Placing an event (``reflow.report.places.place_event``) cost ~0.2 ms in the ingest commit, and a
node pays ingest for every record whether or not anyone ever asks it for a report. So the rows
of ``report_event_places`` are a tracking projection with its own position
(``report_position``: the last ``records.pos`` placed and the territory the rows were located
in). Every report first calls :func:`catch_up`, which places the events of the records after the
position in log order, in batches, and advances the position in the *same* transaction as the
rows: a batch is placed exactly once, or not at all.

Loading a territory (``territory.define``) only invalidates the position's territory; the next
catch-up re-locates the rows already placed from their recorded coordinates, as the in-commit
projector used to. Rebuild clears the tables (``DERIVED_TABLES``), and the state digest does
not hash them: a node that has not run a report yet holds the same state as one that has.

Concurrency: catch-up may run while the ledger appends (the web server). On SQLite it opens its
transaction with ``BEGIN IMMEDIATE`` (the database's writer lock: the ledger's commit waits for
the batch, or catch-up waits for the commit); on PostgreSQL it takes ``records`` in SHARE mode
(the same effect: appends wait, appends in flight finish first) and locks the position row
(``SELECT … FOR UPDATE``), so two catch-ups never place the same batch.

What a row takes from the state of the moment the event is recorded (the resources' locations,
stage and state, the places' coordinates, the specification's classes and ``massPerUnit``) is
kept as the ledger judges the event (``places.note_inputs``, a ledger observer, reading the judging
view), in a narrow row written with the record (``report_event_inputs``: refilled by a
rebuild's replay, not hashed): that is cheap, and it keeps every figure that of the moment,
whenever the report runs and however the records were batched (read at commit, a place moved
later in the same batch used to move the event too). The costly
part (districts, origins, reuse, distances, the wide row and its six indexes) is the catch-up's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from reflow.ledger.changes import Changes
from reflow.ledger.records import Record
from reflow.report import tables as t
from reflow.report.places import (
    _cache,
    place_event,
    relocate_all,
)
from reflow.store import codec
from reflow.store.schema import events, records, resources

BATCH = 2000  # records per transaction: short, since the ledger's commits wait for it
INVALID = "-"  # a territory was loaded: the rows must be re-located

_POS = t.position.c
_EP = t.event_places.c


class _Rec(NamedTuple):
    """What ``place_event`` reads of a record."""

    hash: str
    created: str


def _territory_version(conn: Connection) -> str:
    row = conn.execute(
        select(t.territory.c.record, t.territory.c.h3_resolution).where(
            t.territory.c.key == "current"
        )
    ).first()
    return f"{row[0]}:{row[1]}" if row else ""


def _lock_position(conn: Connection) -> tuple[int, str]:
    """Take the writer lock (SQLite) or the position row's lock (PostgreSQL); read it."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        row = conn.execute(select(_POS.pos, _POS.territory).where(_POS.key == "current")).first()
    else:
        # Wait for the ledger's commits in flight and hold off new ones for this batch: then
        # the records visible are a whole prefix of the log (a record committed late with a
        # lower ``pos`` would otherwise be skipped for ever). Taken before the row lock, in
        # the order the ledger's commit takes them (records, then the position).
        conn.exec_driver_sql("LOCK TABLE records IN SHARE MODE")
        conn.execute(
            postgresql.insert(t.position)
            .values(key="current", pos=0, territory=_territory_version(conn))
            .on_conflict_do_nothing()
        )
        row = conn.execute(
            select(_POS.pos, _POS.territory).where(_POS.key == "current").with_for_update()
        ).first()
    if row is None:  # a fresh store: no row was placed yet, in whatever territory
        version = _territory_version(conn)
        conn.execute(t.position.insert().values(key="current", pos=0, territory=version))
        return 0, version
    return int(row[0]), str(row[1])


def _place_batch(conn: Connection, after: int) -> tuple[int, int] | None:
    """Place the events of up to ``BATCH`` records after ``after``: (new position, records)."""
    poss = (
        conn.execute(
            select(records.c.pos).where(records.c.pos > after).order_by(records.c.pos).limit(BATCH)
        )
        .scalars()
        .all()
    )
    if not poss:
        return None
    last = int(poss[-1])
    inp = t.event_inputs.c
    rows = conn.execute(
        select(
            events,
            records.c.created.label("rec_created"),
            resources.c.id.label("res_id"),
            resources.c.created_by.label("res_created_by"),
            *(c.label(f"in_{c.name}") for c in t.event_inputs.c),
        )
        .join(records, records.c.hash == events.c.record)
        .join(t.event_inputs, inp.event_id == events.c.id)
        .outerjoin(resources, resources.c.id == events.c.resource_inventoried_as)
        .where(events.c.pos > after, events.c.pos <= last)
        .order_by(events.c.pos, events.c.id)
    ).all()
    placed: dict[str, dict[str, Any]] = {}
    gone: list[str] = []
    cache = _cache(conn)
    for r in rows:
        ev = codec.event_from_row(r)
        if ev.corrects:  # the correction replaces the corrected event's row
            if placed.pop(ev.corrects, None) is None:
                gone.append(ev.corrects)
            cache.places.pop(ev.corrects, None)
        rec: Any = _Rec(ev.record, r.rec_created)
        m = r._mapping
        inputs = {c.name: m[f"in_{c.name}"] for c in t.event_inputs.c}
        # which event created the resource never changes: today's row is that of the moment
        row = place_event(conn, rec, ev, inputs, r.res_id is not None, r.res_created_by)
        placed[ev.id] = row
        cache.places[ev.id] = (row["lat"], row["long"], row["origin_lat"], row["origin_long"])
    if gone:
        conn.execute(t.event_places.delete().where(_EP.event_id.in_(gone)))
    if placed:
        conn.execute(t.event_places.insert(), list(placed.values()))
    return last, len(poss)


def catch_up(engine: Engine) -> int:
    """Bring ``report_event_places`` up to the log; returns how many records it went through.

    Cheap when nothing is new (a few reads), so every report calls it first.
    """
    done = 0
    while True:
        with engine.begin() as conn:
            pos, version = _lock_position(conn)
            current = _territory_version(conn)
            if version != current:
                relocate_all(conn)
            batch = _place_batch(conn, pos)
            if batch is None and version == current:
                return done
            conn.execute(
                t.position.update()
                .where(_POS.key == "current")
                .values(pos=batch[0] if batch else pos, territory=current)
            )
        if batch is None:
            return done
        done += batch[1]


def project(conn: Connection, applied: Sequence[tuple[Record, Changes]]) -> None:
    """``BATCH_PROJECTORS`` entry: a loaded territory invalidates the placed rows.

    Rows of several records of one batch (append_many, rebuild) are written before the
    projectors run: put back a territory record's districts and territory row, so that the
    tables hold exactly the last territory of the batch (an upsert would keep districts an
    earlier territory had and the last one has not).
    """
    for rec, changes in applied:
        if rec.kind == "territory.define":
            _put_territory(conn, changes)


def _put_territory(conn: Connection, changes: Changes) -> None:
    for table in (t.districts, t.territory):
        conn.execute(table.delete())
        mine = [row for name, row in changes.rows if name == table.name]
        if mine:
            conn.execute(table.insert(), mine)
    _cache(conn).territory = None  # this transaction just wrote a new one
    # an upsert: a catch-up may be inserting the row at the same moment (PostgreSQL)
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(t.position).values(key="current", pos=0, territory=INVALID)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"territory": INVALID}))


# one event_places row, every column a named bind (the bench writes rows with it)
INSERT_ROW = t.event_places.insert().values({c.name: bindparam(c.name) for c in _EP})
