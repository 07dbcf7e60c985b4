"""Which vehicle carries which load: the CP-SAT model of transport in a plan.

``z[l, v]`` is whether vehicle ``v`` carries load ``l``; a vehicle's capacity bounds the mass it
carries (one round per plan); a load nobody carries is ``dropped[l]`` (and becomes a market
request). A vehicle on another plan's trip while a load travels is not a candidate for it.
Costs: dropped loads first, then kilometres (to the pickup and on to the drop-off). A greedy
answer (heaviest load first, nearest vehicle with room) is the hint and the fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ortools.sat.python import cp_model

from reflow.market.matching import haversine_km
from reflow.plan.data import Vehicle

W_DROP = 1_000_000  # per load nobody carries
W_KM = 10  # per kilometre


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
class LoadModel:
    model: cp_model.CpModel
    carry: dict[str, list[tuple[Vehicle, Any, float]]]
    dropped: dict[str, Any]
    candidates: dict[str, list[dict[str, Any]]]
    hint: dict[int, int] = field(default_factory=dict)


def free_then(load: Load, vehicle: Vehicle) -> bool:
    """The vehicle is not on another plan's trip while this load travels."""
    if load.window is None:
        return True
    b, e = load.window
    return all(e <= busy_b or busy_e <= b for busy_b, busy_e in vehicle.busy)


def _km(a: tuple[float, float] | None, lat: float | None, long: float | None) -> float:
    if a is None or lat is None or long is None:
        return 0.0
    return haversine_km(a[0], a[1], lat, long)


def build(loads: list[Load], vehicles: list[Vehicle]) -> LoadModel:
    m = cp_model.CpModel()
    lm = LoadModel(m, {}, {}, {})
    cost: list[Any] = []
    by_vehicle: dict[str, list[tuple[int, Any]]] = {}
    for ld in loads:
        kg = math.ceil(ld.mass_kg)
        opts = []
        for v in vehicles:
            km = _km(ld.frm, v.lat, v.long) + (
                haversine_km(*ld.frm, *ld.to) if ld.frm and ld.to else 0.0
            )
            free = free_then(ld, v)
            lm.candidates.setdefault(ld.id, []).append(
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
        lm.carry[ld.id], lm.dropped[ld.id] = opts, d
    for v in vehicles:
        items = by_vehicle.get(v.id, [])
        if items:
            m.add(sum(kg * z for kg, z in items) <= math.floor(v.capacity_kg))
    m.minimize(sum(cost))
    room = {v.id: math.floor(v.capacity_kg) for v in vehicles}
    for ld in sorted(loads, key=lambda ld: (-ld.mass_kg, ld.id)):
        kg, placed = math.ceil(ld.mass_kg), False
        for v, z, _dist in sorted(lm.carry[ld.id], key=lambda c: (c[2], c[0].id)):
            fits = not placed and room[v.id] >= kg
            lm.hint[z.index] = int(fits)
            if fits:
                room[v.id] -= kg
                placed = True
        lm.hint[lm.dropped[ld.id].index] = int(not placed)
    for ld in loads:
        for var in (lm.dropped[ld.id], *(c[1] for c in lm.carry[ld.id])):
            m.proto.solution_hint.vars.append(var.index)
            m.proto.solution_hint.values.append(lm.hint[var.index])
    return lm
