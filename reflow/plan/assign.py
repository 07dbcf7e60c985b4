"""Who does what: work to people who offer the skill and have the hours, loads to vehicles.

One CP-SAT model (OR-Tools) for a whole plan. Variables:

* ``h[n, o]`` tenths of an hour of work need ``n`` done under offer ``o`` (only for the nearest
  offers of the skill whose window overlaps the process); an offer's hours bound the sum over
  needs; what no offer covers is ``short[n]``. Costs are per hour worked (a transportation
  problem: its LP relaxation is integral, so CP-SAT proves the optimum fast even at 200
  processes × 500 people).
* ``z[l, v]`` whether vehicle ``v`` carries load ``l``; a vehicle's capacity bounds the mass it
  carries (one round per plan); a load nobody carries is ``dropped[l]``.

Work and transport share no constraint, so they are two models solved one after the other
(each with half the time budget); the status reported is the worse of the two. A greedy answer
is each model's hint; if the solver finds nothing better in its time (a busy machine), the
greedy answer stands and the status says so: ``FEASIBLE (greedy)``. The objective,
in order of weight: uncovered hours and dropped loads (they become market
requests), lateness (an offer whose window opens after the process should begin delays it by
that much), then kilometres travelled (worker to the plan's place; vehicle to the pickup and on
to the drop-off).
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

W_SHORT = 100_000  # per tenth of an hour nobody covers
W_DROP = 1_000_000  # per load nobody carries
W_LATE = 100  # per hour of lateness (per tenth of an hour worked late)
W_KM = 10  # per kilometre (per tenth of an hour worked: more hours, more trips)
W_HOUR = 1  # per tenth of an hour: the cheapest plan does not split work without need
NEAREST = 12  # offers per work need given to the solver: the least late, then the nearest


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
class Item:
    """One inventoried resource picked up as part of a load."""

    spec: str
    resource: str
    holder: str
    quantity: Decimal
    unit: str
    mass_kg: Decimal


@dataclass(slots=True)
class Load:
    """What one stop hands over for one process: picked up together, carried by one vehicle."""

    id: str
    process: str  # the planned process it goes to (a recipe transport process), or "leg:…"
    target: str | None  # the planned process consuming it (None: the independent demand)
    items: list[Item]
    frm: tuple[float, float] | None
    to: tuple[float, float] | None
    window: tuple[datetime, datetime] | None = None  # when the trip happens (None: unknown)

    @property
    def mass_kg(self) -> Decimal:
        return sum((i.mass_kg for i in self.items), Decimal(0))


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


def free_then(load: Load, vehicle: Vehicle) -> bool:
    """The vehicle is not on another plan's trip while this load travels."""
    if load.window is None:
        return True
    b, e = load.window
    return all(e <= busy_b or busy_e <= b for busy_b, busy_e in vehicle.busy)


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
    pairs: dict[str, list[tuple[Offer, Any, int, float, float]]] = {}
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
        usable = []
        for o in pool:
            if not skilled(n, o):
                continue
            late = 0.0
            if o.begins is not None and o.begins > n.begins:
                late = (o.begins - n.begins).total_seconds() / 3600
            km = _km(n.at, o.lat, o.long)
            cand.setdefault(n.id, []).append(
                {
                    "agent": o.agent,
                    "offer": o.intent,
                    "hours": str(o.hours),
                    "distanceKm": round(km, 3),
                    "available": available_for(n, o),
                    "lateHours": round(late, 2),
                }
            )
            if available_for(n, o):
                usable.append((late, km, o.intent, o))
        usable.sort(key=lambda u: u[:3])
        for late, km, _i, o in usable[:NEAREST]:
            cap = min(tenths, math.floor(o.hours * 10))
            if cap <= 0:
                continue
            h = m.new_int_var(0, cap, f"h_{n.id}_{o.intent}")
            choices.append((o, h, cap, km, late))
            by_offer.setdefault(o.intent, []).append(h)
            cost.append((W_LATE * round(late) + W_KM * round(km) + W_HOUR) * h)
        s = m.new_int_var(0, tenths, f"short_{n.id}")
        m.add(sum(c[1] for c in choices) + s == tenths)
        cost.append(W_SHORT * s)
        pairs[n.id], short[n.id] = choices, s
    caps = {o.intent: math.floor(o.hours * 10) for o in offers}
    for oid, hs in by_offer.items():
        m.add(sum(hs) <= caps[oid])
    m.minimize(sum(cost))
    work_model, cost = m, []
    # A greedy answer (least late, then nearest, in the order of the needs) is the solver's
    # hint and, should it find nothing in time on a busy machine, the answer itself.
    guess: dict[int, int] = {}
    left = dict(caps)
    for n in needs:
        want = math.ceil(n.hours * 10)
        for o, h, cap, _dist, _late in pairs[n.id]:
            give = min(want, left[o.intent], cap)
            guess[h.index], want, left[o.intent] = give, want - give, left[o.intent] - give
        guess[short[n.id].index] = want
    for var_index, value in guess.items():
        work_model.proto.solution_hint.vars.append(var_index)
        work_model.proto.solution_hint.values.append(value)
    # Loads and vehicles share nothing with work: a model of their own, solved on its own.
    m = cp_model.CpModel()
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
            free = free_then(ld, v)
            cand.setdefault(ld.id, []).append(
                {
                    "vehicle": v.id,
                    "custodian": v.custodian,
                    "capacityKg": str(v.capacity_kg),
                    "distanceKm": round(km, 3),
                    "fits": kg <= v.capacity_kg,
                    "free": free,
                }
            )
            if kg > v.capacity_kg or not free:
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
    tguess: dict[int, int] = {}
    room = {v.id: math.floor(v.capacity_kg) for v in vehicles}
    for ld in sorted(loads, key=lambda ld: (-ld.mass_kg, ld.id)):
        kg, placed = math.ceil(ld.mass_kg), False
        for v, z, _dist in sorted(carry[ld.id], key=lambda c: (c[2], c[0].id)):
            fits = not placed and room[v.id] >= kg
            tguess[z.index] = int(fits)
            if fits:
                room[v.id] -= kg
                placed = True
        tguess[dropped[ld.id].index] = int(not placed)
    for var in [d for ld in loads for d in (dropped[ld.id], *(c[1] for c in carry[ld.id]))]:
        m.proto.solution_hint.vars.append(var.index)
        m.proto.solution_hint.values.append(tguess[var.index])
    start = time.perf_counter()
    ws, wstatus = _run(work_model, seconds / 2, workers)
    ts, tstatus = _run(m, seconds / 2, workers)
    ok = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    # A solution found in too little time may be worse than the greedy one: keep the better.
    if wstatus == cp_model.FEASIBLE and ws.objective_value > _cost(work_model, guess):
        wstatus = cp_model.UNKNOWN
    if tstatus == cp_model.FEASIBLE and ts.objective_value > _cost(m, tguess):
        tstatus = cp_model.UNKNOWN
    worst = max((wstatus, tstatus), key=lambda st: (st not in ok, st != cp_model.OPTIMAL))
    out = Result(ws.status_name(worst), 0.0, time.perf_counter() - start, candidates=cand)
    if worst not in ok:
        out.status = "FEASIBLE (greedy)"

    def wval(var: Any) -> int:
        return int(ws.value(var)) if wstatus in ok else guess[var.index]

    def tval(var: Any) -> int:
        return int(ts.value(var)) if tstatus in ok else tguess[var.index]

    out.objective = (ws.objective_value if wstatus in ok else _cost(work_model, guess)) + (
        ts.objective_value if tstatus in ok else _cost(m, tguess)
    )
    for n in needs:
        got = []
        for o, h, _y, km, late in pairs[n.id]:
            v = wval(h)
            if v > 0:
                got.append((o, Decimal(v) / 10, km, late))
                out.lateness_hours = max(out.lateness_hours, late)
        out.work[n.id] = got
        left_over = Decimal(wval(short[n.id])) / 10
        if left_over > 0:
            out.short[n.id] = min(left_over, n.hours)
    for ld in loads:
        chosen = [(v, km) for v, z, km in carry[ld.id] if tval(z)]
        out.carried[ld.id] = chosen[0] if chosen else None
    return out


def _cost(model: cp_model.CpModel, values: dict[int, int]) -> float:
    obj = model.proto.objective
    return obj.offset + sum(c * values.get(v, 0) for v, c in zip(obj.vars, obj.coeffs, strict=True))


def _run(model: cp_model.CpModel, seconds: float, workers: int) -> tuple[cp_model.CpSolver, Any]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    return solver, solver.solve(model)
