"""Who does what: work to people who offer the skill and have the time, loads to vehicles whose
drivers have the time.

One CP-SAT model (OR-Tools) for a whole plan, in two parts that share people's time:
``work_model`` (hours of people's offers and drivers' trips, in stretches of time that never
overlap for one person) and ``load_model`` (loads within vehicles' capacity). A greedy answer
(work first, then loads) is the hint; if the solver finds nothing better in its budget, the
greedy answer stands and the status says so: ``FEASIBLE (greedy)``. The objective, in order of
weight: dropped loads and uncovered hours (they become market requests), lateness (an offer
whose window opens after the process should begin), then kilometres travelled.

The same inputs give the same assignment: the solver runs with a fixed seed, searches
deterministically (one worker) and stops on a *deterministic* time
budget (``max_deterministic_time``, work units that do not depend on the machine's load). Wall
time is only a generous safety net, reported by the caller, never recorded in a plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from ortools.sat.python import cp_model

from reflow.plan import load_model, work_model
from reflow.plan.data import Offer, Vehicle
from reflow.plan.load_model import Item, Load
from reflow.plan.work_model import Window, WorkNeed, available_for, skilled

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
    driving: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)  # per load
    candidates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lateness_hours: float = 0.0


def solve(
    needs: list[WorkNeed],
    offers: list[Offer],
    loads: list[Load],
    vehicles: list[Vehicle],
    *,
    busy: dict[str, list[tuple[datetime, datetime]]] | None = None,
    available: dict[str, list[Window]] | None = None,
    seconds: float = 4.0,
) -> Result:
    """``busy``: per agent, the blocks of time its live commitments already book;
    ``available``: per driver who offers work, the windows of those offers (a driver not in it
    may drive any time)."""
    m = cp_model.CpModel()
    starts = [n.begins for n in needs] + [ld.window[0] for ld in loads if ld.window]
    t0 = min(starts, default=datetime(2000, 1, 1, tzinfo=UTC))
    wm, wcost = work_model.build(m, t0, needs, offers, busy or {}, available or {})
    lm, lcost = load_model.build(
        m, loads, vehicles, partial(work_model.driver_free, wm), partial(work_model.add_drive, wm)
    )
    m.minimize(sum(wcost) + sum(lcost))
    work_model.finish(wm, needs)
    load_model.greedy(lm, loads, vehicles, partial(work_model.book_drive, wm))
    hint = {**wm.hint, **lm.hint}
    for var, val in hint.items():
        m.proto.solution_hint.vars.append(var)
        m.proto.solution_hint.values.append(val)
    greedy = _cost(m, hint)
    start = time.perf_counter()
    solver, status = _run(m, seconds)
    out = Result(solver.status_name(status), greedy, 0.0)
    out.candidates = {**wm.candidates, **lm.candidates}
    if status == cp_model.OPTIMAL or (
        status == cp_model.FEASIBLE and solver.objective_value <= greedy
    ):

        def value(var: Any) -> int:
            return int(solver.value(var))

        stretches, out.objective = work_model.place(wm, value), solver.objective_value
    else:  # nothing better than the greedy answer in the budget: it stands

        def value(var: Any) -> int:
            return hint.get(var.index, 0)

        stretches, out.status = wm.blocks, "FEASIBLE (greedy)"
    out.seconds = time.perf_counter() - start
    for n in needs:
        got = []
        for p in wm.pairs[n.id]:
            if value(p.h) <= 0:
                continue
            for b, e in stretches[p.h.index]:
                got.append(
                    Assignment(p.offer, Decimal(e - b) / 10, p.km, p.late, wm.at(b), wm.at(e))
                )
            out.lateness_hours = max(out.lateness_hours, p.late)
        out.work[n.id] = got
        left_over = Decimal(value(wm.short[n.id])) / 10
        if left_over > 0:
            out.short[n.id] = min(left_over, n.hours)
    for ld in loads:
        chosen = [(v, z, km) for v, z, km in lm.carry[ld.id] if value(z)]
        out.carried[ld.id] = (chosen[0][0], chosen[0][2]) if chosen else None
        trips = stretches.get(chosen[0][1].index, []) if chosen else []
        out.driving[ld.id] = [(wm.at(b), wm.at(e)) for b, e in trips]
    return out


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
    # The per-person time constraints are linear: a full LP relaxation proves the optimum early
    # and probing in presolve finds nothing to fix (bench: 0.66 -> 0.21 deterministic units).
    params.linearization_level = 2
    params.cp_model_probing_level = 0
    return solver, solver.solve(model)
