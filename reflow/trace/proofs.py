"""Gathering the signed records behind a trace, in a few set-based queries.

A passport carries every record its statements follow from: the events the walk listed or
stepped over, the events that created the resources they name, and the records that declared the
agents and created the processes, places and specifications they refer to (objects are named by
the hash of the record that created them, so that record is found by its hash prefix).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import and_, or_, select

from reflow.ledger.records import Record
from reflow.store.schema import events, records, resources, vf_objects
from reflow.store.sqlstore import SqlStore, record_from_row

BATCH = 500
_REF_KEYS = ("inputOf", "outputOf", "atLocation", "toLocation", "resourceConformsTo")
_OBJECT_REFS = ("atLocation", "basedOn", "primaryLocation", "conformsTo", "defaultUnitOfResource")


def _batches(ids: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for i in range(0, len(items), BATCH):
        yield items[i : i + BATCH]


def collect(store: SqlStore, event_ids: set[str], resource_ids: set[str]) -> list[Record]:
    """The records behind these events and resources, each once, in log order."""
    found: dict[str, Record] = {}
    with store.engine.connect() as conn:
        # Events, and the events that created the resources they name (transitively: a
        # resource created by a transfer takes its identity from the source).
        wanted_events = set(event_ids)
        pending = set(resource_ids)
        done_resources: set[str] = set()
        while pending:
            done_resources |= pending
            for chunk in _batches(pending):
                rows = conn.execute(
                    select(resources.c.created_by).where(resources.c.id.in_(chunk))
                ).all()
                wanted_events.update(r[0] for r in rows if r[0])
            pending = set()
            for chunk in _batches(wanted_events):
                rows = conn.execute(
                    select(events.c.resource_inventoried_as).where(events.c.id.in_(chunk))
                ).all()
                pending.update(r[0] for r in rows if r[0])
            pending -= done_resources
        hashes: set[str] = set()
        for chunk in _batches(wanted_events):
            rows = conn.execute(select(events.c.record).where(events.c.id.in_(chunk))).all()
            hashes.update(r[0] for r in rows)
        _load(conn, records.c.hash.in_, hashes, found)
        # Agents and objects the events refer to, and what those objects refer to.
        agents: set[str] = set()
        objects: set[str] = set()
        for rec in list(found.values()):
            ev = rec.body.get("event") or {}
            agents.update(x for x in (ev.get("provider"), ev.get("receiver")) if x)
            objects.update(ev[k] for k in _REF_KEYS if isinstance(ev.get(k), str))
            new = rec.body.get("newInventoriedResource") or {}
            if isinstance(new.get("currentLocation"), str):
                objects.add(new["currentLocation"])
        for _round in range(2):
            rows = _object_rows(conn, objects)
            for row in rows:
                data = _json(row.data)
                objects.update(data[k] for k in _OBJECT_REFS if isinstance(data.get(k), str))
        rows = _object_rows(conn, objects)
        last = {r.record for r in rows}
        _load(conn, records.c.hash.in_, last, found)
        for chunk in _batches(objects):  # creating records: hash starts with the object id
            cond = or_(*(and_(records.c.hash >= oid, records.c.hash < oid + "g") for oid in chunk))
            for row in conn.execute(select(records).where(cond)).all():
                found.setdefault(row.hash, record_from_row(row))
        for chunk in _batches(agents):
            rows = conn.execute(
                select(records).where(
                    records.c.kind == "agent.declare", records.c.author.in_(chunk)
                )
            ).all()
            for row in rows:
                found.setdefault(row.hash, record_from_row(row))
    return sorted(found.values(), key=lambda r: (r.author, r.seq))


def _object_rows(conn: Any, ids: set[str]) -> list[Any]:
    out = []
    for chunk in _batches(ids):
        out += conn.execute(
            select(vf_objects.c.id, vf_objects.c.record, vf_objects.c.data).where(
                vf_objects.c.id.in_(chunk)
            )
        ).all()
    return out


def _load(conn: Any, where: Any, hashes: set[str], found: dict[str, Record]) -> None:
    for chunk in _batches(hashes - set(found)):
        for row in conn.execute(select(records).where(where(chunk))).all():
            found[row.hash] = record_from_row(row)


def _json(text: str) -> dict[str, Any]:
    import json

    value = json.loads(text)
    return value if isinstance(value, dict) else {}
