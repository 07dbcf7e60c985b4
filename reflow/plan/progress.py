"""Where a plan stands: what is done, late or at risk, per process and for the whole plan.

A commitment is complete when the events fulfilling it (counted in ``market_fulfilments``) reach
its quantity. A process is *done* when all its live commitments are complete, *late* when its end
has passed and it is not done, *at risk* when it should have begun and nothing is fulfilled yet,
when a worker's offer behind it was withdrawn, when a resource it counts on no longer holds
what was reserved, or when a provider refused its commitment. Each commitment carries its
provider's answer (accepted, refused or pending); the plan counts them. A plan is done, late or
at risk when any (all, for done) of its processes is.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.errors import NotFound
from reflow.market.tables import fulfilments, intents
from reflow.plan.tables import (
    answers,
    cancellations,
    commitments,
    plans,
    processes,
    reductions,
    reservations,
    revisions,
)
from reflow.store.codec import dec_text
from reflow.store.schema import records, resources
from reflow.vf.units import convert


def plan_row(store: Any, plan_id: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(select(plans).where(plans.c.id == plan_id)).first()
    if row is None:
        raise NotFound(f"no plan {plan_id!r}", field="plan")
    return dict(row._mapping)


def plans_of(store: Any, author: str | None = None) -> list[dict[str, Any]]:
    """The plans recorded (by ``author``, if given), latest first."""
    q = select(plans).order_by(plans.c.created.desc(), plans.c.id)
    if author is not None:
        q = q.where(plans.c.author == author)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def show(store: Any, plan_id: str) -> dict[str, Any]:
    """The plan as it stands now: its latest summary, live processes (with who drives for
    each: ``drivers``) and commitments, and the cancelled commitments that events fulfil all
    the same (``cancelled``)."""
    head = plan_row(store, plan_id)
    with store.engine.connect() as conn:
        rev = conn.execute(
            select(revisions.c.summary, revisions.c.planned_at)
            .join(records, records.c.hash == revisions.c.record)
            .where(revisions.c.plan == plan_id)
            .order_by(records.c.pos.desc())
            .limit(1)
        ).first()
        gone = {
            r.id
            for r in conn.execute(select(cancellations.c.id).where(cancellations.c.plan == plan_id))
        }
        procs = [
            dict(r._mapping)
            for r in conn.execute(
                select(processes)
                .where(processes.c.plan == plan_id)
                .order_by(processes.c.begins, processes.c.id)
            )
            if r.id not in gone
        ]
        every = [
            dict(r._mapping)
            for r in conn.execute(
                select(commitments)
                .where(commitments.c.plan == plan_id)
                .order_by(commitments.c.due, commitments.c.id)
            )
        ]
        comms = [c for c in every if c["id"] not in gone]
        done: dict[str, Decimal] = {}
        for f in conn.execute(
            select(fulfilments).where(fulfilments.c.commitment.in_([c["id"] for c in every]))
        ):
            done[f.commitment] = done.get(f.commitment, Decimal(0)) + Decimal(f.quantity)
        # Events may fulfil a commitment the plan has cancelled (recorded before their author
        # heard of the cancellation): they stand, and are shown with the commitment.
        dropped = [c for c in every if c["id"] in gone and done.get(c["id"])]
        by_id = {c["id"]: c for c in comms}
        for r in conn.execute(select(reductions).where(reductions.c.plan == plan_id)):
            c = by_id.get(r.commitment)  # reduced to the part done: the rest was planned again
            if c is not None and Decimal(r.quantity) < Decimal(c["quantity"]):
                c["planned"], c["quantity"] = c.get("planned", c["quantity"]), r.quantity
        said: dict[str, list[Any]] = {}
        for a in conn.execute(
            select(answers)
            .where(answers.c.plan == plan_id)
            .order_by(answers.c.created, answers.c.record)
        ):
            said.setdefault(a.commitment, []).append(a)
    for c in comms + dropped:
        c["explanation"] = json.loads(c["explanation"])
        got = done.get(c["id"], Decimal(0))
        c["fulfilled"] = dec_text(got)
        c["complete"] = got >= Decimal(c["quantity"])
        c["cancelled"] = c["id"] in gone
        _answer(c, said.get(c["id"], []), head["author"])
    by_proc: dict[str, list[dict[str, Any]]] = {}
    for c in comms:
        by_proc.setdefault(c["process"] or "", []).append(c)
    for p in procs:
        p["critical"] = p["critical"] == "true"
        p["commitments"] = by_proc.get(p["id"], [])
        p["drivers"] = sorted({c["provider"] for c in p["commitments"] if c["role"] == "use"})
    return {
        **head,
        "summary": json.loads(rev.summary) if rev else {},
        "plannedAt": rev.planned_at if rev else None,
        "processes": procs,
        "loose": by_proc.get("", []),
        "cancelled": dropped,  # cancelled, yet fulfilled by events all the same
    }


def _answer(c: dict[str, Any], said: list[Any], author: str) -> None:
    """The provider's answer: refused if any answer refuses, accepted if one accepts, else
    pending; the plan's author accepted its own commitments by signing the plan."""
    if c["provider"] == author:
        c["answer"], c["answeredBy"], c["answerNote"] = "accepted", "plan", None
        return
    refused = [a for a in said if a.answer == "refused"]
    last = (refused or said or [None])[-1]
    c["answer"] = "refused" if refused else "accepted" if said else "pending"
    c["answeredBy"] = last.author if last is not None else None
    c["answerNote"] = last.note if last is not None else None


