"""The planner's service API: what the CLI (and later the GraphQL API) calls.

``plan_from_demand`` runs the five phases — dependent demand, netting, scheduling, assignment,
publishing what nobody can provide — times each, and records the result as one signed
``plan.create`` record. ``replan`` keeps what is done, cancels the rest and plans it again
against the network as it is now. Reads (``show``, ``progress``) come from the projections.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reflow.errors import NotFound, RuleViolation
from reflow.ledger.keys import KeyPair
from reflow.market import service as market
from reflow.node import Node
from reflow.plan import kinds  # noqa: F401  (registers the record kinds)
from reflow.plan.assign import solve
from reflow.plan.build import draft, work_needs
from reflow.plan.data import load, parse_time
from reflow.plan.explode import explode, levels, schedule, up
from reflow.plan.model import Demand, Draft, iso
from reflow.plan.progress import plan_row, plans_of, progress, show
from reflow.plan.recipes import load_book
from reflow.plan.transport import loads
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure

__all__ = [
    "define_recipe",
    "plan_from_demand",
    "plans_of",
    "progress",
    "recipe",
    "replan",
    "show",
]


def define_recipe(node: Node, key: KeyPair, body: dict[str, Any]) -> dict[str, Any]:
    receipt = node.submit(key, "recipe.define", body)
    return {"recipe": receipt.created["Recipe"], "created": receipt.created}


def recipe(store: Any, recipe_id: str) -> dict[str, Any]:
    """A recipe with its processes, each with its flows (as recorded, ids resolved)."""
    r = store.object(recipe_id)
    if r is None or r.type != "Recipe" or r.deleted:
        raise NotFound(f"no recipe {recipe_id!r}", field="recipe")
    procs = []
    flows = [
        f
        for f in store.objects_of_type("RecipeFlow")
        if {f.data.get("recipeInputOf"), f.data.get("recipeOutputOf")}
        & set(r.data.get("recipeIncludes", []))
    ]
    for pid in r.data.get("recipeIncludes", []):
        p = store.object(pid)
        mine = [
            {"id": f.id, **f.data}
            for f in flows
            if pid in (f.data.get("recipeInputOf"), f.data.get("recipeOutputOf"))
        ]
        procs.append({"id": pid, **p.data, "flows": mine})
    return {"id": r.id, "author": r.author, **r.data, "processes": procs}


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).replace(microsecond=0)


def _phases(
    node: Node,
    demand: Demand,
    planner: str,
    now: datetime,
    *,
    exclude: frozenset[str],
    seconds: float,
    workers: int,
    with_demand: bool,
) -> tuple[Draft, dict[str, Any], dict[str, float]]:
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    book = load_book(node.store)
    top = (demand.spec, None, None)
    specs = {k[0] for k in levels(book, top)}
    for p in book.processes.values():
        specs.update(f.key[0] for f in p.inputs + p.outputs if f.material or f.spec)
    data = load(node.store, specs, exclude, since=now)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    at = data.places.get(demand.place or "")
    ex = explode(book, top, demand.quantity, demand.unit, data.netter(at, demand.radius_km))
    t["explode_and_net"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sched = schedule(ex, demand.due, now)
    t["schedule"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = solve(
        work_needs(ex, at),
        data.offers,
        loads(ex, data, at),
        data.vehicles,
        busy=data.busy,
        seconds=seconds,
        workers=workers,
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
                "net": dec_text(up(n.net)),
                "unit": n.unit,
                "madeBy": names.get(n.producer or ""),
            }
            for n in (ex.needs[k] for k in ex.order if k in ex.needs)
        ],
        "unmet": d.unmet,
    }
    return d, summary, t


def _publish(node: Node, key: KeyPair, d: Draft, demand: Demand) -> list[str]:
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


def plan_from_demand(
    node: Node,
    key: KeyPair,
    spec: str,
    quantity: Measure | dict[str, str],
    due: datetime | str,
    place: str | None = None,
    receiver: str | None = None,
    *,
    name: str | None = None,
    radius_km: float = 50.0,
    now: datetime | None = None,
    publish: bool = True,
    seconds: float = 4.0,
    workers: int = 1,
) -> dict[str, Any]:
    """Plan the supply of ``quantity`` of ``spec`` to ``receiver`` at ``place`` by ``due``."""
    m = quantity if isinstance(quantity, Measure) else Measure.from_vf(quantity, "quantity")
    when = parse_time(due) if isinstance(due, str) else due
    if when is None:
        raise RuleViolation("due is required", field="due", rule="required")
    now = _now(now)
    demand = Demand(spec, m.value, m.unit, when, place, receiver or key.public, radius_km)
    d, summary, t = _phases(
        node,
        demand,
        key.public,
        now,
        exclude=frozenset(),
        seconds=seconds,
        workers=workers,
        with_demand=True,
    )
    t0 = time.perf_counter()
    summary["requests"] = _publish(node, key, d, demand) if publish else []
    body = {
        "plan": {"name": name or f"plan for {spec[:12]}", "due": iso(when)},
        "demand": {
            "spec": spec,
            "quantity": m.to_vf(),
            "due": iso(when),
            "receiver": demand.receiver,
            **({"place": place} if place else {}),
            "radiusKm": str(radius_km),
        },
        "plannedAt": iso(now),
        "summary": summary,
        "processes": d.processes,
        "commitments": d.commitments,
    }
    receipt = node.submit(key, "plan.create", body)
    t["record"] = time.perf_counter() - t0
    return {
        "plan": receipt.created["Plan"],
        **_report(summary, t),
    }


def replan(
    node: Node,
    key: KeyPair,
    plan_id: str,
    *,
    now: datetime | None = None,
    publish: bool = True,
    seconds: float = 4.0,
) -> dict[str, Any]:
    """Keep what is done (fulfilled commitments, their processes); plan the rest again."""
    now = _now(now)
    row = plan_row(node.store, plan_id)
    state = progress(node.store, plan_id, now=now)
    cancel: list[str] = []
    for p in state["processes"]:
        open_ = [c for c in p["commitments"] if not c["complete"]]
        cancel.extend(c["id"] for c in open_)
        if len(open_) == len(p["commitments"]):
            cancel.append(p["id"])
    cancel.extend(c["id"] for c in state["loose"] if not c["complete"] and c["role"] != "demand")
    due = parse_time(row["due"])
    assert due is not None
    demand = Demand(
        row["spec"],
        Decimal(row["quantity"]),
        row["unit"],
        due,
        row["place"],
        row["receiver"],
        float(row["radius_km"] or 50),
    )
    d, summary, t = _phases(
        node,
        demand,
        key.public,
        now,
        exclude=frozenset(cancel),
        seconds=seconds,
        workers=1,
        with_demand=False,
    )
    summary["requests"] = _publish(node, key, d, demand) if publish else []
    summary["kept"] = sum(len(p["commitments"]) for p in state["processes"]) - len(
        [c for c in cancel if c not in {p["id"] for p in state["processes"]}]
    )
    body = {
        "plan": plan_id,
        "plannedAt": iso(now),
        "summary": summary,
        "cancel": sorted(cancel),
        "processes": d.processes,
        "commitments": d.commitments,
    }
    node.submit(key, "plan.revise", body)
    return {
        "plan": plan_id,
        "cancelled": len(cancel),
        **_report(summary, t),
    }


def _report(summary: dict[str, Any], t: dict[str, float]) -> dict[str, Any]:
    """The command's answer: the recorded summary, plus wall times (which no record holds)."""
    solver = {**summary["solver"], "seconds": str(round(t.pop("solver"), 3))}
    return {**summary, "solver": solver, "phases": {k: round(v, 4) for k, v in t.items()}}
