"""Filters of the list queries, as SQL over the projections (read-only).

Resources and events have columns for what people filter by; other VF objects keep their data
as JSON text, so their filters run on the decoded rows. Distances use the haversine formula on
the places' lat/long.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, false, or_, select

from reflow.api.nodes import object_node
from reflow.errors import RuleViolation
from reflow.store.schema import events, resources, vf_objects

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, long1: float, lat2: float, long2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def places_near(conn: Connection, lat: Any, long: Any, km: Any) -> list[str]:
    """Ids of the places within ``km`` of (lat, long)."""
    if lat is None or long is None:
        raise RuleViolation(
            "nearLat and nearLong go together", field="filter.nearLat", rule="near-filter"
        )
    radius = float(Decimal(km)) if km is not None else 10.0
    out = []
    rows = conn.execute(
        select(vf_objects).where(
            vf_objects.c.type == "SpatialThing", vf_objects.c.deleted.is_(False)
        )
    ).all()
    for row in rows:
        place = object_node(row)
        if place.get("lat") is None or place.get("long") is None:
            continue
        d = distance_km(float(lat), float(long), float(place["lat"]), float(place["long"]))
        if d <= radius:
            out.append(place["id"])
    return out


def _in(column: Any, values: Any) -> ColumnElement[bool] | None:
    if values is None:
        return None
    return column.in_(list(values)) if values else false()


def _any_classified(column: Any, uris: list[str] | None) -> ColumnElement[bool] | None:
    if uris is None:
        return None
    if not uris:
        return false()
    return or_(*(column.like(f"%{json.dumps(u)}%") for u in uris))


def resource_where(conn: Connection, f: dict[str, Any] | None) -> list[ColumnElement[bool]]:
    f = f or {}
    c = resources.c
    clauses = [
        _in(c.conforms_to, f.get("conformsTo")),
        _in(c.primary_accountable, f.get("primaryAccountable")),
        _in(c.custodian, f.get("custodian")),
        _in(c.current_location, f.get("currentLocation")),
        _any_classified(c.classified_as, f.get("classifiedAs")),
    ]
    if f.get("name"):
        clauses.append(c.name.ilike(f"%{f['name']}%"))
    if f.get("onhand"):
        clauses.append(c.onhand_quantity.not_in(["0", "-0"]) & ~c.onhand_quantity.like("-%"))
    if any(f.get(k) is not None for k in ("nearLat", "nearLong", "nearDistanceKm")):
        near = places_near(conn, f.get("nearLat"), f.get("nearLong"), f.get("nearDistanceKm"))
        clauses.append(_in(c.current_location, near))
    return [x for x in clauses if x is not None]


def event_where(f: dict[str, Any] | None) -> list[ColumnElement[bool]]:
    f = f or {}
    c = events.c
    clauses = [
        _in(c.action, f.get("action")),
        _in(c.provider, f.get("provider")),
        _in(c.receiver, f.get("receiver")),
        _in(c.resource_inventoried_as, f.get("resourceInventoriedAs")),
        _in(c.resource_conforms_to, f.get("resourceConformsTo")),
        _in(c.input_of, f.get("inputOf")),
        _in(c.output_of, f.get("outputOf")),
    ]
    if f.get("agent") is not None:
        clauses.append(or_(c.provider.in_(f["agent"]), c.receiver.in_(f["agent"])))
    when = c.has_point_in_time.is_not(None)
    if f.get("startDate"):
        s = f["startDate"]
        clauses.append(or_(c.has_point_in_time >= s, (~when) & (c.has_end >= s)))
    if f.get("endDate"):
        e = f["endDate"]
        clauses.append(or_(c.has_point_in_time <= e, (~when) & (c.has_beginning <= e)))
    return [x for x in clauses if x is not None]


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_window(node: dict[str, Any], key: str, want: str) -> bool:
    """startDate keeps what has not ended before it; endDate what has not begun after it.
    Something with no time at all is not excluded by a window."""
    bound = _instant(want)
    if key == "startDate":
        keys = ("hasEnd", "hasPointInTime", "due", "hasBeginning")
    else:
        keys = ("hasBeginning", "hasPointInTime", "due", "hasEnd")
    moment = next((m for m in (_instant(node.get(k)) for k in keys) if m is not None), None)
    if bound is None or moment is None:
        return True
    return moment >= bound if key == "startDate" else moment <= bound


def _matches(node: dict[str, Any], f: dict[str, Any]) -> bool:
    for key, want in f.items():
        if want is None:
            continue
        have = node.get(key)
        if key == "agent":
            agents = {node.get("provider"), node.get("receiver"), node.get("_author")}
            if not agents & set(want):
                return False
        elif key in ("startDate", "endDate"):
            if not _in_window(node, key, want):
                return False
        elif key == "name":
            if not isinstance(have, str) or want.lower() not in have.lower():
                return False
        elif isinstance(want, bool):
            if bool(have) != want:  # an absent flag is false (e.g. not finished)
                return False
        elif isinstance(want, list):
            values = have if isinstance(have, list) else [have]
            if not set(values) & set(want):
                return False
        elif have != want:
            return False
    return True


def object_where(
    conn: Connection, types: list[str], f: dict[str, Any] | None
) -> list[ColumnElement[bool]]:
    """Objects of ``types`` not withdrawn; a filter keeps those whose fields match it."""
    c = vf_objects.c
    where = [c.type.in_(types), c.deleted.is_(False)]
    if not f or all(v is None for v in f.values()):
        return where
    rows = conn.execute(select(vf_objects).where(*where)).all()
    ids = [n["id"] for n in (object_node(r) for r in rows) if _matches(n, f)]
    return [*where, c.id.in_(ids) if ids else false()]
