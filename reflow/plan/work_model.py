"""Who works when: the time part of the CP-SAT model of a plan. It gives work needs to people's
offers, and books drivers for the trips of their vehicles, in stretches of time that never
overlap for one person.

Variables, per work need ``n`` and candidate offer ``o`` (only the least late, then nearest,
offers of the skill whose window overlaps the process): ``h[n, o]``, tenths of an hour of ``n``
done under ``o`` inside the process window and the offer's window; an offer's hours bound the
sum over needs; what no offer covers is ``short[n]``. A trip a vehicle may make (``load_model``'s
``z[l, v]``) is a job of its driver too: ``z`` times the trip's length, inside the trip's window.

Nobody is in two places at once — at work or at the wheel —, nor booked over their commitments
in other plans (or the ones this plan keeps), nor asked to drive outside the hours they offer
(a driver who offers work is free only in the windows of those offers; one who offers none, any
time). Per person, for every stretch ``[s, e]`` from a window's opening (or the end of a
booking) to a window's closing (or the start of a booking), the work and driving that must fall
inside it are at most the time free there. For one person working on several processes, with windows
and times already booked, this is exactly when a timetable exists if work on a process may be
done in more than one stretch (Horn, 1974): the solution is then laid out by earliest deadline
first (``place``), switching to a more urgent process when its window opens. The constraints
are linear, so the model stays as fast to prove optimal as a transportation problem; a model
with one optional interval per candidate and no-overlap per person, tried first, kept whole
blocks together but, at 200 processes and 500 people, did not get past the greedy answer in
its budget.

Time is counted in tenths of an hour (6 minutes) from the earliest need, the grain of the hours.
A greedy answer (least late, then nearest, in the order of the needs; each block in the largest
free gap of that person's time; then the trips, in ``load_model``'s order) is the hint, and the
answer itself if the solver finds nothing better in its budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ortools.sat.python import cp_model

from reflow.market.matching import haversine_km
from reflow.plan.data import Offer, Vehicle
from reflow.plan.load_model import Load
from reflow.plan.timeline import edf, largest_gap, merge

W_SHORT = 100_000  # per tenth of an hour nobody covers
W_LATE = 100  # per hour of lateness (per tenth of an hour worked late)
W_KM = 10  # per kilometre (per tenth of an hour worked: more hours, more trips)
W_HOUR = 1  # per tenth of an hour: the cheapest plan does not split work without need
NEAREST = 12  # offers per work need given to the solver: the least late, then the nearest
TICK = timedelta(minutes=6)  # a tenth of an hour
FAR = 10**9  # ticks: beyond any plan's horizon (an offer window open at one end)

Window = tuple[datetime | None, datetime | None]


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
class Pair:
    """One candidate: need ``need`` done (in part) under ``offer``, in ticks ``[lo, hi]``."""

    need: WorkNeed
    offer: Offer
    h: Any
    cap: int
    km: float
    late: float
    lo: int
    hi: int

    @property
    def agent(self) -> str:
        return self.offer.agent

    @property
    def key(self) -> int:
        return int(self.h.index)

    def amount(self) -> Any:
        return self.h

    def given(self, value: Callable[[Any], int]) -> int:
        return value(self.h)


@dataclass(slots=True)
class Drive:
    """One candidate trip: ``vehicle`` carries load ``load``, and its driver is then busy ``cap``
    ticks within ``[lo, hi]`` — all of them, or none (``z``)."""

    load: str
    vehicle: Vehicle
    z: Any
    cap: int
    lo: int
    hi: int

    @property
    def agent(self) -> str:
        return self.vehicle.custodian

    @property
    def key(self) -> int:
        return int(self.z.index)

    def amount(self) -> Any:
        return self.cap * self.z

    def given(self, value: Callable[[Any], int]) -> int:
        return self.cap * value(self.z)


Job = Pair | Drive


@dataclass(slots=True)
class WorkModel:
    model: cp_model.CpModel
    t0: datetime
    pairs: dict[str, list[Pair]]
    short: dict[str, Any]
    candidates: dict[str, list[dict[str, Any]]]
    hint: dict[int, int] = field(default_factory=dict)  # the greedy answer
    blocks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # the greedy's
    by_agent: dict[str, list[Job]] = field(default_factory=dict)
    booked: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # in ticks
    busy: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # bookings, in ticks
    hours: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # drivers' windows
    drives: dict[int, Drive] = field(default_factory=dict)  # by the index of their z
    caps: dict[str, int] = field(default_factory=dict)  # per offer, tenths of an hour
    taken: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # the greedy's time

    def at(self, tick: int) -> datetime:
        return self.t0 + tick * TICK

    def tick(self, t: datetime, *, up: bool) -> int:
        return _tick(t, self.t0, up=up)

    def unavailable(self, agent: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """The agent's time in ``[lo, hi]`` that is booked, or outside the hours it offers."""
        out = [(max(b, lo), min(e, hi)) for b, e in self.busy.get(agent, ()) if b < hi and e > lo]
        windows = self.hours.get(agent)
        if windows is not None:
            at = lo
            for b, e in windows:
                if b > at:
                    out.append((at, min(b, hi)))
                at = max(at, e)
                if at >= hi:
                    break
            if at < hi:
                out.append((at, hi))
        return merge(out)


