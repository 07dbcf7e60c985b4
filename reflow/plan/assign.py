"""Who does what: work to people who offer the skill and have the hours, loads to vehicles.

One CP-SAT model (OR-Tools) for a whole plan. Variables:

* ``h[n, o]`` tenths of an hour of work need ``n`` done under offer ``o`` (only for offers of
  the skill whose window overlaps the process), ``y[n, o]`` whether ``o`` works on ``n`` at all;
  an offer's hours bound the sum over needs; what no offer covers is ``short[n]``.
* ``z[l, v]`` whether vehicle ``v`` carries load ``l``; a vehicle's capacity bounds the mass it
  carries (one round per plan); a load nobody carries is ``dropped[l]``.

The objective, in order of weight: uncovered hours and dropped loads (they become market
requests), lateness (an offer whose window opens after the process should begin delays it by
that much), then kilometres travelled (worker to the plan's place; vehicle to the pickup and on
to the drop-off), and a small cost per assignee so work is not split without need.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ortools.sat.python import cp_model

from reflow.market.matching import haversine_km
from reflow.plan.data import Offer, Vehicle

W_SHORT = 10_000  # per tenth of an hour nobody covers
W_DROP = 1_000_000  # per load nobody carries
W_LATE = 100  # per hour of lateness
W_KM = 10  # per kilometre
W_SPLIT = 50  # per assignee


@dataclass(slots=True)
class WorkNeed:
    id: str
    process: str
    skill: str | None
    classes: set[str]
    hours: Decimal
    begins: datetime
    ends: datetime
    at: tuple[float, float] | None


@dataclass(slots=True)
class Load:
    id: str
    process: str
    spec: str
    resource: str
    holder: str
    quantity: Decimal
    unit: str
    mass_kg: Decimal
    frm: tuple[float, float] | None
    to: tuple[float, float] | None


@dataclass(slots=True)
class Result:
    status: str
    objective: float
    seconds: float
    work: dict[str, list[tuple[Offer, Decimal, float, float]]] = field(default_factory=dict)
    short: dict[str, Decimal] = field(default_factory=dict)
    carried: dict[str, tuple[Vehicle, float] | None] = field(default_factory=dict)
    candidates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lateness_hours: float = 0.0


def _km(a: tuple[float, float] | None, lat: float | None, long: float | None) -> float:
    if a is None or lat is None or long is None:
        return 0.0
    return haversine_km(a[0], a[1], lat, long)


def skilled(need: WorkNeed, offer: Offer) -> bool:
    if need.skill is not None and offer.spec == need.skill:
        return True
    return bool(need.classes & offer.classes)


def available_for(need: WorkNeed, offer: Offer) -> bool:
    """The offer's window overlaps the time the process is scheduled to run."""
    if offer.ends is not None and offer.ends <= need.begins:
        return False
    return not (offer.begins is not None and offer.begins >= need.ends)


def solve(
    needs: list[WorkNeed],
    offers: list[Offer],
    loads: list[Load],
    vehicles: list[Vehicle],
    *,
    seconds: float = 4.0,
    workers: int = 1,
) -> Result:
    m = cp_model.CpModel()
    cost: list[Any] = []
    pairs: dict[str, list[tuple[Offer, Any, Any, float, float]]] = {}
    by_offer: dict[str, list[Any]] = {}
    short: dict[str, Any] = {}
    cand: dict[str, list[dict[str, Any]]] = {}
    by_skill: dict[str | None, list[Offer]] = {}
    for o in offers:
        by_skill.setdefault(o.spec, []).append(o)
    for n in needs:
        tenths = math.ceil(n.hours * 10)
        pool = by_skill.get(n.skill, []) if n.skill and not n.classes else offers
        choices = []
        for o in pool:
            if not skilled(n, o):
                continue
            late = 0.0
            if o.begins is not None and o.begins > n.begins:
                late = (o.begins - n.begins).total_seconds() / 3600
            km = _km(n.at, o.lat, o.long)
            cand.setdefault(n.id, []).append(
                {"agent": o.agent, "offer": o.intent, "hours": str(o.hours),
                 "distanceKm": round(km, 3), "available": available_for(n, o),
                 "lateHours": round(late, 2)}
            )  # fmt: skip
            if not available_for(n, o):
                continue
            cap = min(tenths, math.floor(o.hours * 10))
            if cap <= 0:
                continue
            h = m.new_int_var(0, cap, f"h_{n.id}_{o.intent}")
            y = m.new_bool_var(f"y_{n.id}_{o.intent}")
            m.add(h <= cap * y)
            m.add(h >= 1).only_enforce_if(y)
            choices.append((o, h, y, km, late))
            by_offer.setdefault(o.intent, []).append(h)
            cost.append((W_LATE * round(late) + W_KM * round(km) + W_SPLIT) * y)
        s = m.new_int_var(0, tenths, f"short_{n.id}")
        m.add(sum(c[1] for c in choices) + s == tenths)
        cost.append(W_SHORT * s)
        pairs[n.id], short[n.id] = choices, s
    caps = {o.intent: math.floor(o.hours * 10) for o in offers}
    for oid, hs in by_offer.items():
        m.add(sum(hs) <= caps[oid])
    carry: dict[str, list[tuple[Vehicle, Any, float]]] = {}
    by_vehicle: dict[str, list[tuple[int, Any]]] = {}
    dropped: dict[str, Any] = {}
    for ld in loads:
        kg = math.ceil(ld.mass_kg)
        opts = []
        for v in vehicles:
            km = _km(ld.frm, v.lat, v.long) + (
                haversine_km(*ld.frm, *ld.to) if ld.frm and ld.to else 0.0
            )
            cand.setdefault(ld.id, []).append(
                {"vehicle": v.id, "custodian": v.custodian, "capacityKg": str(v.capacity_kg),
                 "distanceKm": round(km, 3), "fits": kg <= v.capacity_kg}
            )  # fmt: skip
            if kg > v.capacity_kg:
                continue
            z = m.new_bool_var(f"z_{ld.id}_{v.id}")
            opts.append((v, z, km))
            by_vehicle.setdefault(v.id, []).append((kg, z))
            cost.append(W_KM * round(km) * z)
        d = m.new_bool_var(f"drop_{ld.id}")
        m.add(sum(o[1] for o in opts) + d == 1)
        cost.append(W_DROP * d)
        carry[ld.id], dropped[ld.id] = opts, d
    for v in vehicles:
        items = by_vehicle.get(v.id, [])
        if items:
            m.add(sum(kg * z for kg, z in items) <= math.floor(v.capacity_kg))
    m.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    start = time.perf_counter()
    status = solver.solve(m)
    out = Result(solver.status_name(status), 0.0, time.perf_counter() - start, candidates=cand)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return out
    out.objective = solver.objective_value
    for n in needs:
        got = []
        for o, h, _y, km, late in pairs[n.id]:
            v = solver.value(h)
            if v > 0:
                got.append((o, Decimal(v) / 10, km, late))
                out.lateness_hours = max(out.lateness_hours, late)
        out.work[n.id] = got
        left = Decimal(solver.value(short[n.id])) / 10
        if left > 0:
            out.short[n.id] = min(left, n.hours)
    for ld in loads:
        chosen = [(v, km) for v, z, km in carry[ld.id] if solver.value(z)]
        out.carried[ld.id] = chosen[0] if chosen else None
    return out
