"""What a passport says, computed from signed records alone (no database, no network).

The node that issues a passport and anyone who verifies it run this same function over the same
records, so every statement of the document — the trace, the graph of events, processes,
resources, agents, places and units, and the summary people read — either follows from the
signed records or the verification fails. The only inputs that are not records are the
*claims*: the ``previousEvent`` breadcrumbs (state the node computed, which the records do not
carry) and the resource's newest breadcrumb; the verifier checks them for consistency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from reflow.errors import ReflowError
from reflow.ledger.records import Record, derive_id
from reflow.trace.algorithms import FlowResult, trace
from reflow.trace.graph import EVENT, PROCESS, RESOURCE, EventLink, FlowGraph, Node
from reflow.vf.actions import get_action
from reflow.vf.units import get_unit

EARTH_RADIUS_KM = 6371.0088


@dataclass
class Facts:
    """The VF objects and events the records state, indexed by id."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {type, data}
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> event body
    new: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> new resource
    record_of: dict[str, str] = field(default_factory=dict)  # event id -> record hash
    links: dict[str, EventLink] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)  # resource id -> creating event


def read_facts(records: list[Record], breadcrumbs: dict[str, list[str | None]]) -> Facts:
    """Index what the records say; ids are derived from record hashes as the ledger does."""
    f = Facts()
    for rec in sorted(records, key=lambda r: (r.author, r.seq)):
        body = rec.body
        if rec.kind == "agent.declare":
            f.objects[rec.author] = {"type": body.get("type"), "data": dict(body.get("data", {}))}
        elif rec.kind == "vf.create":
            f.objects[derive_id(rec.hash)] = {"type": body.get("type"), "data": body.get("data")}
        elif rec.kind == "vf.update" and body.get("id") in f.objects:
            data = {**f.objects[body["id"]]["data"], **body.get("data", {})}
            f.objects[body["id"]]["data"] = {k: v for k, v in data.items() if v is not None}
        elif rec.kind == "vf.event":
            _read_event(f, rec, breadcrumbs)
    return f


def _read_event(f: Facts, rec: Record, breadcrumbs: dict[str, list[str | None]]) -> None:
    ev = rec.body.get("event") or {}
    eid = derive_id(rec.hash, "event")
    action = get_action(ev.get("action", ""))
    res = ev.get("resourceInventoriedAs")
    to = ev.get("toResourceInventoriedAs")
    if res is None and action.create_resource == "optional" and ev.get("resourceQuantity"):
        res = derive_id(rec.hash, "resource")
        f.created[res] = eid
    if to is None and action.create_resource == "optionalTo" and res and not ev.get("corrects"):
        to = derive_id(rec.hash, "to")
        f.created[to] = eid
    prev, to_prev, corrected_by = (breadcrumbs.get(eid) or [None, None, None])[:3]
    f.events[eid] = ev
    f.new[eid] = rec.body.get("newInventoriedResource") or {}
    f.record_of[eid] = rec.hash
    f.links[eid] = EventLink(
        eid, action.id, ev.get("inputOf"), ev.get("outputOf"), res, to, prev, to_prev,
        corrected_by,
    )  # fmt: skip


def walk(f: Facts, resource_id: str, head: str | None) -> FlowResult:
    """The trace of ``resource_id`` over the events the records state."""
    graph = FlowGraph(f.links.values(), {resource_id: head})
    return trace(graph, Node(RESOURCE, resource_id))


def derive(f: Facts, result: FlowResult) -> dict[str, Any]:
    """The passport's ``summary``, ``trace`` and ``graph`` sections."""
    flows = result.flows
    event_ids = [fl.node.id for fl in flows if fl.node.kind == EVENT]
    process_ids = [fl.node.id for fl in flows if fl.node.kind == PROCESS]
    resources = _resources(f, [fl.node.id for fl in flows if fl.node.kind == RESOURCE], event_ids)
    agents, places, units = _referenced(f, event_ids, process_ids, resources)
    graph = {
        "events": [_event_doc(f, eid) for eid in event_ids],
        "processes": [_object_doc(f, pid, "Process") for pid in process_ids],
        "resources": [resources[rid] for rid in sorted(resources)],
        "agents": [_object_doc(f, a, "Agent") for a in sorted(agents)],
        "locations": [_object_doc(f, p, "SpatialThing") for p in sorted(places)],
        "units": [_unit_doc(u) for u in sorted(units)],
    }
    summary = _summary(f, result, resources)
    return {
        "summary": summary,
        "trace": {"flows": [fl.as_dict() for fl in flows], "tree": result.tree()},
        "graph": graph,
    }


