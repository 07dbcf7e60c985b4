"""The projector that places every event once: district, coordinates, material, mass in kg.

Where an event happens (first found wins): its ``toLocation``, its ``atLocation``, the
``atLocation`` of the process it is an input or output of, the current location of the resource
it leaves behind (the receiving resource for a transfer). A transfer or move also has a
*from*-place: its ``atLocation`` when it names a ``toLocation`` too, else where the resource was
(the giving resource's location, or the place of the resource's previous event). The *origin*
of a flow is the place of the event that raised or produced the resource it concerns.

Figures are fixed when the event is recorded, like the event itself: a later change of a place's
coordinates or of a specification's ``massPerUnit`` applies to later events (a territory load
re-places every event, from the coordinates recorded then).

Two steps. ``record_inputs`` runs as the ledger judges the event (an observer, see
``reflow.ledger.kinds``) and keeps, in a narrow row written in the record's transaction, what the
event takes from the state of that moment (``report_event_inputs``). ``place_event`` runs when
a report catches up (``reflow.report.catchup``), off the ingest hot path: districts, origin,
reuse, distance, the wide indexed row. Loading a territory re-locates every row.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, func, select

from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.report import tables as t
from reflow.report.materials import (
    WASTE_STATES,
    is_waste_class,
    mass_kg,
    material_group,
)
from reflow.report.territory import DEFAULT_H3_RESOLUTION, NO_PLACE, District, Territory
from reflow.report.territory import haversine_km as _haversine
from reflow.store import codec
from reflow.store.schema import events, records
from reflow.vf.state import EventState, ResourceState

TRANSFER_LIKE = frozenset({"transfer", "transferAllRights", "transferCustody", "move"})
HANDOVER = frozenset({"transfer", "transferAllRights", "transferCustody"})
CREATING = frozenset({"raise", "produce"})

# by (territory record, H3 resolution, district count, first and last defining record)
_TERRITORIES: dict[tuple[Any, ...], Territory] = {}

LatLong = tuple[Decimal, Decimal]

# Statements built once (building a statement costs more than running it on the hot path).
_EP = t.event_places.c
_EVENT_INPUTS: str = t.event_inputs.name
_Q_TERRITORY = select(t.territory.c.record, t.territory.c.h3_resolution).where(
    t.territory.c.key == "current"
)
_Q_DISTRICT_SET = select(
    func.count(), func.min(t.districts.c.record), func.max(t.districts.c.record)
)
_Q_PLACE = select(_EP.lat, _EP.long, _EP.origin_lat, _EP.origin_long).where(
    _EP.event_id == bindparam("i")
)
_Q_PARENT = select(events.c.resource_inventoried_as).where(events.c.id == bindparam("i"))
_Q_USED = (
    select(events.c.id)
    .join(records, records.c.hash == events.c.record)
    .where(
        events.c.resource_inventoried_as.in_([bindparam("a"), bindparam("b")]),
        events.c.action == "use",
        records.c.pos
        < select(records.c.pos).where(records.c.hash == bindparam("h")).scalar_subquery(),
    )
    .limit(1)
)


_RAW_SQL: dict[str, dict[int, tuple[str, dict[str, Any]]]] = {}


def _raw(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a prebuilt statement on the DBAPI cursor of the same transaction: on the ingest hot
    path SQLAlchemy's per-execute overhead costs more than SQLite's work."""
    sql, defaults = _compiled(conn, stmt)
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, {**defaults, **params})
        return list(cur.fetchall()) if cur.description else []
    finally:
        cur.close()


def _compiled(conn: Connection, stmt: Any) -> tuple[str, dict[str, Any]]:
    name = conn.dialect.name
    compiled = _RAW_SQL.setdefault(name, {})
    key = id(stmt)  # the statements are module constants
    if key not in compiled:
        dialect = conn.dialect
        if name == "sqlite":
            from sqlalchemy.dialects import sqlite

            dialect = sqlite.dialect(paramstyle="named")
        c = stmt.compile(dialect=dialect)
        compiled[key] = (str(c), dict(c.params))  # constants in the statement are binds too
    return compiled[key]