def skilled(need: WorkNeed, offer: Offer) -> bool:
    if need.skill is not None and offer.spec == need.skill:
        return True
    return bool(need.classes & offer.classes)


def available_for(need: WorkNeed, offer: Offer) -> bool:
    """The offer's window overlaps the time the process is scheduled to run."""
    if offer.ends is not None and offer.ends <= need.begins:
        return False
    return not (offer.begins is not None and offer.begins >= need.ends)


def _km(a: tuple[float, float] | None, lat: float | None, long: float | None) -> float:
    if a is None or lat is None or long is None:
        return 0.0
    return haversine_km(a[0], a[1], lat, long)


def _tick(t: datetime, t0: datetime, *, up: bool) -> int:
    q = (t - t0) / TICK
    return math.ceil(q) if up else math.floor(q)


def build(
    m: cp_model.CpModel,
    t0: datetime,
    needs: list[WorkNeed],
    offers: list[Offer],
    busy: dict[str, list[tuple[datetime, datetime]]],
    hours: dict[str, list[Window]],
) -> tuple[WorkModel, list[Any]]:
    """The work variables in ``m`` and their costs. ``busy``: per agent, the time its live
    commitments book; ``hours``: per driver who offers work, the windows of those offers."""
    wm = WorkModel(m, t0, {}, {}, {})
    cost: list[Any] = []
    wm.busy = {
        a: merge((_tick(b, t0, up=False), _tick(e, t0, up=True)) for b, e in spans)
        for a, spans in busy.items()
    }
    wm.hours = {
        a: merge(
            (
                -FAR if b is None else _tick(b, t0, up=True),
                FAR if e is None else _tick(e, t0, up=False),
            )
            for b, e in spans
        )
        for a, spans in hours.items()
    }
    by_skill: dict[str | None, list[Offer]] = {}
    for o in offers:
        by_skill.setdefault(o.spec, []).append(o)
    for n in needs:
        tenths = math.ceil(n.hours * 10)
        pool = by_skill.get(n.skill, []) if n.skill and not n.classes else offers
        usable = []
        for o in pool:
            if not skilled(n, o):
                continue
            late = 0.0
            if o.begins is not None and o.begins > n.begins:
                late = (o.begins - n.begins).total_seconds() / 3600
            km = _km(n.at, o.lat, o.long)
            ok = available_for(n, o)
            wm.candidates.setdefault(n.id, []).append(
                {
                    "agent": o.agent,
                    "offer": o.intent,
                    "hours": str(o.hours),
                    "distanceKm": round(km, 3),
                    "available": ok,
                    "lateHours": round(late, 2),
                }
            )
            if ok:
                usable.append((late, km, o.intent, o))
        usable.sort(key=lambda u: u[:3])
        choices = []
        for late, km, _i, o in usable[:NEAREST]:
            lo = _tick(max(n.begins, o.begins) if o.begins else n.begins, t0, up=True)
            hi = _tick(min(n.ends, o.ends) if o.ends else n.ends, t0, up=False)
            cap = min(tenths, math.floor(o.hours * 10), hi - lo)
            if cap <= 0:
                continue
            h = m.new_int_var(0, cap, f"h_{n.id}_{o.intent}")
            choices.append(Pair(n, o, h, cap, km, late, lo, hi))
            cost.append((W_LATE * round(late) + W_KM * round(km) + W_HOUR) * h)
        s = m.new_int_var(0, tenths, f"short_{n.id}")
        m.add(sum(c.h for c in choices) + s == tenths)
        cost.append(W_SHORT * s)
        wm.pairs[n.id], wm.short[n.id] = choices, s
    by_offer: dict[str, list[Pair]] = {}
    for ps in wm.pairs.values():
        for p in ps:
            by_offer.setdefault(p.offer.intent, []).append(p)
            wm.by_agent.setdefault(p.offer.agent, []).append(p)
    wm.caps = {o.intent: math.floor(o.hours * 10) for o in offers}
    for oid, ps in by_offer.items():
        m.add(sum(p.h for p in ps) <= wm.caps[oid])
    return wm, cost