def progress(store: Any, plan_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    out = show(store, plan_id)
    stamp = _stamp(now or datetime.now(UTC))
    live = [c for p in out["processes"] for c in p["commitments"]] + out["loose"]
    withdrawn, short = risks(store, live)
    counts = {"done": 0, "late": 0, "at_risk": 0, "on_track": 0}
    said = {"accepted": 0, "refused": 0, "pending": 0}  # providers' answers (not the author's)
    for c in live:
        if c["answeredBy"] != "plan":
            said[c["answer"]] += 1
    for p in out["processes"]:
        cs = p["commitments"]
        reasons = []
        if cs and all(c["complete"] for c in cs):
            status = "done"
        elif p["ends"] < stamp:
            status = "late"
            reasons.append("its end has passed")
        else:
            if p["begins"] < stamp and not any(Decimal(c["fulfilled"]) > 0 for c in cs):
                reasons.append("it should have begun and nothing is fulfilled")
            reasons.extend(
                f"the offer behind {c['provider'][:10]}'s work was withdrawn"
                for c in cs
                if c["intent"] in withdrawn and not c["complete"]
            )
            reasons.extend(
                f"resource {c['resource'][:10]} no longer holds what was reserved"
                for c in cs
                if c["resource"] in short and not c["complete"]
            )
            reasons.extend(
                f"{c['provider'][:10]} refused its {c['action']}"
                + (f": {c['answerNote']}" if c["answerNote"] else "")
                for c in cs
                if c["answer"] == "refused" and not c["complete"]
            )
            status = "at_risk" if reasons else "on_track"
        p["status"], p["reasons"] = status, reasons
        counts[status] += 1
    supply_short = [
        c
        for c in out["loose"]
        if (c["resource"] in short or c["answer"] == "refused") and not c["complete"]
    ]
    for c in supply_short:
        c["atRisk"] = True
    if out["processes"] and counts["done"] == len(out["processes"]):
        status = "done"
    elif counts["late"]:
        status = "late"
    elif counts["at_risk"] or supply_short:
        status = "at_risk"
    else:
        status = "on_track"
    return {**out, "status": status, "counts": counts, "answers": said, "asOf": stamp}


def risks(store: Any, live: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """Offers withdrawn under live work; resources holding less than their live reservations."""
    ids = [c["intent"] for c in live if c["intent"]]
    res_ids = {c["resource"] for c in live if c["role"] == "supply" and c["resource"]}
    with store.engine.connect() as conn:
        withdrawn = {
            r.id
            for r in conn.execute(
                select(intents.c.id).where(intents.c.id.in_(ids), intents.c.status == "withdrawn")
            )
        }
        onhand = {
            r.id: (Decimal(r.onhand_quantity), r.unit)
            for r in conn.execute(select(resources).where(resources.c.id.in_(sorted(res_ids))))
        }
        held = {
            r.commitment: r
            for r in conn.execute(
                select(reservations).where(reservations.c.commitment.in_([c["id"] for c in live]))
            )
        }
    need: dict[str, Decimal] = {}
    for c in live:
        r = held.get(c["id"])
        if r is None or c["complete"] or r.resource not in onhand:
            continue
        left = min(Decimal(r.quantity), Decimal(c["quantity"])) - Decimal(c["fulfilled"])
        need[r.resource] = need.get(r.resource, Decimal(0)) + convert(
            left, r.unit, onhand[r.resource][1] or r.unit
        )
    short = {rid for rid, q in need.items() if onhand[rid][0] < q}
    return withdrawn, short
