"""Who does what: work to people who offer the skill and have the time, loads to vehicles.

Two CP-SAT models (OR-Tools) for a whole plan, solved one after the other, each with half the
budget, since work and transport share no constraint: ``work_model`` (hours of people's offers,
in stretches of time that never overlap for one person) and ``load_model`` (loads within
vehicles' capacity). The status reported is the worse of the two. Each model's greedy
answer is its hint; if the solver finds nothing better in its budget, the greedy answer stands
and the status says so: ``FEASIBLE (greedy)``. The objective, in order of weight: uncovered
hours and dropped loads (they become market requests), lateness (an offer whose window opens
after the process should begin), then kilometres travelled.

The same inputs give the same assignment: the solver runs with a fixed seed, searches
deterministically (one worker) and stops on a *deterministic* time
budget (``max_deterministic_time``, work units that do not depend on the machine's load). Wall
time is only a generous safety net, reported by the caller, never recorded in a plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
    """Hours of one need done under one offer, in one stretch of time (work under one offer
    may come in several stretches, around the person's other work)."""

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
) -> Result:
    """``busy``: per agent, the blocks of time its live commitments already book."""
    wm = work_model.build(needs, offers, busy or {})
    lm = load_model.build(loads, vehicles)
    start = time.perf_counter()
    wstatus, wval, stretches, wcost = _solve_work(wm, seconds / 2)
    ts, tstatus = _run(lm.model, seconds / 2)
    ok = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    # A solution found in too small a budget may be worse than the greedy one: keep the better.
    if tstatus == cp_model.FEASIBLE and ts.objective_value > _cost(lm.model, lm.hint):
        tstatus = cp_model.UNKNOWN
    worst = max((wstatus, tstatus), key=lambda st: (st not in ok, st != cp_model.OPTIMAL))
    out = Result(ts.status_name(worst), 0.0, time.perf_counter() - start)
    out.candidates = {**wm.candidates, **lm.candidates}
    if worst not in ok:
        out.status = "FEASIBLE (greedy)"

    def tval(var: Any) -> int:
        return int(ts.value(var)) if tstatus in ok else lm.hint[var.index]

    out.objective = wcost + (ts.objective_value if tstatus in ok else _cost(lm.model, lm.hint))
    for n in needs:
        got = []
        for p in wm.pairs[n.id]:
            if wval(p.h) <= 0:
                continue
            for b, e in stretches[p.h.index]:
                got.append(
                    Assignment(p.offer, Decimal(e - b) / 10, p.km, p.late, wm.at(b), wm.at(e))
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


def _solve_work(
    wm: work_model.WorkModel, budget: float
) -> tuple[Any, Callable[[Any], int], dict[int, list[tuple[int, int]]], float]:
    """(status, value of a variable, stretches per block, objective): the solver's answer laid
    out in time, or the greedy one if the solver finds nothing better within the budget."""
    greedy = _cost(wm.model, wm.hint)
    solver, status = _run(wm.model, budget)
    if status == cp_model.OPTIMAL or (
        status == cp_model.FEASIBLE and solver.objective_value <= greedy
    ):

        def value(var: Any) -> int:
            return int(solver.value(var))

        return status, value, work_model.place(wm, value), solver.objective_value
    return cp_model.UNKNOWN, lambda var: wm.hint[var.index], wm.blocks, greedy


def _cost(model: cp_model.CpModel, values: dict[int, int]) -> float:
    obj = model.proto.objective
    return obj.offset + sum(c * values.get(v, 0) for v, c in zip(obj.vars, obj.coeffs, strict=True))


def _run(model: cp_model.CpModel, seconds: float) -> tuple[cp_model.CpSolver, Any]:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_deterministic_time = seconds
    params.max_time_in_seconds = max(WALL_FACTOR * seconds, 1.0)
    params.random_seed = SEED
    params.num_workers = 1  # one search, in one order (interleaved workers: 8× slower here)
    return solver, solver.solve(model)
