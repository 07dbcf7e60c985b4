"""The planner's service API: what the CLI, the GraphQL API and the web pages call.

``plan_from_demand`` runs the five phases (``phases``) — dependent demand, netting, scheduling,
assignment, publishing what nobody can provide — times each, and records the result as one
signed ``plan.create`` record; the same inputs give the same record body (``draft_plan``).
Providers ``accept`` or ``refuse`` the commitments given to them. ``replan`` keeps what is done
and what still stands, reduces what is partly done, and plans the rest again against the
network as it is now (``revision``). Reads (``show``, ``progress``) come from the projections.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reflow.errors import NotFound, RuleViolation
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.plan import (
    kinds,  # noqa: F401  (registers the record kinds)
    phases,
)
from reflow.plan.answers import commitment_row
from reflow.plan.holds import parse_time
from reflow.plan.model import Demand, Draft, iso
from reflow.plan.progress import plan_row, plans_of, progress, show
from reflow.plan.revision import Review, review, settle, unneeded
from reflow.vf.measure import Measure

__all__ = [
    "accept",
    "define_recipe",
    "draft_plan",
    "plan_from_demand",
    "plans_of",
    "progress",
    "recipe",
    "refuse",
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


def draft_plan(
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
    seconds: float = 4.0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body of the ``plan.create`` record (before requests are published) and what only
    the output reports (wall times). Nothing is recorded; the same inputs give the same body."""
    m = quantity if isinstance(quantity, Measure) else Measure.from_vf(quantity, "quantity")
    when = parse_time(due) if isinstance(due, str) else due
    if when is None:
        raise RuleViolation("due is required", field="due", rule="required")
    now = _now(now)
    demand = Demand(spec, m.value, m.unit, when, place, receiver or key.public, radius_km)
    d, summary, t = phases.run(node, demand, key.public, now, seconds=seconds, with_demand=True)
    summary["requests"] = []
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
    return body, {"draft": d, "demand": demand, "phases": t}


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
) -> dict[str, Any]:
    """Plan the supply of ``quantity`` of ``spec`` to ``receiver`` at ``place`` by ``due``."""
    body, run = draft_plan(
        node, key, spec, quantity, due, place, receiver, name=name, radius_km=radius_km,
        now=now, seconds=seconds,
    )  # fmt: skip
    t = run["phases"]
    t0 = time.perf_counter()
    if publish:
        body["summary"]["requests"] = phases.publish(node, key, run["draft"], run["demand"])
    receipt = node.submit(key, "plan.create", body)
    t["record"] = time.perf_counter() - t0
    return {"plan": receipt.created["Plan"], **phases.report(body["summary"], t)}


def _answer(
    node: Node, key: KeyPair, commitment_id: str, kind: str, field: str, text: str | None
) -> dict[str, Any]:
    row = commitment_row(node.store, commitment_id)
    if row is None:
        raise NotFound(f"no plan commitment {commitment_id!r}", field="commitment")
    body: dict[str, Any] = {"commitment": commitment_id}
    if text:
        body[field] = text
    receipt = node.submit(key, kind, body, deps=[row["record"]])
    answer = "accepted" if kind == "plan.accept" else "refused"
    return {"commitment": commitment_id, "plan": row["plan"], "answer": answer,
            "record": receipt.hash}  # fmt: skip


def accept(node: Node, key: KeyPair, commitment_id: str, note: str | None = None) -> dict[str, Any]:
    """The provider will do what the plan's commitment asks (a signed ``plan.accept``)."""
    return _answer(node, key, commitment_id, "plan.accept", "note", note)


def refuse(
    node: Node, key: KeyPair, commitment_id: str, reason: str | None = None
) -> dict[str, Any]:
    """The provider will not; the planner's next ``replan`` gives it to someone else or asks
    the market for it (a signed ``plan.refuse``)."""
    return _answer(node, key, commitment_id, "plan.refuse", "reason", reason)


def replan(
    node: Node,
    key: KeyPair,
    plan_id: str,
    *,
    now: datetime | None = None,
    publish: bool = True,
    seconds: float = 4.0,
) -> dict[str, Any]:
    """Keep what is done and what still stands, reduce what is partly done to the part done,
    and plan the rest again (refused commitments to others, or to the market). What stands in
    a process the plan no longer needs is cancelled, and the plan drafted again without it."""
    now = _now(now)
    row = plan_row(node.store, plan_id)
    state = progress(node.store, plan_id, now=now)
    rv = review(node.store, state)
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

    def plan_again(rv: Review) -> tuple[Draft, dict[str, Any], dict[str, float]]:
        revising = phases.Revising(rv.exclude, rv.credits, rv.fixed, rv.refused)
        return phases.run(
            node, demand, key.public, now, revising=revising, seconds=seconds,
            with_demand=False,
        )  # fmt: skip

    d, summary, t = plan_again(rv)
    drop = unneeded(rv, d)
    if drop:  # what only processes the plan no longer needs held: planned without it
        rv = review(node.store, state, drop)
        d, summary, again = plan_again(rv)
        t = {k: t[k] + again[k] for k in t}
    cancel = settle(rv, d)
    t0 = time.perf_counter()
    summary["requests"] = phases.publish(node, key, d, demand) if publish else []
    summary["kept"] = len(rv.kept) + len([c for c in rv.again if c not in cancel])
    summary["reduced"] = len(rv.reduce)
    summary["refusals"] = len(rv.refused.records)
    body = {
        "plan": plan_id,
        "plannedAt": iso(now),
        "summary": summary,
        "cancel": cancel,
        "reduce": rv.reduce,
        "processes": d.processes,
        "commitments": d.commitments,
    }
    node.submit(key, "plan.revise", body, deps=list(rv.refused.records))
    t["record"] = time.perf_counter() - t0
    return {"plan": plan_id, "cancelled": len(cancel), **phases.report(summary, t)}
