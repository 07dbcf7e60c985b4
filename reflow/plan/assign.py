"""Who does what: work to people who offer the skill and have the time, loads to vehicles.

Two CP-SAT models (OR-Tools) for a whole plan, solved one after the other, each with half the
budget, since work and transport share no constraint: ``work_model`` (hours of people's offers,
in blocks of time that never overlap for one person) and ``load_model`` (loads within vehicles'
capacity). The status reported is the worse of the two. Each model's greedy answer is its hint;
if the solver finds nothing better in its budget, the greedy answer stands and the status says
so: ``FEASIBLE (greedy)``. The objective, in order of weight: uncovered hours and dropped loads
(they become market requests), lateness (an offer whose window opens after the process should
begin), then kilometres travelled.

The same inputs give the same assignment: the solver runs with a fixed seed, searches
deterministically (one worker, or interleaved workers) and stops on a *deterministic* time
budget (``max_deterministic_time``, work units that do not depend on the machine's load). Wall
time is only a generous safety net, reported by the caller, never recorded in a plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ortools.sat.python import cp_model

from reflow.plan import load_model, work_model
from reflow.plan.data import Offer, Vehicle
from reflow.plan.load_model import Item, Load
from reflow.plan.work_model import WorkNeed, available_for, skilled

__all__ = [
    "Assignment",
    "Item",
    "Load",
    "Result",
    "WorkNeed",
    "available_for",
    "skilled",
    "solve",
]

SEED = 20260302  # any fixed number: the search order depends on it, so it never changes
WALL_FACTOR = 10  # the wall-clock safety net, in multiples of the deterministic budget


@dataclass(slots=True)
class Assignment:
    """Hours of one need done under one offer, in one block of time."""

    offer: Offer
    hours: Decimal
    km: float
    late: float
    begins: datetime
    ends: datetime


@dataclass(slots=True)
class Result:
    status: str
    objective: float
    seconds: float  # wall time of the solver: for the caller's report, never for a record
    work: dict[str, list[Assignment]] = field(default_factory=dict)
    short: dict[str, Decimal] = field(default_factory=dict)
    carried: dict[str, tuple[Vehicle, float] | None] = field(default_factory=dict)
    candidates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lateness_hours: float = 0.0


def solve(
    needs: list[WorkNeed],
    offers: list[Offer],
    loads: list[Load],
    vehicles: list[Vehicle],
    *,
    busy: dict[str, list[tuple[datetime, datetime]]] | None = None,
    seconds: float = 4.0,
    workers: int = 1,
) -> Result:
    """``busy``: per agent, the blocks of time its live commitments already book."""
    wm = work_model.build(needs, offers, busy or {})
    lm = load_model.build(loads, vehicles)
    start = time.perf_counter()
    ws, wstatus = _run(wm.model, seconds / 2, workers)
    ts, tstatus = _run(lm.model, seconds / 2, workers)
    ok = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    # A solution found in too small a budget may be worse than the greedy one: keep the better.
    if wstatus == cp_model.FEASIBLE and ws.objective_value > _cost(wm.model, wm.hint):
        wstatus = cp_model.UNKNOWN
    if tstatus == cp_model.FEASIBLE and ts.objective_value > _cost(lm.model, lm.hint):
        tstatus = cp_model.UNKNOWN
    worst = max((wstatus, tstatus), key=lambda st: (st not in ok, st != cp_model.OPTIMAL))
    out = Result(ws.status_name(worst), 0.0, time.perf_counter() - start)
    out.candidates = {**wm.candidates, **lm.candidates}
    if worst not in ok:
        out.status = "FEASIBLE (greedy)"

    def wval(var: Any) -> int:
        return int(ws.value(var)) if wstatus in ok else wm.hint[var.index]

    def tval(var: Any) -> int:
        return int(ts.value(var)) if tstatus in ok else lm.hint[var.index]

    out.objective = (ws.objective_value if wstatus in ok else _cost(wm.model, wm.hint)) + (
        ts.objective_value if tstatus in ok else _cost(lm.model, lm.hint)
    )
    for n in needs:
        got = []
        for p in wm.pairs[n.id]:
            v = wval(p.h)
            if v <= 0:
                continue
            if p.start is None:
                tick = p.lo
            else:
                tick = wval(p.start) if wstatus in ok else wm.starts[p.h.index]
            got.append(
                Assignment(p.offer, Decimal(v) / 10, p.km, p.late, wm.at(tick), wm.at(tick + v))
            )
            out.lateness_hours = max(out.lateness_hours, p.late)
        out.work[n.id] = got
        left_over = Decimal(wval(wm.short[n.id])) / 10
        if left_over > 0:
            out.short[n.id] = min(left_over, n.hours)
    for ld in loads:
        chosen = [(v, km) for v, z, km in lm.carry[ld.id] if tval(z)]
        out.carried[ld.id] = chosen[0] if chosen else None
    return out


def _cost(model: cp_model.CpModel, values: dict[int, int]) -> float:
    obj = model.proto.objective
    return obj.offset + sum(c * values.get(v, 0) for v, c in zip(obj.vars, obj.coeffs, strict=True))


def _run(model: cp_model.CpModel, seconds: float, workers: int) -> tuple[cp_model.CpSolver, Any]:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_deterministic_time = seconds
    params.max_time_in_seconds = max(WALL_FACTOR * seconds, 1.0)
    params.random_seed = SEED
    params.num_workers = max(1, workers)
    params.interleave_search = workers > 1  # deterministic with several workers
    return solver, solver.solve(model)
