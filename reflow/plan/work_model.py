"""Who works when: the CP-SAT model that gives work needs to people's offers, in stretches of
time that never overlap for one person.

Variables, per work need ``n`` and candidate offer ``o`` (only the least late, then nearest,
offers of the skill whose window overlaps the process): ``h[n, o]``, tenths of an hour of ``n``
done under ``o`` inside the process window and the offer's window; an offer's hours bound the
sum over needs; what no offer covers is ``short[n]``.

Nobody is in two places at once, nor booked over their commitments in other plans (or the ones
this plan keeps). Per person, for every stretch ``[s, e]`` from a window's opening (or the end
of a booking) to a window's closing (or the start of a booking), the work that must fall inside
it is at most the time free there. For one person working on several processes, with windows
and times already booked, this is exactly when a timetable exists if work on a process may be
done in more than one stretch (Horn, 1974): the solution is then laid out by earliest deadline
first (``place``), switching to a more urgent process when its window opens. The constraints
are linear, so the model stays as fast to prove optimal as a transportation problem; a model
with one optional interval per candidate and no-overlap per person, tried first, kept whole
blocks together but, at 200 processes and 500 people, did not get past the greedy answer in
its budget.

Time is counted in tenths of an hour (6 minutes) from the earliest need, the grain of the hours.
A greedy answer (least late, then nearest, in the order of the needs; each block in the largest
free gap of that person's time) is the hint, and the answer itself if the solver finds nothing
better in its budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ortools.sat.python import cp_model

from reflow.market.matching import haversine_km
from reflow.plan.data import Offer

W_SHORT = 100_000  # per tenth of an hour nobody covers
W_LATE = 100  # per hour of lateness (per tenth of an hour worked late)
W_KM = 10  # per kilometre (per tenth of an hour worked: more hours, more trips)
W_HOUR = 1  # per tenth of an hour: the cheapest plan does not split work without need
NEAREST = 12  # offers per work need given to the solver: the least late, then the nearest
TICK = timedelta(minutes=6)  # a tenth of an hour


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


@dataclass(slots=True)
class WorkModel:
    model: cp_model.CpModel
    t0: datetime
    pairs: dict[str, list[Pair]]
    short: dict[str, Any]
    candidates: dict[str, list[dict[str, Any]]]
    hint: dict[int, int] = field(default_factory=dict)  # the greedy answer
    blocks: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # the greedy's
    by_agent: dict[str, list[Pair]] = field(default_factory=dict)
    booked: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # in ticks

    def at(self, tick: int) -> datetime:
        return self.t0 + tick * TICK


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
    needs: list[WorkNeed], offers: list[Offer], busy: dict[str, list[tuple[datetime, datetime]]]
) -> WorkModel:
    m = cp_model.CpModel()
    t0 = min((n.begins for n in needs), default=datetime(2000, 1, 1, tzinfo=UTC))
    wm = WorkModel(m, t0, {}, {}, {})
    cost: list[Any] = []
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
    caps = {o.intent: math.floor(o.hours * 10) for o in offers}
    for oid, ps in by_offer.items():
        m.add(sum(p.h for p in ps) <= caps[oid])
    for agent, ps in wm.by_agent.items():
        wm.booked[agent] = _busy_ticks(busy.get(agent, ()), t0, ps)
        _energy(m, ps, wm.booked[agent])
    m.minimize(sum(cost))
    _greedy(wm, needs, caps, {a: list(b) for a, b in wm.booked.items()})
    for var, value in wm.hint.items():
        m.proto.solution_hint.vars.append(var)
        m.proto.solution_hint.values.append(value)
    return wm


def _busy_ticks(busy: Any, t0: datetime, pairs: list[Pair]) -> list[tuple[int, int]]:
    """This person's existing commitments that meet a candidate window, in ticks."""
    lo, hi = min(p.lo for p in pairs), max(p.hi for p in pairs)
    out = []
    for b, e in busy:
        bt, et = _tick(b, t0, up=False), _tick(e, t0, up=True)
        if et > lo and bt < hi and et > bt:
            out.append((bt, et))
    return sorted(out)


