"""Dependent demand, netting and backward scheduling: pure functions over a recipe book.

The classic MRP order: every need key gets a *low-level code* — the deepest level at which it
appears under the independent demand — and keys are processed level by level, so when a key is
netted and exploded, every process that consumes it has already added its gross requirement.
A sub-assembly appearing twice is therefore summed into one planned process, not exploded twice.

Scheduling goes the same way down: a planned process ends when the earliest of its consumers
starts (the top one at the due date) and starts its duration earlier. Whatever would have to
start before *now* makes the plan late by that much; the chain of consumers from it up to the
demand is the critical path that explains why, and the whole schedule is then moved to start
now (people are assigned to the times the work can really happen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from reflow.errors import RuleViolation
from reflow.plan.recipes import Flow, Key, RecipeBook, RecipeProcess

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

    @property
    def netted(self) -> Decimal:
        return sum((a.quantity for a in self.allocations), Decimal(0))


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


@dataclass(slots=True)
class Explosion:
    needs: dict[Key, Need]
    processes: dict[str, Planned]
    order: list[Key]  # keys in low-level order
    top: Key

    def unmet(self) -> list[Need]:
        """Needs nobody makes (no recipe) and inventory does not cover."""
        return [n for k, n in self.needs.items() if n.net > 0 and n.producer is None]


Netter = Callable[[Key, Decimal, str], list[Allocation]]


def levels(book: RecipeBook, top: Key) -> dict[Key, int]:
    """Low-level codes; refuses a cycle through recipes (a spec needed to make itself)."""
    level: dict[Key, int] = {}
    path: list[Key] = []

    def visit(key: Key, depth: int) -> None:
        if key in path:
            names = " → ".join(k[0][:12] for k in [*path[path.index(key) :], key])
            raise RuleViolation(
                f"recipes make {key[0]} from itself ({names})", field="spec", rule="no-cycle"
            )
        if level.get(key, -1) >= depth:
            return
        level[key] = depth
        p = book.producer(key)
        if p is None:
            return
        path.append(key)
        for f in p.inputs:
            if f.material:
                visit(f.key, depth + 1)
        path.pop()

    visit(top, 0)
    return level


def explode(book: RecipeBook, top: Key, quantity: Decimal, unit: str, net: Netter) -> Explosion:
    """Explode level by level: gross of a key = sum over its planned consumers; net; make."""
    lv = levels(book, top)
    order = sorted(lv, key=lambda k: (lv[k], k[0], k[1] or "", k[2] or ""))
    needs: dict[Key, Need] = {top: Need(top, unit, gross=quantity)}
    planned: dict[str, Planned] = {}
    for key in order:
        need = needs.get(key)
        if need is None or need.gross <= 0:
            continue
        need.allocations = net(key, need.gross, need.unit)
        need.net = max(Decimal(0), need.gross - need.netted)
        producer = book.producer(key)
        if need.net <= 0 or producer is None:
            continue
        out = producer.output_for(key[0])
        assert out is not None and out.quantity
        pid = producer.id if producer.id not in planned else f"{producer.id}:{len(planned)}"
        p = Planned(pid, producer, need.net / out.quantity, out)
        planned[p.id] = p
        need.producer = p.id
        for f in producer.inputs:
            if f.action == "work" and f.effort:
                p.work.append((f, up(f.effort * p.scale)))
                continue
            if not f.material:
                continue
            assert f.quantity is not None
            q = up(f.quantity * p.scale)
            p.inputs.append((f, q))
            child = needs.setdefault(f.key, Need(f.key, f.unit or unit))
            child.gross += q
            child.consumers.append((p.id, f))
    return Explosion(needs, planned, order, top)


@dataclass(slots=True)
class Schedule:
    """``begins`` is when the plan starts: at ``now`` when it is late (and all its processes
    then shifted by ``late_by``, so that it ends ``late_by`` after the due date)."""

    begins: datetime
    late_by: timedelta  # zero when the plan can start now or later
    critical_path: list[str]  # planned process ids, first to last


def schedule(ex: Explosion, due: datetime, now: datetime) -> Schedule:
    """Backwards from ``due``: each process ends when its earliest consumer begins."""
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
    if not ex.processes:
        return Schedule(due, max(timedelta(0), now - due), [])
    first = min(ex.processes.values(), key=lambda p: (p.begins, p.id))
    path = [first.id]
    while ex.processes[path[-1]].consumer is not None:
        path.append(ex.processes[path[-1]].consumer)  # type: ignore[arg-type]
    assert first.begins is not None
    late = max(timedelta(0), now - first.begins)
    if late:  # too late to meet the due date: as early as possible instead, all shifted
        for p in ex.processes.values():
            p.begins, p.ends = p.begins + late, p.ends + late  # type: ignore[operator]
    return Schedule(first.begins, late, path)