def _trip(wm: WorkModel, load: Load, hours: Decimal) -> tuple[int, int, int] | None:
    if load.window is None:
        return None
    lo, hi = wm.tick(load.window[0], up=True), wm.tick(load.window[1], up=False)
    return lo, hi, math.ceil(hours * 10)


def driver_free(wm: WorkModel, load: Load, vehicle: Vehicle, hours: Decimal) -> bool:
    """The vehicle's driver has the trip's time free in its window (other bookings, and the
    hours the driver offers, left out; this plan's other work and trips are the model's)."""
    span = _trip(wm, load, hours)
    if span is None:
        return True
    lo, hi, cap = span
    gone = sum(e - b for b, e in wm.unavailable(vehicle.custodian, lo, hi))
    return hi - lo - gone >= cap


def add_drive(wm: WorkModel, load: Load, vehicle: Vehicle, z: Any, hours: Decimal) -> None:
    """The trip becomes a job of its driver (a trip of unknown time books nothing)."""
    span = _trip(wm, load, hours)
    if span is None:
        return
    d = Drive(load.id, vehicle, z, span[2], span[0], span[1])
    wm.drives[d.key] = d
    wm.blocks[d.key] = []
    wm.by_agent.setdefault(d.agent, []).append(d)


def finish(wm: WorkModel, needs: list[WorkNeed]) -> None:
    """Once every job is known: each person's time constraints, and the greedy work answer."""
    for agent, jobs in wm.by_agent.items():
        wm.booked[agent] = wm.unavailable(agent, min(j.lo for j in jobs), max(j.hi for j in jobs))
        _energy(wm.model, jobs, wm.booked[agent])
    wm.taken = {a: list(b) for a, b in wm.booked.items()}
    _greedy(wm, needs, dict(wm.caps))


def book_drive(wm: WorkModel, z: Any) -> bool:
    """In the greedy answer: the trip of ``z`` in the largest free gap of its driver's time, if
    it fits there (a trip of unknown time always fits)."""
    d = wm.drives.get(z.index)
    if d is None:
        return True
    start, room = largest_gap(wm.taken[d.agent], d.lo, d.hi)
    if room < d.cap:
        return False
    wm.taken[d.agent].append((start, start + d.cap))
    wm.blocks[d.key] = [(start, start + d.cap)]
    return True


def _energy(m: cp_model.CpModel, jobs: list[Job], booked: list[tuple[int, int]]) -> None:
    """For every stretch from a window's opening (or a booking's end) to a window's closing (or
    a booking's start), the work and trips that must fall inside it fit in the time free there."""
    if len(jobs) < 2 and not booked:
        return
    opens = sorted({p.lo for p in jobs} | {e for _b, e in booked})
    closes = sorted({p.hi for p in jobs} | {b for b, _e in booked})
    for s in opens:
        for e in closes:
            if e <= s:
                continue
            inside = [p for p in jobs if p.lo >= s and p.hi <= e]
            if not inside:
                continue
            taken = sum(min(e, b2) - max(s, b1) for b1, b2 in booked if b1 < e and s < b2)
            free = (e - s) - taken
            if (len(inside) > 1 or taken) and sum(p.cap for p in inside) > free:
                m.add(sum(p.amount() for p in inside) <= max(0, free))


def place(wm: WorkModel, value: Callable[[Any], int]) -> dict[int, list[tuple[int, int]]]:
    """The stretches of time of every block and trip of the solution ``value`` (per variable):
    each person's work and driving laid out earliest deadline first around their bookings,
    switching to a more urgent one when its window opens (the energy constraints make this
    always fit)."""
    out: dict[int, list[tuple[int, int]]] = {}
    for agent, ps in wm.by_agent.items():
        jobs = [(p.lo, p.hi, p.given(value), p.key) for p in ps if p.given(value) > 0]
        if jobs:
            out.update(edf(jobs, wm.booked[agent]))
    return out


def _greedy(wm: WorkModel, needs: list[WorkNeed], left: dict[str, int]) -> None:
    booked = wm.taken
    for n in needs:
        want = math.ceil(n.hours * 10)
        for p in wm.pairs[n.id]:
            start, room = largest_gap(booked[p.offer.agent], p.lo, p.hi)
            give = max(0, min(want, left[p.offer.intent], p.cap, room))
            wm.hint[p.h.index] = give
            wm.blocks[p.h.index] = [(start, start + give)] if give else []
            if give:
                booked[p.offer.agent].append((start, start + give))
                want -= give
                left[p.offer.intent] -= give
        wm.hint[wm.short[n.id].index] = want
