"""Who works when: the CP-SAT model that gives work needs to people's offers, in blocks of time.

Variables, per work need ``n`` and candidate offer ``o`` (only the least late, then nearest,
offers of the skill whose window overlaps the process):

* ``h[n, o]`` — tenths of an hour of ``n`` done under ``o``; an offer's hours bound the sum over
  needs; what no offer covers is ``short[n]``.
* for a person who could be asked to be in two places at once — two candidate blocks whose
  windows overlap, or a block whose window overlaps that person's commitments in other plans (or
  kept ones of this plan) — each candidate is an optional *interval* ``[s, s + h)`` inside the
  process window and the offer's window, and a no-overlap constraint per person keeps the blocks
  and the existing commitments apart. Everyone else gets no interval: their block starts when
  their window opens, and the model stays a transportation problem that CP-SAT proves fast.

Time is counted in tenths of an hour (6 minutes) from the earliest need, the same grain as the
hours, so a block of ``h`` tenths is ``h`` ticks long. The block of one person on one process is
contiguous: people are booked for a stretch of time, not for hours scattered over the window.

A greedy answer (least late, then nearest, in the order of the needs; each block in the largest
free gap of that person's time) is the solver's hint, and the answer itself if the solver finds
nothing better in its budget.
"""

from __future__ import annotations

import math
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
    present: Any = None  # with ``start``: only for people whose blocks could collide
    start: Any = None
    end: Any = None


@dataclass(slots=True)
class WorkModel:
    model: cp_model.CpModel
    t0: datetime
    pairs: dict[str, list[Pair]]
    short: dict[str, Any]
    candidates: dict[str, list[dict[str, Any]]]
    hint: dict[int, int] = field(default_factory=dict)
    starts: dict[int, int] = field(default_factory=dict)  # greedy start per h variable

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
    by_agent: dict[str, list[Pair]] = {}
    for ps in wm.pairs.values():
        for p in ps:
            by_offer.setdefault(p.offer.intent, []).append(p)
            by_agent.setdefault(p.offer.agent, []).append(p)
    caps = {o.intent: math.floor(o.hours * 10) for o in offers}
    for oid, ps in by_offer.items():
        m.add(sum(p.h for p in ps) <= caps[oid])
    booked: dict[str, list[tuple[int, int]]] = {}
    for agent, ps in by_agent.items():
        blocks = _busy_ticks(busy.get(agent, ()), t0, ps)
        booked[agent] = list(blocks)
        if _may_collide(ps, blocks):
            _intervals(m, agent, ps, blocks)
    m.minimize(sum(cost))
    _greedy(wm, needs, caps, booked)
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


def _may_collide(pairs: list[Pair], blocks: list[tuple[int, int]]) -> bool:
    for i, p in enumerate(pairs):
        for q in pairs[i + 1 :]:
            if p.lo < q.hi and q.lo < p.hi:
                return True
        if any(b < p.hi and p.lo < e for b, e in blocks):
            return True
    return False


def _intervals(
    m: cp_model.CpModel, agent: str, pairs: list[Pair], blocks: list[tuple[int, int]]
) -> None:
    ivs = []
    for p in pairs:
        p.present = m.new_bool_var(f"x_{p.need.id}_{p.offer.intent}")
        m.add(p.h >= 1).only_enforce_if(p.present)
        m.add(p.h == 0).only_enforce_if(~p.present)
        p.start = m.new_int_var(p.lo, p.hi, f"s_{p.need.id}_{p.offer.intent}")
        p.end = m.new_int_var(p.lo, p.hi, f"e_{p.need.id}_{p.offer.intent}")
        ivs.append(
            m.new_optional_interval_var(
                p.start, p.h, p.end, p.present, f"iv_{p.need.id}_{p.offer.intent}"
            )
        )
    for i, (b, e) in enumerate(blocks):
        ivs.append(m.new_fixed_size_interval_var(b, e - b, f"busy_{agent[:12]}_{i}"))
    m.add_no_overlap(ivs)


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
            wm.starts[p.h.index] = start if give else p.lo
            if p.present is not None:
                wm.hint[p.present.index] = int(give > 0)
                wm.hint[p.start.index] = wm.starts[p.h.index]
                wm.hint[p.end.index] = wm.starts[p.h.index] + give
            if give:
                booked[p.offer.agent].append((start, start + give))
                want -= give
                left[p.offer.intent] -= give
        wm.hint[wm.short[n.id].index] = want
    for var, value in wm.hint.items():
        wm.model.proto.solution_hint.vars.append(var)
        wm.model.proto.solution_hint.values.append(value)