class _TxCache:
    """What one commit transaction has read: every write of the batch precedes the projectors,
    so within a transaction a read never goes stale. A new one for each transaction."""

    def __init__(self, tx: Any) -> None:
        self.tx: Any = tx
        self.places: dict[str, tuple[str | None, ...] | None] = {}
        self.territory: Territory | None = None


_TX = threading.local()  # each thread's _TxCache (commits run on several threads)


def _cache(conn: Connection) -> _TxCache:
    tx = conn.get_transaction()
    found: _TxCache | None = getattr(_TX, "cache", None)
    if found is None or found.tx is not tx or tx is None:
        found = _TX.cache = _TxCache(tx)
    return found


def current_territory(conn: Connection) -> Territory:
    cache = _cache(conn)
    if cache.territory is not None:
        return cache.territory
    found_rows = _raw(conn, _Q_TERRITORY, {})
    row = found_rows[0] if found_rows else None
    # Keyed by what the tables hold, not only by the territory row: within one batch the rows
    # of several territory.define records may be in the tables at once.
    key = (row[0] if row else "", row[1] if row else None, *_raw(conn, _Q_DISTRICT_SET, {})[0])
    found = _TERRITORIES.get(key)
    if found is None:
        ds = [
            District(
                d.id,
                d.name,
                json.loads(d.geometry),
                (float(d.min_long), float(d.min_lat), float(d.max_long), float(d.max_lat)),
            )
            for d in conn.execute(select(t.districts).order_by(t.districts.c.id))
        ]
        found = Territory(ds, row[1] if row else DEFAULT_H3_RESOLUTION)
        if len(_TERRITORIES) > 16:
            _TERRITORIES.clear()
        _TERRITORIES[key] = found
    cache.territory = found
    return found


def _object(view: BatchView, oid: str | None) -> dict[str, Any] | None:
    obj = view.object(oid) if oid else None
    return obj.data if obj is not None else None


def _latlong(view: BatchView, place_id: str | None) -> LatLong | None:
    obj = _object(view, place_id)
    if obj is None or obj.get("lat") is None or obj.get("long") is None:
        return None
    return Decimal(obj["lat"]), Decimal(obj["long"])


# A place's coordinates as the rows hold them, by the text they are given in: every event names
# one of a few places, and reading and writing a coordinate's decimal is most of the cost.
_PLACE_TEXT: dict[tuple[str, str], tuple[str | None, str | None]] = {}


def _place_text(view: BatchView, place_id: str | None) -> tuple[str | None, str | None] | None:
    """``_latlong`` as the text of its decimals."""
    obj = _object(view, place_id)
    if obj is None:
        return None
    lat, long = obj.get("lat"), obj.get("long")
    if lat is None or long is None:
        return None
    if not (isinstance(lat, str) and isinstance(long, str)):
        return _text(Decimal(lat)), _text(Decimal(long))
    found = _PLACE_TEXT.get((lat, long))
    if found is None:
        if len(_PLACE_TEXT) >= 4096:
            _PLACE_TEXT.clear()
        found = _PLACE_TEXT[(lat, long)] = (_text(Decimal(lat)), _text(Decimal(long)))
    return found


def _resource(view: BatchView, rid: str | None, changes: Changes) -> ResourceState | None:
    if not rid:
        return None
    found = changes.resources.get(rid)
    return found if found is not None else view.resource(rid)


def _row_place(conn: Connection, event_id: str | None, origin: bool = False) -> LatLong | None:
    """The place (or the origin) of an event already projected."""
    if not event_id:
        return None
    cache = _cache(conn).places
    if event_id not in cache:
        rows = _raw(conn, _Q_PLACE, {"i": event_id})
        cache[event_id] = rows[0] if rows else None
    found = cache[event_id]
    if found is None:
        return None
    lat, long = (found[2], found[3]) if origin else (found[0], found[1])
    return None if lat is None or long is None else (Decimal(lat), Decimal(long))