def _name(f: Facts, oid: str | None) -> str | None:
    if oid is None:
        return None
    obj = f.objects.get(oid)
    return obj["data"].get("name") if obj else None


def _resources(f: Facts, listed: list[str], event_ids: list[str]) -> dict[str, dict[str, Any]]:
    ids = set(listed)
    for eid in event_ids:
        link = f.links[eid]
        if link.res:
            ids.add(link.res)
        if link.to and link.action != "combine":  # combine's "to" is the container
            ids.add(link.to)
    return {rid: _resource_doc(f, rid, set()) for rid in ids}


def _resource_doc(f: Facts, rid: str, seen: set[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"@id": rid, "@type": "vf:EconomicResource"}
    eid = f.created.get(rid)
    if eid is None or rid in seen:
        return doc
    seen.add(rid)
    link, ev, new = f.links[eid], f.events[eid], f.new[eid]
    if link.to == rid and link.res:  # a transfer's receiving side keeps the source's identity
        src = _resource_doc(f, link.res, seen)
        doc.update({k: v for k, v in src.items() if k not in ("@id", "createdBy")})
    else:
        for key in ("name", "trackingIdentifier", "lot", "note"):
            if new.get(key) is not None:
                doc[key] = new[key]
        if ev.get("resourceConformsTo"):
            doc["conformsTo"] = ev["resourceConformsTo"]
    doc["createdBy"] = eid
    return doc


def _event_doc(f: Facts, eid: str) -> dict[str, Any]:
    ev, link = f.events[eid], f.links[eid]
    doc: dict[str, Any] = {"@id": eid, "@type": "vf:EconomicEvent"}
    keys = ("action", "provider", "receiver", "inputOf", "outputOf", "resourceConformsTo",
            "resourceQuantity", "effortQuantity", "hasPointInTime", "hasBeginning", "hasEnd",
            "atLocation", "toLocation", "state", "note", "corrects")  # fmt: skip
    doc.update({k: ev[k] for k in keys if ev.get(k) is not None})
    if link.res:
        doc["resourceInventoriedAs"] = link.res
    if link.to:
        doc["toResourceInventoriedAs"] = link.to
    if link.previous_event:
        doc["previousEvent"] = link.previous_event
    doc["record"] = f.record_of[eid]
    return doc


def _object_doc(f: Facts, oid: str, kind: str) -> dict[str, Any]:
    obj = f.objects.get(oid)
    doc: dict[str, Any] = {"@id": oid, "@type": f"vf:{obj['type'] if obj else kind}"}
    if obj:
        doc.update({k: v for k, v in sorted(obj["data"].items()) if v is not None})
    return doc


def _unit_doc(unit: str) -> dict[str, Any]:
    try:
        u = get_unit(unit)
        return {"@id": unit, "label": u.label, "symbol": u.symbol}
    except ReflowError:
        return {"@id": unit}


def _referenced(
    f: Facts, event_ids: list[str], process_ids: list[str], resources: dict[str, dict[str, Any]]
) -> tuple[set[str], set[str], set[str]]:
    agents: set[str] = set()
    places: set[str] = set()
    units: set[str] = set()
    for eid in event_ids:
        ev = f.events[eid]
        agents.update(x for x in (ev.get("provider"), ev.get("receiver")) if x)
        places.update(x for x in (ev.get("atLocation"), ev.get("toLocation")) if x)
        for m in (ev.get("resourceQuantity"), ev.get("effortQuantity")):
            if isinstance(m, dict) and m.get("hasUnit"):
                units.add(m["hasUnit"])
    for pid in process_ids:
        loc = (f.objects.get(pid) or {}).get("data", {}).get("atLocation")
        if loc:
            places.add(loc)
    for doc in resources.values():
        eid = doc.get("createdBy")
        loc = f.new.get(eid, {}).get("currentLocation") if eid else None
        if loc:
            places.add(loc)
    return agents, places, units


# -- the summary ---------------------------------------------------------------------------------


def _place_of(f: Facts, eid: str) -> str | None:
    ev = f.events[eid]
    if ev.get("toLocation") or ev.get("atLocation"):
        return ev.get("toLocation") or ev.get("atLocation")
    proc = ev.get("outputOf") or ev.get("inputOf")
    loc = (f.objects.get(proc) or {}).get("data", {}).get("atLocation") if proc else None
    return loc or f.new.get(eid, {}).get("currentLocation")


def _place_before(f: Facts, rid: str, eid: str) -> str | None:
    """Where ``rid`` was just before event ``eid``: the nearest place back along its chain."""
    link = f.links.get(eid)
    seen: set[str] = set()
    while link is not None and link.id not in seen:
        seen.add(link.id)
        crumb = link.previous_event if link.res == rid else link.to_previous_event
        if crumb is None:
            if link.to == rid and link.res:  # created by a transfer: where the source was
                return _place_before(f, link.res, link.id)
            return None
        link = f.links.get(crumb)
        if link is not None and _place_of(f, link.id):
            return _place_of(f, link.id)
    return None


def _point(f: Facts, pid: str) -> tuple[float, float] | None:
    data = (f.objects.get(pid) or {}).get("data", {})
    try:
        return float(data["lat"]), float(data["long"])
    except (KeyError, TypeError, ValueError):
        return None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _legs(f: Facts, event_ids: list[str]) -> list[dict[str, Any]]:
    legs = []
    for eid in event_ids:
        ev, link = f.events[eid], f.links[eid]
        dest = ev.get("toLocation")
        if not dest or link.res is None:
            continue
        origin = ev.get("atLocation") or _place_before(f, link.res, eid)
        if origin is None or origin == dest:
            continue
        a, b = _point(f, origin), _point(f, dest)
        km = Decimal(repr(haversine_km(a, b))) if a and b else None
        legs.append({"event": eid, "from": origin, "to": dest, "km": _km(km)})
    return legs


def _km(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.1"), ROUND_HALF_EVEN))


def _summary(f: Facts, result: FlowResult, resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    flows = list(reversed(result.flows))  # oldest first, roughly: read as a story
    event_ids = [fl.node.id for fl in flows if fl.node.kind == EVENT]
    roles = {fl.node.id: fl.role for fl in flows}
    start = resources.get(result.start.id, {})
    materials = []
    for eid in event_ids:
        ev, link = f.events[eid], f.links[eid]
        if link.action in ("consume", "use", "cite") and link.res:
            q = ev.get("resourceQuantity") or ev.get("effortQuantity") or {}
            materials.append({
                "resource": link.res, "name": resources.get(link.res, {}).get("name"),
                "action": link.action, "quantity": q.get("hasNumericalValue"),
                "unit": q.get("hasUnit"), "process": _name(f, link.input_of),
            })  # fmt: skip
    processes = [
        {"id": fl.node.id, "name": _name(f, fl.node.id), "role": fl.role,
         "stage": _name(f, (f.objects.get(fl.node.id) or {}).get("data", {}).get("basedOn"))}
        for fl in flows if fl.node.kind == PROCESS
    ]  # fmt: skip
    contributors: dict[str, dict[str, Any]] = {}
    for eid in event_ids:
        ev = f.events[eid]
        for side in ("provider", "receiver"):
            agent = ev.get(side)
            if not agent:
                continue
            c = contributors.setdefault(agent, {"id": agent, "name": _name(f, agent),
                                                "type": (f.objects.get(agent) or {}).get("type"),
                                                "actions": set()})  # fmt: skip
            if side == "provider":
                c["actions"].add(ev.get("action"))
    people = [
        {**c, "actions": sorted(c["actions"])}
        for c in sorted(contributors.values(), key=lambda c: (c["name"] or "", c["id"]))
    ]
    legs = _legs(f, event_ids)
    total = sum((Decimal(leg["km"]) for leg in legs if leg["km"]), Decimal(0))
    # The places of the journey (legs first, in order), then the other places events name.
    places: list[str] = []
    for p in [x for leg in legs for x in (leg["from"], leg["to"])] + [
        _place_of(f, eid) for eid in event_ids
    ]:
        if p and p not in places:
            places.append(p)
    return {
        "product": {k: start.get(k) for k in ("name", "trackingIdentifier") if start.get(k)}
        | {"id": result.start.id, "conformsTo": _name(f, start.get("conformsTo"))},
        "materials": materials,
        "processes": processes,
        "contributors": people,
        "distanceKm": _km(total),
        "legs": legs,
        "places": [{"id": p, "name": _name(f, p)} for p in places],
        "counts": {
            "events": len(event_ids),
            "processes": len(processes),
            "resources": len(resources),
            "carrierLegs": sum(1 for r in roles.values() if r == "carrier"),
        },
    }
