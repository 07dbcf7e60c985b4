"""What the planner reads from the projections: inventory, reservations, offers of work, vehicles.

Vehicles (a documented convention, since VF has no capacity field): an EconomicResource is a
vehicle when it, or its ResourceSpecification, is classified ``reflow:vehicle``; its capacity per
trip is the classification ``reflow:vehicle-capacity-kg:<decimal>`` on the resource or its
specification (the resource's wins). A vehicle is at its ``currentLocation``; its custodian
drives it. Masses come from the resource's unit when it is a mass, else ``massPerUnit`` of its
specification times the quantity.

Availability of people is what they offer on the market: open ``work`` offers (the skill is
the intent's ``resourceConformsTo`` or classes; the hours ``availableQuantity``; the window
``hasBeginning``/``hasEnd``), less the hours other live plans already committed against them.
A driver's time is booked like work: a driver who offers work drives only within the windows
of those offers (whatever hours are left on them: driving is not that skill), one who offers
none at any time; live work and trips (``use`` commitments) of every plan book their time.
Inventory a live plan reserved (``plan_reservations``, less what its commitment fulfilled) is
not available to another plan. A commitment its provider refused holds nothing (no hours, no
inventory, no vehicle, no time), even before the planner re-plans it (``holds``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.errors import UnitError
from reflow.market.matching import haversine_km
from reflow.market.tables import intents
from reflow.plan.explode import Allocation, Netter
from reflow.plan.holds import bookings, live, parse_time, reduced, reserved, trips
from reflow.plan.recipes import CLASS, HOUR, Key
from reflow.plan.tables import commitments
from reflow.store.schema import resources, vf_objects
from reflow.vf.units import compatible, convert

VEHICLE = "reflow:vehicle"
CAPACITY = "reflow:vehicle-capacity-kg:"
KG = "om2:kilogram"


@dataclass(slots=True)
class Stock:
    id: str
    spec: str
    holder: str
    onhand: Decimal
    unit: str
    stage: str | None
    state: str | None
    lat: float | None
    long: float | None
    classes: list[str]


@dataclass(slots=True)
class Offer:
    intent: str
    agent: str
    spec: str | None
    classes: set[str]
    hours: Decimal
    begins: datetime | None
    ends: datetime | None
    lat: float | None
    long: float | None


@dataclass(slots=True)
class Vehicle:
    id: str
    custodian: str
    capacity_kg: Decimal
    lat: float | None
    long: float | None
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)  # its live trips


@dataclass(frozen=True, slots=True)
class Refusals:
    """What providers refused in a plan (any of its commitments, live or since cancelled)."""

    offers: frozenset[str] = frozenset()  # market offers of work behind refused work
    resources: frozenset[str] = frozenset()  # inventory behind refused supplies
    # (vehicle, resource) behind refused transport: that vehicle does not carry those goods
    carriers: frozenset[tuple[str, str]] = frozenset()
    records: tuple[str, ...] = ()  # the refusals themselves (a revision's deps)


@dataclass(slots=True)
class PlanData:
    """A snapshot of what a plan may count on, read once per planning run."""

    places: dict[str, tuple[float, float]]
    specs: dict[str, dict[str, Any]]
    stock: dict[str, list[Stock]]
    reserved: dict[str, Decimal]
    offers: list[Offer]
    vehicles: list[Vehicle]
    taken: dict[str, Decimal] = field(default_factory=dict)  # allocated in this run
    # per agent offering work or driving: the blocks of time its live plan commitments book
    busy: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    # per driver who offers work: the windows of those offers (when they may drive)
    hours: dict[str, list[tuple[datetime | None, datetime | None]]] = field(default_factory=dict)
    refused: Refusals = field(default_factory=Refusals)

    def drop(self, refused: Refusals) -> None:
        """Leave out what providers refused to this plan: they are not asked again for it (a
        vehicle only for the goods its driver refused to carry: see ``transport.loads``)."""
        self.refused = refused
        self.offers = [o for o in self.offers if o.intent not in refused.offers]
        for spec, stock in self.stock.items():
            self.stock[spec] = [s for s in stock if s.id not in refused.resources]

    def trial(self) -> PlanData:
        """A copy whose netting can be tried and thrown away (the allocations are its own)."""
        return replace(self, taken=dict(self.taken))

    def distance(
        self, a: tuple[float, float] | None, lat: float | None, long: float | None
    ) -> float | None:
        if a is None or lat is None or long is None:
            return None
        return haversine_km(a[0], a[1], lat, long)

    def mass_kg(self, spec: str | None, quantity: Decimal, unit: str) -> Decimal:
        try:
            if compatible(unit, KG):
                return convert(quantity, unit, KG)
        except UnitError:
            pass
        per = (self.specs.get(spec or "") or {}).get("massPerUnit")
        if per:
            try:
                return quantity * convert(Decimal(per["hasNumericalValue"]), per["hasUnit"], KG)
            except UnitError:
                return Decimal(0)
        return Decimal(0)

    def netter(self, at: tuple[float, float] | None, radius_km: float) -> Netter:
        """A netting function for ``explode``: nearest available stock first, within radius."""

        def net(key: Key, quantity: Decimal, unit: str) -> list[Allocation]:
            spec, stage, state = key
            cands: list[tuple[float, Stock, Decimal]] = []
            for s in self.stock.get(spec, ()):
                if (stage is not None and s.stage != stage) or (
                    state is not None and s.state != state
                ):
                    continue
                d = self.distance(at, s.lat, s.long)
                if at is not None and (d is None or d > radius_km):
                    continue
                free = (
                    s.onhand
                    - self.reserved.get(s.id, Decimal(0))
                    - self.taken.get(s.id, Decimal(0))
                )
                if free <= 0:
                    continue
                try:
                    free_in = convert(free, s.unit, unit)
                except UnitError:
                    continue
                cands.append((d or 0.0, s, free_in))
            cands.sort(key=lambda c: (c[0], c[1].id))
            out: list[Allocation] = []
            left = quantity
            for d, s, free_in in cands:
                if left <= 0:
                    break
                take = min(left, free_in)
                left -= take
                native = convert(take, unit, s.unit)
                self.taken[s.id] = self.taken.get(s.id, Decimal(0)) + native
                out.append(
                    Allocation(s.id, s.holder, take, unit, d, s.lat, s.long, native, s.unit, s.spec)
                )
            others = [
                {
                    "resource": s.id,
                    "holder": s.holder,
                    "distanceKm": str(round(d, 3)),
                    "free": str(f),
                }
                for d, s, f in cands[len(out) : len(out) + 3]
            ]
            for a in out:
                a.alternatives = others
            return out

        return net


def load(
    store: Any,
    specs: Iterable[str],
    exclude: frozenset[str] = frozenset(),
    since: datetime | None = None,
) -> PlanData:
    """``exclude``: commitments a revision is about to cancel (their holds do not count);
    ``since``: bookings of people that end before it cannot collide with this plan."""
    specs = sorted(set(specs))
    wanted_classes = {s[len(CLASS) :] for s in specs if s.startswith(CLASS)}
    with store.engine.connect() as conn:
        places: dict[str, tuple[float, float]] = {}
        spec_data: dict[str, dict[str, Any]] = {}
        for row in conn.execute(
            select(vf_objects.c.id, vf_objects.c.type, vf_objects.c.data).where(
                vf_objects.c.type.in_(("SpatialThing", "ResourceSpecification")),
                vf_objects.c.deleted.is_(False),
            )
        ):
            d = json.loads(row.data)
            if row.type == "ResourceSpecification":
                spec_data[row.id] = d
            elif d.get("lat") is not None and d.get("long") is not None:
                places[row.id] = (float(Decimal(d["lat"])), float(Decimal(d["long"])))
        vehicle_specs = [
            k for k, d in spec_data.items() if VEHICLE in (d.get("resourceClassifiedAs") or [])
        ]
        stock: dict[str, list[Stock]] = {}
        vehicles: list[Vehicle] = []
        classed = [
            k for k, d in spec_data.items()
            if wanted_classes & set(d.get("resourceClassifiedAs") or [])
        ]  # fmt: skip
        wanted = set(specs) | set(vehicle_specs) | set(classed)
        cond = resources.c.conforms_to.in_(sorted(wanted))
        for uri in sorted({VEHICLE} | wanted_classes):
            cond = cond | resources.c.classified_as.like(f'%"{uri}"%')
        res_rows = conn.execute(select(resources).where(cond).order_by(resources.c.id)).all()
        for r in res_rows:
            onhand = Decimal(r.onhand_quantity)
            loc = places.get(r.current_location or "")
            classes = json.loads(r.classified_as or "[]")
            spec_classes = (spec_data.get(r.conforms_to or "") or {}).get(
                "resourceClassifiedAs"
            ) or []
            s = Stock(
                r.id, r.conforms_to or "", r.custodian or r.primary_accountable or "", onhand,
                r.unit or "", r.stage, r.state, loc[0] if loc else None, loc[1] if loc else None,
                classes,
            )  # fmt: skip
            if VEHICLE in classes or VEHICLE in spec_classes:
                cap = _capacity(classes) or _capacity(spec_classes)
                if cap is not None and onhand > 0:
                    vehicles.append(Vehicle(r.id, s.holder, cap, s.lat, s.long))
                continue
            if onhand <= 0:
                continue
            if r.conforms_to in specs:
                stock.setdefault(r.conforms_to, []).append(s)
            for uri in wanted_classes & (set(classes) | set(spec_classes)):
                stock.setdefault(f"{CLASS}{uri}", []).append(s)
        held = reserved(conn, exclude)
        offers, windows = _offers(conn, exclude)
        for vid, spans in trips(conn, [v.id for v in vehicles], exclude).items():
            next(v for v in vehicles if v.id == vid).busy.extend(spans)
        drivers = {v.custodian for v in vehicles}
        busy = bookings(conn, {o.agent for o in offers} | drivers, exclude, since)
    for v in vehicles:  # its trips book whoever drives it now (its custodian: them, as a rule)
        busy.setdefault(v.custodian, []).extend(v.busy)
    hours = {a: windows[a] for a in sorted(drivers & set(windows))}
    return PlanData(places, spec_data, stock, held, offers, vehicles, busy=busy, hours=hours)


def _capacity(classes: list[str]) -> Decimal | None:
    for c in classes:
        if c.startswith(CAPACITY):
            return Decimal(c[len(CAPACITY) :])
    return None


def _offers(
    conn: Any, exclude: frozenset[str]
) -> tuple[list[Offer], dict[str, list[tuple[datetime | None, datetime | None]]]]:
    """Open offers of work with hours left; and per agent, the windows of all its open offers
    of work (when a driver may drive, hours left or not)."""
    used: dict[str, Decimal] = {}
    done = reduced(conn)
    for c in conn.execute(
        select(
            commitments.c.id, commitments.c.intent, commitments.c.quantity, commitments.c.unit
        ).where(commitments.c.intent.is_not(None), live(commitments.c.id, exclude))
    ):
        hours = convert(done.get(c.id, Decimal(c.quantity)), c.unit, HOUR)
        used[c.intent] = used.get(c.intent, Decimal(0)) + hours
    out = []
    windows: dict[str, list[tuple[datetime | None, datetime | None]]] = {}
    for r in conn.execute(
        select(intents)
        .where(
            intents.c.purpose == "offer",
            intents.c.is_work.is_(True),
            intents.c.status == "open",
            intents.c.role == "primary",
        )
        .order_by(intents.c.id)
    ):
        windows.setdefault(r.provider or r.agent, []).append(
            (parse_time(r.begins), parse_time(r.ends))
        )
        if r.available is None or r.unit is None:
            continue
        try:
            hours = convert(Decimal(r.available), r.unit, HOUR) - used.get(r.id, Decimal(0))
        except UnitError:
            continue
        if hours <= 0:
            continue
        out.append(
            Offer(
                r.id, r.provider or r.agent, r.spec, set(json.loads(r.classes)), hours,
                parse_time(r.begins), parse_time(r.ends), r.lat, r.long,
            )
        )  # fmt: skip
    return out, windows
