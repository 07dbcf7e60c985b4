"""What the map shows, read from the services' projections: places, who and what is there, flows.

A read model for the map page (no writes, no HTTP): agents at their primary location (else at
the first place they recorded), resources at their current location, open offers and requests
at their place (``market.search.find``), and flows between places from the report service's
placed events — transfers and moves whose from-place differs from their place, and transports
(a pickup into a process and the dropoff out of it). Quantities are summed per (from, to,
material) in kg where the report could convert them, else in their own unit.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select

from reflow.market.search import find
from reflow.market.taxonomy import load_taxonomy
from reflow.node import Node
from reflow.report.catchup import catch_up
from reflow.report.scope import Scope, time_filter
from reflow.report.tables import event_places
from reflow.store.queries import all_resources
from reflow.vf.types import AGENT_TYPES
from reflow.web.render import unit_label

C = event_places.c


def _coords(data: dict[str, Any]) -> tuple[float, float] | None:
    try:
        return float(data["lat"]), float(data["long"])
    except (KeyError, TypeError, ValueError):
        return None


def places(node: Node) -> dict[str, dict[str, Any]]:
    """Every SpatialThing with coordinates, by id, with its city (see ``city_of``)."""
    out = {}
    for obj in node.store.objects_of_type("SpatialThing"):
        xy = _coords(obj.data)
        if xy is not None:
            out[obj.id] = {"id": obj.id, "name": obj.data.get("name"), "lat": xy[0], "long": xy[1],
                           "author": obj.author, "city": city_of(obj.data)}  # fmt: skip
    return out


def city_of(place: dict[str, Any]) -> str | None:
    """The last part of a place's ``mappableAddress`` ("Jordaan, Amsterdam" -> "Amsterdam"):
    how the map tells the pilot cities apart without knowing them in advance."""
    address = place.get("mappableAddress")
    if not isinstance(address, str) or "," not in address:
        return None
    return address.rsplit(",", 1)[1].strip() or None


def cities(node: Node) -> list[str]:
    return sorted({p["city"] for p in places(node).values() if p["city"]})


def class_labels(node: Node) -> dict[str, str]:
    """Classification URI -> a readable label (taxonomy label, else the kinds that carry it)."""
    tax = load_taxonomy(node.store.engine)
    carriers: dict[str, list[str]] = defaultdict(list)
    for spec in node.store.objects_of_type("ResourceSpecification"):
        for uri in spec.data.get("resourceClassifiedAs", []):
            carriers[uri].append(str(spec.data.get("name", spec.id)))
    out = {}
    for uri in sorted(set(carriers) | set(tax.concepts)):
        label = tax.label(uri)
        if label == uri:
            label = f"{uri.rstrip('/').rsplit('/', 1)[-1]} ({', '.join(sorted(carriers[uri]))})"
        out[uri] = label
    return out


def markers(
    node: Node, material: str | None = None, city: str | None = None
) -> list[dict[str, Any]]:
    """One marker per agent, resource, offer and request that has a place (in ``city``)."""
    where = places(node)
    first_place: dict[str, str] = {}
    for pid, p in where.items():
        first_place.setdefault(p["author"], pid)
    if city:
        where = {pid: p for pid, p in where.items() if p["city"] == city}
    out: list[dict[str, Any]] = []
    agent_names: dict[str, str] = {}
    for type_name in sorted(AGENT_TYPES):
        for a in node.store.objects_of_type(type_name):
            agent_names[a.id] = str(a.data.get("name") or a.id[:10])
            pid = a.data.get("primaryLocation") or first_place.get(a.id)
            if pid in where:
                out.append(
                    _marker(
                        "agent", where[pid], agent_names[a.id], a.type, f"/inventory?holder={a.id}"
                    )
                )
    for r in all_resources(node.store):
        if r.current_location not in where or not r.onhand_quantity:
            continue  # nothing of it is there to see (used up, given away, packed away)
        if material and material not in _classes(node, r.conforms_to, r.classified_as):
            continue
        held = agent_names.get(r.custodian or "", "")
        detail = f"{_text(r.onhand_quantity)} {unit_label(r.unit)} · {held}"
        out.append(_marker("resource", where[r.current_location], r.name or r.id[:10], detail,
                           f"/resources/{r.id}"))  # fmt: skip
    labels = class_labels(node)
    for purpose in ("offer", "request"):
        for row in find(node.store, purpose, classified=material or None, limit=500):
            if row["lat"] is None or row["location"] not in where:
                continue
            classes = ", ".join(labels.get(c, c) for c in row["classes"])
            what = _spec_name(node, row["spec"]) or classes or row["action"]
            who = agent_names.get(row["agent"], "")
            detail = f"{row['available']} {unit_label(row['unit'])} · {who}"
            out.append(_marker(purpose, where[row["location"]], what, detail,
                               f"/market/{row['proposal']}"))  # fmt: skip
    return out


def _marker(kind: str, place: dict[str, Any], title: str, detail: str, href: str) -> dict[str, Any]:
    return {"kind": kind, "lat": place["lat"], "long": place["long"], "place": place["name"],
            "title": title, "detail": detail, "href": href}  # fmt: skip


def _classes(node: Node, spec: str | None, own: tuple[str, ...] | list[str]) -> set[str]:
    out = set(own)
    obj = node.store.object(spec) if spec else None
    if obj is not None:
        out.update(obj.data.get("resourceClassifiedAs", []))
    return out


def _spec_name(node: Node, spec: str | None) -> str | None:
    obj = node.store.object(spec) if spec else None
    return str(obj.data.get("name")) if obj is not None and obj.data.get("name") else None


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def flows(node: Node, scope: Scope, city: str | None = None) -> list[dict[str, Any]]:
    """Lines between places (one end in ``city``) with the quantity moved, biggest first."""
    catch_up(node.store.engine)  # place the events recorded since the last report
    conds = time_filter(scope)
    moved = select(C.from_lat, C.from_long, C.lat, C.long, C.material, C.mass_kg, C.quantity,
                   C.unit, C.action).where(
        C.from_lat.is_not(None), C.lat.is_not(None),
        (C.from_lat != C.lat) | (C.from_long != C.long), *conds,
    )  # fmt: skip
    pick, drop = event_places.alias("pick"), event_places.alias("drop")
    transport = (
        select(pick.c.lat, pick.c.long, drop.c.lat, drop.c.long, drop.c.material, drop.c.mass_kg,
               drop.c.quantity, drop.c.unit, drop.c.action)
        .join(drop, and_(drop.c.output_of == pick.c.input_of, drop.c.resource == pick.c.resource))
        .where(pick.c.action == "pickup", drop.c.action == "dropoff", pick.c.lat.is_not(None),
               drop.c.lat.is_not(None))
    )  # fmt: skip
    if scope.start:
        transport = transport.where(drop.c.at >= scope.start)
    if scope.end:
        transport = transport.where(drop.c.at < scope.end)
    if scope.material:
        transport = transport.where(drop.c.material == scope.material)
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    with node.store.engine.connect() as conn:
        rows = [*conn.execute(moved).all(), *conn.execute(transport).all()]
    for flat, flong, lat, long, material, kg, qty, unit, action in rows:
        if (flat, flong) == (lat, long):
            continue
        unit_key = "kg" if kg is not None else (unit or "")
        key = (flat, flong, lat, long, material, unit_key)
        row = sums.setdefault(key, {
            "from": [float(flat), float(flong)], "to": [float(lat), float(long)],
            "material": material, "unit": unit_key, "quantity": Decimal(0), "events": 0,
            "actions": set(),
        })  # fmt: skip
        row["quantity"] += Decimal(kg if kg is not None else (qty or "0"))
        row["events"] += 1
        row["actions"].add(action)
    named = {(p["lat"], p["long"]): p for p in places(node).values()}
    out = []
    for r in sums.values():
        ends = [named.get(tuple(r["from"])), named.get(tuple(r["to"]))]
        if city and not any(p and p["city"] == city for p in ends):
            continue
        names = [p["name"] if p else None for p in ends]
        out.append({**r, "quantity": float(r["quantity"]), "actions": sorted(r["actions"]),
                    "fromName": names[0], "toName": names[1]})  # fmt: skip
    return sorted(out, key=lambda r: -r["quantity"])
