"""Dependent demand, netting and backward scheduling: pure functions over a recipe book.

The classic MRP order: every need key gets a *low-level code* — the deepest level at which it
appears under the independent demand — and keys are processed level by level, so when a key is
netted and exploded, every process that consumes it has already added its gross requirement.
A sub-assembly appearing twice is therefore summed into one planned process, not exploded twice.

When several recipes make a key, every one of them counts for the low-level codes, and a
``Chooser`` picks one when the key is exploded (see ``choose``); a recipe that would make a key
from itself is left out, and refused only when no other recipe makes that key.

When a plan is revised, ``Credits`` say what it already has: supplies kept (they count before
inventory is netted), and per recipe process and flow the work and inputs done or kept — less
what went into output already produced, which inventory now holds — so only the rest is planned.

Scheduling goes the same way down: a planned process ends when the earliest of its consumers
starts (the top one at the due date) and starts its duration earlier. Whatever would have to
start before *now* makes the plan late by that much; the chain of consumers from it up to the
demand is the critical path that explains why, and the whole schedule is then moved to start
now (people are assigned to the times the work can really happen). A process a revision keeps
(something of it is done or promised) keeps its times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from reflow.errors import RuleViolation, UnitError
from reflow.plan.recipes import Flow, Key, RecipeBook, RecipeProcess
from reflow.vf.units import convert

EXACT = Decimal("0.000001")


def up(q: Decimal) -> Decimal:
    """Needs are rounded up to a millionth, so a scaled need is never short by a rounding."""
    return q.quantize(EXACT, rounding=ROUND_CEILING).normalize()


@dataclass(slots=True)
class Allocation:
    """A part of a need netted against one inventoried resource."""

    resource: str
    holder: str
    quantity: Decimal
    unit: str
    distance_km: float
    lat: float | None
    long: float | None
    resource_quantity: Decimal = Decimal(0)  # the same, in the resource's own unit
    resource_unit: str = ""
    spec: str = ""  # the resource's own specification (a need may name a class)
    alternatives: list[dict[str, object]] = field(default_factory=list)


@dataclass(slots=True)
class Need:
    key: Key
    unit: str
    gross: Decimal = Decimal(0)
    consumers: list[tuple[str, Flow]] = field(default_factory=list)  # (planned process, flow)
    allocations: list[Allocation] = field(default_factory=list)
    net: Decimal = Decimal(0)  # what is still needed after netting
    producer: str | None = None  # the planned process making the net need
    kept: Decimal = Decimal(0)  # covered by supplies a revision keeps

    @property
    def netted(self) -> Decimal:
        return sum((a.quantity for a in self.allocations), Decimal(0))


@dataclass(slots=True)
class Credits:
    """What a plan being revised already has, so that only the rest is planned again.

    ``supplies``: per need key, supplies kept (quantity, unit). ``done``: per (recipe process,
    recipe flow), work hours or input quantity fulfilled; ``kept``: the same, promised by open
    commitments kept. ``produced``: per recipe process, output fulfilled (in the output flow's
    unit) — what inventory now holds, so the work and inputs that made it are not credited twice.
    ``under_way``: recipe processes the plan keeps a process of: chosen again over alternatives.
    """

    supplies: dict[Key, list[tuple[Decimal, str]]] = field(default_factory=dict)
    done: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    kept: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    produced: dict[str, Decimal] = field(default_factory=dict)
    under_way: set[str] = field(default_factory=set)  # recipe processes of processes kept

    def supplied(self, key: Key, unit: str) -> Decimal:
        total = Decimal(0)
        for value, u in self.supplies.get(key, ()):
            try:
                total += convert(value, u, unit)
            except UnitError:
                continue
        return total

    def flow(self, process: RecipeProcess, f: Flow, per_output: Decimal | None) -> Decimal:
        """How much of flow ``f`` of ``process`` is already had: done beyond what went into
        output produced (``per_output`` of it per unit of output), plus kept."""
        done = self.done.get((process.id, f.id), Decimal(0))
        made = self.produced.get(process.id, Decimal(0))
        if per_output is not None:
            done = max(Decimal(0), done - made * per_output)
        return done + self.kept.get((process.id, f.id), Decimal(0))


@dataclass(slots=True)
class Planned:
    """One process of the plan: a recipe process scaled to a net need."""

    id: str  # local id (the recipe process id: one planned process per recipe process)
    recipe: RecipeProcess
    scale: Decimal
    output: Flow
    begins: datetime | None = None
    ends: datetime | None = None
    consumer: str | None = None  # the planned process whose start set this one's end
    work: list[tuple[Flow, Decimal]] = field(default_factory=list)  # (flow, hours)
    inputs: list[tuple[Flow, Decimal]] = field(default_factory=list)
    choice: dict[str, Any] | None = None  # why this recipe, when others make the same output


@dataclass(slots=True)
class Explosion:
    needs: dict[Key, Need]
    processes: dict[str, Planned]
    order: list[Key]  # keys in low-level order
    top: Key
    choices: list[dict[str, Any]] = field(default_factory=list)  # recipes chosen among others

    def unmet(self) -> list[Need]:
        """Needs nobody makes (no recipe) and inventory does not cover."""
        return [n for k, n in self.needs.items() if n.net > 0 and n.producer is None]


Netter = Callable[[Key, Decimal, str], list[Allocation]]
# (key, its producers, the need, the latest the key may be ready) -> (chosen, why)
Chooser = Callable[
    [Key, list[RecipeProcess], Need, datetime | None], tuple[RecipeProcess, dict[str, Any]]
]


@dataclass(slots=True)
class Levels:
    level: dict[Key, int]
    skip: set[tuple[Key, str]]  # (key, recipe process) pairs that would make a key from itself

    def producers(self, book: RecipeBook, key: Key) -> list[RecipeProcess]:
        return [p for p in book.producers(key) if (key, p.id) not in self.skip]


def levels(book: RecipeBook, top: Key) -> Levels:
    """Low-level codes over every recipe that could make each key. A recipe that would make a
    key from itself is left out; the cycle is refused when no other recipe makes that key."""
    level: dict[Key, int] = {}
    skip: set[tuple[Key, str]] = set()
    path: list[Key] = []

    def visit(key: Key, depth: int) -> None:
        if level.get(key, -1) >= depth:
            return
        level[key] = depth
        cands = book.producers(key)
        path.append(key)
        usable, loop = 0, None
        for p in cands:
            back = next((f.key for f in p.inputs if f.material and f.key in path), None)
            if back is not None or (key, p.id) in skip:
                skip.add((key, p.id))
                loop = loop or back
                continue
            usable += 1
            for f in p.inputs:
                if f.material:
                    visit(f.key, depth + 1)
        path.pop()
        if cands and not usable and loop is not None:
            names = " → ".join(k[0][:12] for k in [*path[path.index(loop) :], key, loop])
            raise RuleViolation(
                f"recipes make {loop[0]} from itself ({names})", field="spec", rule="no-cycle"
            )

    visit(top, 0)
    return Levels(level, skip)


def explode(
    book: RecipeBook,
    top: Key,
    quantity: Decimal,
    unit: str,
    net: Netter,
    *,
    credits: Credits | None = None,
    choose: Chooser | None = None,
    due: datetime | None = None,
) -> Explosion:
    """Explode level by level: gross of a key = sum over its planned consumers; net; make.

    ``due`` gives planned processes provisional times as they are made (a consumer is always
    made before what it consumes), so a ``choose`` knows by when each key is needed."""
    lv = levels(book, top)
    order = sorted(lv.level, key=lambda k: (lv.level[k], k[0], k[1] or "", k[2] or ""))
    needs: dict[Key, Need] = {top: Need(top, unit, gross=quantity)}
    planned: dict[str, Planned] = {}
    credits = credits or Credits()
    choices: list[dict[str, Any]] = []
    for key in order:
        need = needs.get(key)
        if need is None or need.gross <= 0:
            continue
        need.kept = min(need.gross, credits.supplied(key, need.unit))
        if need.gross > need.kept:
            need.allocations = net(key, need.gross - need.kept, need.unit)
        need.net = max(Decimal(0), need.gross - need.kept - need.netted)
        cands = lv.producers(book, key)
        if need.net <= 0 or not cands:
            continue
        by = _needed_by(need, planned, due) if key != top else due
        why = None
        producer = cands[0]
        kept = [p for p in cands if p.id in credits.under_way]
        if kept:  # a recipe under way, or promised, is the one this plan goes on with
            producer = kept[0]
        elif len(cands) > 1 and choose is not None:
            producer, why = choose(key, cands, need, by)
            choices.append(why)
        out = producer.output_for(key[0])
        assert out is not None and out.quantity
        pid = producer.id if producer.id not in planned else f"{producer.id}:{len(planned)}"
        p = Planned(pid, producer, need.net / out.quantity, out, choice=why)
        if by is not None:
            p.ends, p.begins = by, by - timedelta(hours=float(producer.hours))
        planned[p.id] = p
        need.producer = p.id
        for f in producer.inputs:
            if f.action == "work" and f.effort:
                had = credits.flow(producer, f, f.effort / out.quantity)
                hours = up(max(Decimal(0), f.effort * p.scale - had))
                if hours > 0:
                    p.work.append((f, hours))
                continue
            if not f.material:
                continue
            assert f.quantity is not None
            had = credits.flow(producer, f, f.quantity / out.quantity)
            q = up(max(Decimal(0), f.quantity * p.scale - had))
            if q <= 0:
                continue
            p.inputs.append((f, q))
            child = needs.setdefault(f.key, Need(f.key, f.unit or unit))
            child.gross += q
            child.consumers.append((p.id, f))
    return Explosion(needs, planned, order, top, choices)


def _needed_by(need: Need, planned: dict[str, Planned], due: datetime | None) -> datetime | None:
    times = [planned[c].begins for c, _f in need.consumers]
    known = [t for t in times if t is not None]
    return min(known) if known else due


@dataclass(slots=True)
class Schedule:
    """``begins`` is when the plan starts: at ``now`` when it is late (and all its processes
    then shifted by ``late_by``, so that it ends ``late_by`` after the due date)."""

    begins: datetime
    late_by: timedelta  # zero when the plan can start now or later
    critical_path: list[str]  # planned process ids, first to last


def schedule(
    ex: Explosion,
    due: datetime,
    now: datetime,
    fixed: dict[str, tuple[datetime, datetime]] | None = None,
) -> Schedule:
    """Backwards from ``due``: each process ends when its earliest consumer begins.

    ``fixed``: per recipe process, the times of a process a revision keeps; it keeps them, is
    never moved, and does not count for lateness (it is under way or promised)."""
    fixed = fixed or {}
    for key in ex.order:  # parents before children
        need = ex.needs.get(key)
        if need is None or need.producer is None:
            continue
        p = ex.processes[need.producer]
        if key == ex.top:
            p.ends, p.consumer = due, None
        else:
            firsts = sorted(
                ((ex.processes[c].begins, c) for c, _f in need.consumers),
                key=lambda t: (t[0], t[1]),
            )
            p.ends, p.consumer = firsts[0]
        p.begins = p.ends - timedelta(hours=float(p.recipe.hours))
        if p.recipe.id in fixed:
            p.begins, p.ends = fixed[p.recipe.id]
    free = [p for p in ex.processes.values() if p.recipe.id not in fixed]
    if not free:
        return Schedule(due, max(timedelta(0), now - due) if not ex.processes else timedelta(0), [])
    first = min(free, key=lambda p: (p.begins, p.id))
    path = [first.id]
    while ex.processes[path[-1]].consumer is not None:
        path.append(ex.processes[path[-1]].consumer)  # type: ignore[arg-type]
    assert first.begins is not None
    late = max(timedelta(0), now - first.begins)
    if late:  # too late to meet the due date: as early as possible instead, all shifted
        for p in free:
            p.begins, p.ends = p.begins + late, p.ends + late  # type: ignore[operator]
    return Schedule(first.begins, late, path)
