"""The five phases of planning, timed: dependent demand and netting (choosing among alternative
recipes), scheduling, assignment, drafting — and publishing what nobody can provide.

A first plan and a revision run the same phases; a revision brings what it keeps (``Revising``):
the commitments about to be cancelled (their holds do not count), credits for what is done or
kept, the times of the processes it keeps, and what providers refused (not asked again).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from reflow.ledger.keys import KeyPair
from reflow.market import service as market
from reflow.node import Node
from reflow.plan.assign import solve
from reflow.plan.build import draft, work_needs
from reflow.plan.choose import Chooser
from reflow.plan.data import Refusals, load
from reflow.plan.explode import Credits, explode, levels, schedule, up
from reflow.plan.model import Demand, Draft, iso
from reflow.plan.recipes import load_book
from reflow.plan.transport import loads
from reflow.store.codec import dec_text


@dataclass(slots=True)
class Revising:
    """What a revision brings to the phases (a first plan brings nothing)."""

    exclude: frozenset[str] = frozenset()  # commitments about to be cancelled
    credits: Credits = field(default_factory=Credits)
    fixed: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)  # per recipe process
    refused: Refusals = field(default_factory=Refusals)


def run(
    node: Node,
    demand: Demand,
    planner: str,
    now: datetime,
    *,
    revising: Revising | None = None,
    seconds: float,
    with_demand: bool,
) -> tuple[Draft, dict[str, Any], dict[str, float]]:
    """The draft, the summary a record keeps, and the wall time of each phase (not kept)."""
    rv = revising or Revising()
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    book = load_book(node.store)
    top = (demand.spec, None, None)
    specs = {k[0] for k in levels(book, top).level}
    for p in book.processes.values():
        specs.update(f.key[0] for f in p.inputs + p.outputs if f.material or f.spec)
    data = load(node.store, specs, rv.exclude, since=now)
    data.drop(rv.refused)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    at = data.places.get(demand.place or "")
    chooser = Chooser(book, data, at, demand.radius_km, now)
    ex = explode(
        book, top, demand.quantity, demand.unit, data.netter(at, demand.radius_km),
        credits=rv.credits, choose=chooser, due=demand.due,
    )  # fmt: skip
    t["explode_and_net"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sched = schedule(ex, demand.due, now, rv.fixed)
    t["schedule"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = solve(
        work_needs(ex, at, now),
        data.offers,
        loads(ex, data, at, demand.due),
        data.vehicles,
        busy=data.busy,
        available=data.hours,
        seconds=seconds,
    )
    t["solver"] = res.seconds  # wall time: for the output, never for the record
    t["assign"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    d = draft(ex, sched, res, data, demand, planner, with_demand=with_demand)
    t["draft"] = time.perf_counter() - t0
    names = {p.id: p.recipe.name for p in ex.processes.values()}
    late_h = Decimal(int(sched.late_by.total_seconds())) / 3600
    summary = {
        "begins": iso(sched.begins),
        "due": iso(demand.due),
        "lateByHours": dec_text(up(late_h)),
        "projectedEnd": iso(demand.due + sched.late_by),
        "criticalPath": [names[i] for i in sched.critical_path],
        "why": (
            f"the critical path {' → '.join(names[i] for i in sched.critical_path)} takes "
            f"longer than the time left before the due date"
            if late_h > 0
            else "the plan can start in time"
        ),
        "solver": {
            "status": res.status,
            "objective": str(int(res.objective)),
            "lateHours": str(round(res.lateness_hours, 2)),
        },
        "netting": [
            {
                "spec": n.key[0],
                "stage": n.key[1],
                "state": n.key[2],
                "gross": dec_text(up(n.gross)),
                "netted": dec_text(up(n.netted)),
                "kept": dec_text(up(n.kept)),
                "net": dec_text(up(n.net)),
                "unit": n.unit,
                "madeBy": names.get(n.producer or ""),
            }
            for n in (ex.needs[k] for k in ex.order if k in ex.needs)
        ],
        "recipeChoices": ex.choices,
        "unmet": d.unmet,
    }
    return d, summary, t


def publish(node: Node, key: KeyPair, d: Draft, demand: Demand) -> list[str]:
    """One request (a Proposal of Intents) for everything nobody in reach can provide."""
    if not d.unmet:
        return []
    intents = []
    for u in d.unmet:
        what = {"resourceConformsTo": u["spec"]} if u.get("spec") else {}
        if u.get("classes"):
            what["resourceClassifiedAs"] = u["classes"]
        if not what:
            continue
        qty = {"hasNumericalValue": u["quantity"], "hasUnit": u["unit"]}
        if u["what"] == "work":
            intent = market.intent("request", key.public, qty, skill=True, **what)
        else:
            action = "dropoff" if u["what"] == "transport" else "transfer"
            intent = market.intent("request", key.public, qty, action=action, **what)
        if u.get("due"):
            intent["due"] = u["due"]
        if demand.place:
            intent["atLocation"] = demand.place
        intent["note"] = u["why"]
        intents.append(intent)
    if not intents:
        return []
    proposal = {"purpose": "request", "name": "needs of a plan", "hasEnd": iso(demand.due)}
    return [market.publish(node, key, proposal, intents)["proposal"]]


def report(summary: dict[str, Any], t: dict[str, float]) -> dict[str, Any]:
    """A command's answer: the recorded summary, plus wall times (which no record holds)."""
    solver = {**summary["solver"], "seconds": str(round(t.pop("solver"), 3))}
    return {**summary, "solver": solver, "phases": {k: round(v, 4) for k, v in t.items()}}
