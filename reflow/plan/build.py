"""From an explosion, a schedule and an assignment to the body of a plan record.

Everything a plan says about itself — processes with their times, commitments with who, what,
how much and when, why each provider was chosen, what nobody can provide — is written here as
VF data; the record kinds only check and store it. Numbers in records are decimal strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from reflow.plan.assign import Item, Load, Result, WorkNeed
from reflow.plan.data import PlanData
from reflow.plan.explode import Explosion, Planned, Schedule, up
from reflow.store.codec import dec_text

LOCAL_KM = 0.5  # closer than this to the plan's place, an input needs no transport
KMH = Decimal(30)  # planning speed of a vehicle in town, for the length of a transport leg


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def q(value: Decimal, unit: str) -> dict[str, str]:
    return {"hasNumericalValue": dec_text(up(value)) or "0", "hasUnit": unit}


def km(x: float | None) -> str | None:
    return None if x is None else str(round(x, 3))


@dataclass(slots=True)
class Demand:
    spec: str
    quantity: Decimal
    unit: str
    due: datetime
    place: str | None
    receiver: str
    radius_km: float


@dataclass(slots=True)
class Draft:
    """The parts of a plan before they become a record body."""

    processes: list[dict[str, Any]] = field(default_factory=list)
    commitments: list[dict[str, Any]] = field(default_factory=list)
    unmet: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # planned/leg id -> process key


def work_needs(ex: Explosion, at: tuple[float, float] | None) -> list[WorkNeed]:
    out = []
    for p in ex.processes.values():
        for f, hours in p.work:
            assert p.begins is not None and p.ends is not None
            out.append(
                WorkNeed(
                    f"{p.id}|{f.id}", p.id, f.spec, set(f.classes), hours, p.begins, p.ends, at
                )
            )
    return out


def loads(ex: Explosion, data: PlanData, at: tuple[float, float] | None) -> list[Load]:
    """Allocations away from the plan's place, one load per pickup place (a stop), split into
    trips no heavier than the largest vehicle.

    A stop's load goes to the recipe's transport process when its items feed one, else to a
    transport leg the planner adds, ending when the earliest process using its items begins.
    """
    groups: dict[tuple[Any, ...], Load] = {}
    cap = max((v.capacity_kg for v in data.vehicles), default=None)
    for need in ex.needs.values():
        first = _first_consumer(ex, need.consumers)
        for a in need.allocations:
            if at is None or a.lat is None or a.long is None or a.distance_km <= LOCAL_KM:
                continue
            mass = data.mass_kg(need.key[0], a.resource_quantity, a.resource_unit)
            item = Item(
                need.key[0], a.resource, a.holder, a.resource_quantity, a.resource_unit, mass
            )
            carrier = first.id if first is not None and first.recipe.is_transport else None
            gkey = (round(a.lat, 5), round(a.long, 5), carrier or "")
            load = groups.get(gkey)
            if load is not None and cap is not None and load.mass_kg + mass > cap:
                groups[(*gkey, len(groups))] = load  # full: the next trip starts a new load
                load = None
            if load is None:
                n = len(groups)
                load = groups[gkey] = Load(
                    f"load:{n}",
                    carrier or f"leg:{n}",
                    first.id if first else None,
                    [],
                    (a.lat, a.long),
                    at,
                )
            elif load.target is not None and (first is None or _earlier(ex, first.id, load.target)):
                load.target = first.id if first else None
            load.items.append(item)
    return list(groups.values())


def _earlier(ex: Explosion, a: str, b: str) -> bool:
    pa, pb = ex.processes[a], ex.processes[b]
    return (pa.begins, pa.id) < (pb.begins, pb.id)  # type: ignore[operator]


def _first_consumer(ex: Explosion, consumers: list[tuple[str, Any]]) -> Planned | None:
    procs = [ex.processes[c] for c, _f in consumers]
    return min(procs, key=lambda p: (p.begins, p.id)) if procs else None


def draft(
    ex: Explosion,
    sched: Schedule,
    res: Result,
    data: PlanData,
    demand: Demand,
    planner: str,
    *,
    with_demand: bool = True,
) -> Draft:
    d = Draft()
    at = data.places.get(demand.place or "")
    for i, p in enumerate(sorted(ex.processes.values(), key=lambda p: (p.begins, p.id))):
        key = d.keys[p.id] = f"p{i}"
        proc: dict[str, Any] = {
            "key": key,
            "name": p.recipe.name,
            "hasBeginning": iso(p.begins),  # type: ignore[arg-type]
            "hasEnd": iso(p.ends),
            "recipeProcess": p.recipe.id,  # type: ignore[arg-type]
            "critical": p.id in sched.critical_path,
        }
        if p.recipe.conforms_to:
            proc["basedOn"] = p.recipe.conforms_to
        if demand.place:
            proc["atLocation"] = demand.place
        d.processes.append(proc)
        _process_commitments(d, p, key, planner)
    if with_demand:
        d.commitments.append(
            {
                "key": "demand",
                "role": "demand",
                "data": {
                    "action": "transfer",
                    "provider": planner,
                    "receiver": demand.receiver,
                    "resourceConformsTo": demand.spec,
                    "resourceQuantity": q(demand.quantity, demand.unit),
                    "due": iso(demand.due),
                },
                "explanation": {"why": "the independent demand"},
            }
        )
    _supplies(d, ex, planner, demand)
    _work(d, ex, res, planner)
    _transport(d, ex, res, data, at, planner, demand)
    for need in ex.unmet():
        first = _first_consumer(ex, need.consumers)
        by = first.begins if first is not None else demand.due
        d.unmet.append(
            {
                "what": "resource",
                "spec": need.key[0],
                "stage": need.key[1],
                "state": need.key[2],
                "quantity": dec_text(up(need.net)),
                "unit": need.unit,
                "due": iso(by),
                "why": "no recipe makes it and inventory nearby does not cover it",
            }
        )
    return d


def _process_commitments(d: Draft, p: Planned, key: str, planner: str) -> None:
    assert p.begins is not None and p.ends is not None
    out = p.output
    d.commitments.append(
        {
            "key": f"{key}:out",
            "role": "output",
            "process": key,
            "side": "output",
            "data": {
                "action": out.action,
                "provider": planner,
                "receiver": planner,
                "resourceConformsTo": out.spec,
                "resourceQuantity": q(out.quantity * p.scale, out.unit or ""),
                "due": iso(p.ends),
            },
            "explanation": {"why": f"{p.recipe.name} makes the net need of this output"},
        }
    )
    for j, (f, qty) in enumerate(p.inputs):
        if f.action == "pickup":
            continue  # carried by the loads of this transport process
        data = {
            "action": f.action,
            "provider": planner,
            "receiver": planner,
            "resourceConformsTo": f.spec,
            "resourceQuantity": q(qty, f.unit or ""),
            "due": iso(p.begins),
        }
        if f.stage:
            data["stage"] = f.stage
        if f.state:
            data["state"] = f.state
        d.commitments.append(
            {
                "key": f"{key}:in{j}",
                "role": "input",
                "process": key,
                "side": "input",
                "data": data,
                "explanation": {"why": "the recipe's input, scaled"},
            }
        )


def _supplies(d: Draft, ex: Explosion, planner: str, demand: Demand) -> None:
    for need in ex.needs.values():
        first = _first_consumer(ex, need.consumers)
        due = first.begins if first is not None else demand.due
        for a in need.allocations:
            d.commitments.append(
                {
                    "key": f"supply:{a.resource}",
                    "role": "supply",
                    "reserve": True,
                    "data": {
                        "action": "transfer",
                        "provider": a.holder,
                        "receiver": planner,
                        "resourceInventoriedAs": a.resource,
                        "resourceConformsTo": need.key[0],
                        "resourceQuantity": q(a.resource_quantity, a.resource_unit),
                        "due": iso(due),
                    },  # type: ignore[arg-type]
                    "explanation": {
                        "why": "nearest available inventory of the specification",
                        "distanceKm": km(a.distance_km),
                        "holder": a.holder,
                        "alternatives": a.alternatives,
                    },
                }
            )


def _work(d: Draft, ex: Explosion, res: Result, planner: str) -> None:
    for p in ex.processes.values():
        for f, _hours in p.work:
            nid = f"{p.id}|{f.id}"
            cands = sorted(res.candidates.get(nid, []), key=lambda c: c["distanceKm"])
            for k, (o, h, dist, late) in enumerate(res.work.get(nid, [])):
                others = [
                    {
                        **c,
                        "distanceKm": km(c["distanceKm"]),
                        "lateHours": str(c["lateHours"]),
                        "available": str(c["available"]),
                    }
                    for c in cands
                    if c["offer"] != o.intent
                ][:3]
                d.commitments.append(
                    {
                        "key": f"{d.keys[p.id]}:work{k}:{f.id[:8]}",
                        "role": "work",
                        "process": d.keys[p.id],
                        "side": "input",
                        "data": {
                            "action": "work",
                            "provider": o.agent,
                            "receiver": planner,
                            "resourceConformsTo": f.spec,
                            "effortQuantity": q(h, "om2:hour"),
                            "due": iso(p.ends),
                            "satisfies": [o.intent],
                        },  # type: ignore[arg-type]
                        "explanation": {
                            "why": "offers this skill with hours in the window",
                            "distanceKm": km(dist),
                            "hoursOffered": dec_text(o.hours),
                            "hoursAssigned": dec_text(h),
                            "lateHours": str(round(late, 2)),
                            "window": [
                                iso(o.begins) if o.begins else None,
                                iso(o.ends) if o.ends else None,
                            ],
                            "alternatives": others,
                        },
                    }
                )
            short = res.short.get(nid)
            if short:
                d.unmet.append(
                    {
                        "what": "work",
                        "spec": f.spec,
                        "classes": list(f.classes),
                        "quantity": dec_text(short),
                        "unit": "om2:hour",
                        "begins": iso(p.begins),
                        "due": iso(p.ends),  # type: ignore[arg-type]
                        "why": f"{len(cands)} offers of the skill; none has these hours free "
                        "in the window",
                    }
                )


def _transport(
    d: Draft, ex: Explosion, res: Result, data: PlanData, at: Any, planner: str, demand: Demand
) -> None:
    for ld in loads(ex, data, at):
        chosen = res.carried.get(ld.id)
        cands = res.candidates.get(ld.id, [])
        if chosen is None:
            d.unmet.extend(
                {
                    "what": "transport",
                    "spec": i.spec,
                    "resource": i.resource,
                    "quantity": dec_text(i.quantity),
                    "unit": i.unit,
                    "massKg": dec_text(up(i.mass_kg)),
                    "why": f"{len(cands)} vehicles; none has {dec_text(up(ld.mass_kg))} kg free",
                }
                for i in ld.items
            )
            continue
        vehicle, dist = chosen
        hours = _leg_hours(dist)
        if ld.process.startswith("leg:"):
            consumer = ex.processes[ld.target] if ld.target else None
            ends = consumer.begins if consumer is not None else demand.due
            assert ends is not None
            begins = ends - timedelta(hours=float(hours))
            key = f"leg{ld.id[5:]}"
            leg: dict[str, Any] = {
                "key": key,
                "name": f"transport to {_name(ex, ld.target)}",
                "hasBeginning": iso(begins),
                "hasEnd": iso(ends),
            }
            if demand.place:
                leg["atLocation"] = demand.place
            d.processes.append(leg)
        else:
            key = d.keys[ld.process]
        proc = next(p for p in d.processes if p["key"] == key)
        why = {
            "why": "a vehicle with the capacity, the least distance",
            "vehicle": vehicle.id,
            "capacityKg": dec_text(vehicle.capacity_kg),
            "massKg": dec_text(up(ld.mass_kg)),
            "distanceKm": km(dist),
            "alternatives": [
                {**c, "fits": str(c["fits"]), "distanceKm": km(c["distanceKm"])}
                for c in sorted(cands, key=lambda c: c["distanceKm"])
                if c["vehicle"] != vehicle.id
            ][:3],
        }
        by_spec: dict[tuple[str, str], Decimal] = {}
        names: dict[str, list[str]] = {}
        for i in ld.items:  # one pickup and one drop-off per specification at a stop
            by_spec[(i.spec, i.unit)] = by_spec.get((i.spec, i.unit), Decimal(0)) + i.quantity
            names.setdefault(i.spec, []).append(i.resource)
        for (spec, unit), amount in sorted(by_spec.items()):
            for side, action in (("input", "pickup"), ("output", "dropoff")):
                d.commitments.append(
                    {
                        "key": f"{action}:{ld.id}:{spec}:{unit}",
                        "role": "transport",
                        "process": key,
                        "side": side,
                        "data": {
                            "action": action,
                            "provider": vehicle.custodian,
                            "receiver": planner,
                            "resourceConformsTo": spec,
                            "resourceQuantity": q(amount, unit),
                            "due": proc["hasEnd"] if side == "output" else proc["hasBeginning"],
                        },
                        "explanation": {
                            **why,
                            "resources": names[spec],
                        },
                    }
                )
        d.commitments.append(
            {
                "key": f"use:{ld.id}",
                "role": "use",
                "process": key,
                "side": "input",
                "data": {
                    "action": "use",
                    "provider": vehicle.custodian,
                    "receiver": planner,
                    "resourceInventoriedAs": vehicle.id,
                    "effortQuantity": q(hours, "om2:hour"),
                    "due": proc["hasBeginning"],
                },
                "explanation": why,
            }
        )


def _name(ex: Explosion, target: str | None) -> str:
    return ex.processes[target].recipe.name if target else "delivery"


def _leg_hours(dist: float) -> Decimal:
    """An hour to load and unload, plus the drive at town speed, to the quarter hour."""
    h = Decimal(1) + Decimal(str(round(dist, 1))) / KMH
    return (h * 4).to_integral_value(rounding="ROUND_CEILING") / 4
