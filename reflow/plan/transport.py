"""Transport in a plan: loads per pickup stop and trip, and the commitments of who carries them.

A load goes to the recipe's own transport process when its items feed one (a process with a
``pickup`` input), else to a transport leg added before the process that uses the items. The
vehicle's custodian drives it: the trip books the driver's time (the ``use`` commitments' blocks,
one per stretch, as work does), and every transport commitment says who drives and when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from reflow.plan.assign import Item, Load, Result
from reflow.plan.data import PlanData
from reflow.plan.explode import Explosion, up
from reflow.plan.load_model import trip_hours
from reflow.plan.model import LOCAL_KM, Demand, Draft, first_consumer, iso, km, q
from reflow.store.codec import dec_text

LEG_WINDOW = timedelta(hours=4)  # a leg the planner adds runs within 4 h before its consumer


def loads(
    ex: Explosion, data: PlanData, at: tuple[float, float] | None, due: datetime
) -> list[Load]:
    """Allocations away from the plan's place, one load per pickup place (a stop), split into
    trips no heavier than the largest vehicle.

    A stop's load goes to the recipe's transport process when its items feed one, else to a
    transport leg the planner adds, ending when the earliest process using its items begins
    (or at ``due``, for the demand itself). A vehicle whose driver refused to carry some of a
    load's goods in this plan is not asked to carry that load again (``Load.refused``).
    """
    groups: dict[tuple[Any, ...], Load] = {}
    cap = max((v.capacity_kg for v in data.vehicles), default=None)
    for need in ex.needs.values():
        first = first_consumer(ex, need.consumers)
        for a in need.allocations:
            if at is None or a.lat is None or a.long is None or a.distance_km <= LOCAL_KM:
                continue
            mass = data.mass_kg(a.spec, a.resource_quantity, a.resource_unit)
            item = Item(a.spec, a.resource, a.holder, a.resource_quantity, a.resource_unit, mass)
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
    out = list(groups.values())
    for load in out:  # when the trip happens: its driver's time, and the vehicle's
        if not load.process.startswith("leg:"):
            p = ex.processes[load.process]
            load.window = (p.begins, p.ends)  # type: ignore[assignment]
        else:
            t = ex.processes[load.target].begins if load.target is not None else due
            load.window = (t - LEG_WINDOW, t)  # type: ignore[operator]
        goods = {i.resource for i in load.items}
        load.refused = frozenset(v for v, r in data.refused.carriers if r in goods)
    return out


def _earlier(ex: Explosion, a: str, b: str) -> bool:
    pa, pb = ex.processes[a], ex.processes[b]
    return (pa.begins, pa.id) < (pb.begins, pb.id)  # type: ignore[operator]


def transport(
    d: Draft, ex: Explosion, res: Result, data: PlanData, at: Any, planner: str, demand: Demand
) -> None:
    for ld in loads(ex, data, at, demand.due):
        chosen = res.carried.get(ld.id)
        cands = res.candidates.get(ld.id, [])
        if chosen is None:
            refused = " (its driver refused these goods)" if ld.refused else ""
            d.unmet.extend(
                {
                    "what": "transport",
                    "spec": i.spec,
                    "resource": i.resource,
                    "quantity": dec_text(i.quantity),
                    "unit": i.unit,
                    "massKg": dec_text(up(i.mass_kg)),
                    "why": f"{len(cands)} vehicles; none can take {dec_text(up(ld.mass_kg))} "
                    "kg then (capacity, or its driver's time: other trips, work, or outside "
                    "the hours they offer)" + refused,
                }
                for i in ld.items
            )
            continue
        _carry(d, ex, ld, chosen, res.driving.get(ld.id) or [], cands, planner, demand)


def _carry(
    d: Draft,
    ex: Explosion,
    ld: Load,
    chosen: tuple[Any, float],
    trips: list[tuple[datetime, datetime]],
    cands: list[dict[str, Any]],
    planner: str,
    demand: Demand,
) -> None:
    """The commitments of one load: pickup and drop-off per specification, and the use of the
    vehicle — its driver's time — per stretch of the trip."""
    vehicle, dist = chosen
    hours = trip_hours(dist)
    if ld.process.startswith("leg:"):
        if trips:
            begins, ends = trips[0][0], trips[-1][1]
        else:
            consumer = ex.processes[ld.target] if ld.target else None
            ends = consumer.begins if consumer is not None else demand.due  # type: ignore[assignment]
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
    starts = iso(trips[0][0]) if trips else proc["hasBeginning"]
    done_by = iso(trips[-1][1]) if trips else proc["hasEnd"]
    why = {
        "why": "a vehicle with the capacity and its driver free then, the least distance",
        "vehicle": vehicle.id,
        "driver": vehicle.custodian,
        "driving": [[iso(b), iso(e)] for b, e in trips],
        "load": ld.id,
        "capacityKg": dec_text(vehicle.capacity_kg),
        "massKg": dec_text(up(ld.mass_kg)),
        "distanceKm": km(dist),
        "alternatives": [
            {
                **c,
                "fits": str(c["fits"]),
                "driverFree": str(c["driverFree"]),
                "distanceKm": km(c["distanceKm"]),
            }
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
                        "due": done_by if side == "output" else starts,
                    },
                    "explanation": {**why, "resources": names[spec]},
                }
            )
    stretches: list[tuple[datetime | None, datetime | None]] = list(trips) or [(None, None)]
    for k, (b, e) in enumerate(stretches):
        use: dict[str, Any] = {
            "action": "use",
            "provider": vehicle.custodian,
            "receiver": planner,
            "resourceInventoriedAs": vehicle.id,
            "effortQuantity": q(_hours(b, e) if b and e else hours, "om2:hour"),
            "due": iso(b) if b else proc["hasBeginning"],
        }
        if b and e:  # the block of the driver's time
            use["hasBeginning"], use["hasEnd"] = iso(b), iso(e)
        d.commitments.append(
            {
                "key": f"use:{ld.id}" + (f":{k}" if k else ""),
                "role": "use",
                "process": key,
                "side": "input",
                "data": use,
                "explanation": {**why, "resources": [i.resource for i in ld.items]},
            }
        )


def _hours(b: datetime, e: datetime) -> Decimal:
    return Decimal(int((e - b).total_seconds()) // 360) / 10


def _name(ex: Explosion, target: str | None) -> str:
    return ex.processes[target].recipe.name if target else "delivery"
