"""Which vehicle carries which load: the capacity part of the CP-SAT model of a plan.

``z[l, v]`` is whether vehicle ``v`` carries load ``l``. A load is one trip, and a vehicle's
capacity bounds the mass of each of its trips (its trips are kept apart in time by its driver's
time; loads whose time is not known share one round: the capacity bounds their sum). A load
nobody carries is ``dropped[l]`` (and becomes a market request). A vehicle is a candidate for a
load when the load fits it and its driver (its custodian) has the time of the trip free then —
the vehicle's trips in other plans are its driver's bookings —; only the ``NEAREST`` such
vehicles are given to the solver. The driver's time itself — never two trips at once, nor a
trip during their work — is the time part of the model (``work_model``), where every candidate
trip is a job of its driver. Costs: dropped loads first, then kilometres (to the pickup and on
to the drop-off). A greedy answer (heaviest load first, nearest vehicle with room and a driver
with the time) is the hint and the fallback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ortools.sat.python import cp_model

from reflow.market.matching import haversine_km
from reflow.plan.data import Vehicle

W_DROP = 1_000_000  # per load nobody carries
W_KM = 10  # per kilometre
NEAREST = 8  # vehicles per load given to the solver: the nearest that can take it then
KMH = Decimal(30)  # planning speed of a vehicle in town, for the length of a trip


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
    refused: frozenset[str] = frozenset()  # vehicles whose drivers refused to carry its items

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


def _km(a: tuple[float, float] | None, lat: float | None, long: float | None) -> float:
    if a is None or lat is None or long is None:
        return 0.0
    return haversine_km(a[0], a[1], lat, long)


def trip_hours(km: float) -> Decimal:
    """An hour to load and unload, plus the drive at town speed, to the tenth of an hour (the
    grain of people's time)."""
    h = Decimal(1) + Decimal(str(round(km, 1))) / KMH
    return (h * 10).to_integral_value(rounding="ROUND_CEILING") / 10


def trip_km(load: Load, vehicle: Vehicle) -> float:
    """From the vehicle to the pickup, and on to the drop-off."""
    there = haversine_km(*load.frm, *load.to) if load.frm and load.to else 0.0
    return _km(load.frm, vehicle.lat, vehicle.long) + there


# (load, vehicle, hours of the trip) -> whether its driver has that time free then
DriverFree = Callable[[Load, Vehicle, Decimal], bool]
# (load, vehicle, its z variable, hours of the trip): the trip becomes a job of its driver
OnCarry = Callable[[Load, Vehicle, Any, Decimal], None]


def build(
    m: cp_model.CpModel,
    loads: list[Load],
    vehicles: list[Vehicle],
    driver_free: DriverFree,
    on_carry: OnCarry,
) -> tuple[LoadModel, list[Any]]:
    """The load variables and capacities in ``m``; returns the model's part and its costs."""
    lm = LoadModel(m, {}, {}, {})
    cost: list[Any] = []
    by_vehicle: dict[str, list[tuple[int, Any]]] = {}
    for ld in loads:
        kg = math.ceil(ld.mass_kg)
        usable = []
        for v in vehicles:
            km = trip_km(ld, v)
            hours = trip_hours(km)
            said = {
                "vehicle": v.id,
                "custodian": v.custodian,
                "capacityKg": str(v.capacity_kg),
                "distanceKm": round(km, 3),
                "fits": kg <= v.capacity_kg,
                "driverFree": driver_free(ld, v, hours),
            }
            if v.id in ld.refused:
                said["refused"] = True  # its driver refused to carry these goods in this plan
            lm.candidates.setdefault(ld.id, []).append(said)
            if said["fits"] and said["driverFree"] and v.id not in ld.refused:
                usable.append((km, v.id, v, hours))
        usable.sort(key=lambda u: u[:2])
        opts = []
        for km, _vid, v, hours in usable[:NEAREST]:
            z = m.new_bool_var(f"z_{ld.id}_{v.id}")
            opts.append((v, z, km))
            if ld.window is None:  # no time of its own: one round with the others
                by_vehicle.setdefault(v.id, []).append((kg, z))
            cost.append(W_KM * round(km) * z)
            on_carry(ld, v, z, hours)
        d = m.new_bool_var(f"drop_{ld.id}")
        m.add(sum(o[1] for o in opts) + d == 1)
        cost.append(W_DROP * d)
        lm.carry[ld.id], lm.dropped[ld.id] = opts, d
    for v in vehicles:
        items = by_vehicle.get(v.id, [])
        if items:
            m.add(sum(kg * z for kg, z in items) <= math.floor(v.capacity_kg))
    return lm, cost


def greedy(lm: LoadModel, loads: list[Load], vehicles: list[Vehicle],
           book: Callable[[Any], bool]) -> None:  # fmt: skip
    """Heaviest load first, to the nearest vehicle with room whose driver has the time
    (``book`` books it, in the time part's greedy answer, when it does)."""
    room = {v.id: math.floor(v.capacity_kg) for v in vehicles}
    for ld in sorted(loads, key=lambda ld: (-ld.mass_kg, ld.id)):
        kg, placed = math.ceil(ld.mass_kg), False
        for v, z, _dist in sorted(lm.carry[ld.id], key=lambda c: (c[2], c[0].id)):
            fits = not placed and (ld.window is not None or room[v.id] >= kg) and book(z)
            lm.hint[z.index] = int(fits)
            if fits:
                if ld.window is None:
                    room[v.id] -= kg
                placed = True
        lm.hint[lm.dropped[ld.id].index] = int(not placed)