def utc_time(value: str | None) -> str | None:
    if not value:
        return None
    try:
        d = datetime.fromisoformat(value)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _used_before(conn: Connection, rids: list[str], record_hash: str) -> bool:
    """Whether someone used the resource (or what it was split from) before: then it is reuse.

    "Before" is log order: a batch writes all its events before the projectors run.
    """
    params = {"a": rids[0], "b": rids[-1], "h": record_hash}
    return bool(_raw(conn, _Q_USED, params))


def _text(v: Decimal | None) -> str | None:
    return codec.dec_text(v)


def note_inputs(ctx: Context, changes: Changes) -> None:
    """Ledger observer (``reflow.report.catchup``): the narrow row of what each event the record
    makes takes from the state of the moment it is judged, written with the record. Here, with
    ``record_inputs``, because it runs for every record a node takes (compiled with it)."""
    for ev in changes.events.values():
        if ev.record == ctx.record.hash:  # not an older event marked as corrected
            changes.rows.append((_EVENT_INPUTS, record_inputs(ctx.view, ev, changes)))


def record_inputs(view: BatchView, ev: EventState, changes: Changes) -> dict[str, Any]:
    """What an event's row takes from the state *when it is recorded* (``report_event_inputs``).

    The resources' locations, stage and state, the places' coordinates, the specification's
    classes and ``massPerUnit`` may change later; the figures stay those of the moment the event
    is judged (``view`` and the record's ``changes``), whatever else its batch holds. Everything
    else waits for a report.
    """
    body = ev.body
    res = _resource(view, ev.resource_inventoried_as, changes)
    to_res = _resource(view, ev.to_resource_inventoried_as, changes)
    spec_id = body.get("resourceConformsTo") or (res.conforms_to if res else None)
    spec = _object(view, spec_id) or {}
    proc = _object(view, ev.input_of or ev.output_of) or {}

    place = None
    held = to_res or res
    for pid in (
        body.get("toLocation"),
        body.get("atLocation"),
        proc.get("atLocation"),
        held.current_location if held is not None else None,
    ):
        place = _place_text(view, pid)
        if place is not None:
            break

    src = None  # when None for a transfer, a report takes the place of the previous event
    if ev.action in TRANSFER_LIKE:
        if body.get("toLocation") and body.get("atLocation"):
            src = _place_text(view, body["atLocation"])
        elif res is not None and to_res is not None and to_res.id != res.id:
            src = _place_text(view, res.current_location)

    uris = [*spec.get("resourceClassifiedAs", ()), *(res.classified_as if res else ())]
    uris += body.get("resourceClassifiedAs") or []
    stage = _object(view, res.stage) if res and res.stage else None
    states = {
        (res.state or "").casefold() if res else "",
        str(body.get("state") or "").casefold(),
        str((stage or {}).get("name") or "").casefold(),
    }
    waste = is_waste_class(uris) or bool(states & WASTE_STATES)
    mass, reason = mass_kg(ev.resource_quantity, ev.resource_unit, spec)
    return {
        "event_id": ev.id,
        "lat": place[0] if place else None,
        "long": place[1] if place else None,
        "from_lat": src[0] if src else None,
        "from_long": src[1] if src else None,
        "spec": spec_id,
        "material": material_group(uris),
        "is_waste": int(waste),
        "mass_kg": _text(mass),
        "mass_reason": reason,
    }


def _pair(lat: str | None, long: str | None) -> LatLong | None:
    return None if lat is None or long is None else (Decimal(lat), Decimal(long))


class RecordRef(Protocol):
    """What ``place_event`` reads of a record (a catch-up passes only these columns)."""

    @property
    def hash(self) -> str: ...

    @property
    def created(self) -> str: ...