def _energy(m: cp_model.CpModel, pairs: list[Pair], booked: list[tuple[int, int]]) -> None:
    """For every stretch from a window's opening (or a booking's end) to a window's closing (or
    a booking's start), the work that must fall inside it fits in the time free there."""
    if len(pairs) < 2 and not booked:
        return
    opens = sorted({p.lo for p in pairs} | {e for _b, e in booked})
    closes = sorted({p.hi for p in pairs} | {b for b, _e in booked})
    for s in opens:
        for e in closes:
            if e <= s:
                continue
            inside = [p for p in pairs if p.lo >= s and p.hi <= e]
            if not inside:
                continue
            taken = sum(min(e, b2) - max(s, b1) for b1, b2 in booked if b1 < e and s < b2)
            free = (e - s) - taken
            if (len(inside) > 1 or taken) and sum(p.cap for p in inside) > free:
                m.add(sum(p.h for p in inside) <= max(0, free))


def place(wm: WorkModel, value: Callable[[Any], int]) -> dict[int, list[tuple[int, int]]]:
    """The stretches of time of every block of the solution ``value`` (per ``h`` variable):
    each person's work laid out earliest deadline first around their bookings, switching to a
    more urgent process when its window opens (the energy constraints make this always fit)."""
    out: dict[int, list[tuple[int, int]]] = {}
    for agent, ps in wm.by_agent.items():
        jobs = [(p.lo, p.hi, value(p.h), p.h.index) for p in ps if value(p.h) > 0]
        if jobs:
            out.update(_edf(jobs, wm.booked[agent]))
    return out


def _edf(
    jobs: list[tuple[int, int, int, int]], booked: list[tuple[int, int]]
) -> dict[int, list[tuple[int, int]]]:
    """Preemptive earliest-deadline-first on one person's time (optimal for one machine with
    release times and deadlines, and with times it is not available)."""
    left = {key: length for _lo, _hi, length, key in jobs}
    release = sorted({lo for lo, _hi, _l, _k in jobs} | {e for _b, e in booked})
    out: dict[int, list[tuple[int, int]]] = {key: [] for key in left}
    t = min(lo for lo, _hi, _l, _k in jobs)
    while any(left.values()):
        busy = next(((b, e) for b, e in booked if b <= t < e), None)
        if busy is not None:
            t = busy[1]
            continue
        ready = [(hi, key) for lo, hi, _l, key in jobs if lo <= t and left[key] > 0]
        if not ready:
            t = min(lo for lo, _hi, _l, key in jobs if left[key] > 0 and lo > t)
            continue
        _hi, key = min(ready)
        stop = min(
            [t + left[key]] + [r for r in release if r > t] + [b for b, _e in booked if b > t]
        )
        pieces = out[key]
        if pieces and pieces[-1][1] == t:
            pieces[-1] = (pieces[-1][0], stop)
        else:
            pieces.append((t, stop))
        left[key] -= stop - t
        t = stop
    return out


def _largest_gap(booked: list[tuple[int, int]], lo: int, hi: int) -> tuple[int, int]:
    """The longest free stretch of ``[lo, hi]`` (the earliest of equals): (start, length)."""
    best, at = (lo, 0), lo
    for b, e in sorted(booked):
        if e <= at or b >= hi:
            continue
        if b > at and b - at > best[1]:
            best = (at, b - at)
        at = max(at, e)
    if hi > at and hi - at > best[1]:
        best = (at, hi - at)
    return best


def _greedy(
    wm: WorkModel,
    needs: list[WorkNeed],
    caps: dict[str, int],
    booked: dict[str, list[tuple[int, int]]],
) -> None:
    left = dict(caps)
    for n in needs:
        want = math.ceil(n.hours * 10)
        for p in wm.pairs[n.id]:
            start, room = _largest_gap(booked[p.offer.agent], p.lo, p.hi)
            give = max(0, min(want, left[p.offer.intent], p.cap, room))
            wm.hint[p.h.index] = give
            wm.blocks[p.h.index] = [(start, start + give)] if give else []
            if give:
                booked[p.offer.agent].append((start, start + give))
                want -= give
                left[p.offer.intent] -= give
        wm.hint[wm.short[n.id].index] = want