def place_event(
    conn: Connection,
    rec: RecordRef,
    ev: EventState,
    inputs: dict[str, Any],
    has_resource: bool,
    created_by: str | None,
) -> dict[str, Any]:
    """The report row of one event, from its recorded inputs and the log before it.

    ``has_resource``: the event's ``resourceInventoriedAs`` exists; ``created_by``: the event
    that created it.
    """
    body = ev.body
    terr = current_territory(conn)
    place = _pair(inputs["lat"], inputs["long"])
    src = _pair(inputs["from_lat"], inputs["from_long"])
    if src is None and ev.action in TRANSFER_LIKE:
        src = _row_place(conn, ev.previous_event)
    rid = ev.resource_inventoried_as if has_resource else None
    origin = place if ev.action in CREATING else _row_place(conn, created_by, origin=True)

    reuse = False
    if ev.action in HANDOVER | {"consume"} and rid is not None:
        rids = [rid]
        parent = _raw(conn, _Q_PARENT, {"i": created_by}) if created_by else None
        if parent and parent[0][0] and parent[0][0] != rid:
            rids.append(parent[0][0])
        reuse = _used_before(conn, rids, rec.hash)

    mass = inputs["mass_kg"]
    when = (
        utc_time(body.get("hasPointInTime"))
        or utc_time(body.get("hasEnd"))
        or utc_time(body.get("hasBeginning"))
        or utc_time(rec.created)
    )
    district, why = terr.locate(*place) if place else (None, NO_PLACE)
    origin_district = terr.locate(*origin)[0] if origin else None
    distance = None
    if place and src:
        km = _haversine(float(src[0]), float(src[1]), float(place[0]), float(place[1]))
        distance = f"{km:.6f}"
    return {
        "event_id": ev.id, "record": ev.record, "action": ev.action, "provider": ev.provider,
        "receiver": ev.receiver, "at": when, "month": (when or "")[:7], "input_of": ev.input_of,
        "output_of": ev.output_of,
        "resource": ev.resource_inventoried_as, "spec": inputs["spec"],
        "material": inputs["material"],
        "is_waste": inputs["is_waste"], "is_reuse": int(reuse),
        "is_repair": int(ev.action == "modify"),
        "has_input": int(ev.input_of is not None), "has_mass": int(mass is not None),
        "has_distance": int(distance is not None),
        "quantity": _text(ev.resource_quantity), "unit": ev.resource_unit,
        "mass_kg": mass, "mass_reason": inputs["mass_reason"],
        "lat": inputs["lat"], "long": inputs["long"],
        "district": district, "place_reason": why,
        "from_lat": _text(src[0]) if src else None, "from_long": _text(src[1]) if src else None,
        "from_district": terr.locate(*src)[0] if src else None,
        "origin_lat": _text(origin[0]) if origin else None,
        "origin_long": _text(origin[1]) if origin else None,
        "origin_district": origin_district, "is_local": int(origin_district is not None),
        "distance_km": distance,
    }  # fmt: skip


def relocate_all(conn: Connection) -> int:
    """Re-place every row in the current territory (after a territory is loaded)."""
    terr = current_territory(conn)
    c = t.event_places.c
    rows = conn.execute(
        select(c.event_id, c.lat, c.long, c.from_lat, c.from_long, c.origin_lat, c.origin_long)
    ).all()

    def loc(lat: str | None, long: str | None) -> str | None:
        if lat is None or long is None:
            return None
        return terr.locate(Decimal(lat), Decimal(long))[0]

    updates = []
    for r in rows:
        d, why = terr.locate(Decimal(r.lat), Decimal(r.long)) if r.lat else (None, NO_PLACE)
        od = loc(r.origin_lat, r.origin_long)
        updates.append({
            "eid": r.event_id, "d": d, "why": why, "fd": loc(r.from_lat, r.from_long),
            "od": od, "local": int(od is not None),
        })  # fmt: skip
    if updates:
        stmt = (
            t.event_places.update()
            .where(c.event_id == bindparam("eid"))
            .values(
                district=bindparam("d"),
                place_reason=bindparam("why"),
                from_district=bindparam("fd"),
                origin_district=bindparam("od"),
                is_local=bindparam("local"),
            )
        )
        conn.execute(stmt, updates)
    return len(updates)
