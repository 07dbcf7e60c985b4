"""From an explosion, a schedule and an assignment to the body of a plan record.

Everything a plan says about itself — processes with their times, commitments with who, what,
how much and when, why each provider was chosen, what nobody can provide — is written here as
VF data; the record kinds only check and store it. Numbers in records are decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reflow.plan.assign import Result, WorkNeed
from reflow.plan.data import PlanData
from reflow.plan.explode import Explosion, Planned, Schedule, up
from reflow.plan.model import Demand, Draft, first_consumer, iso, km, q
from reflow.plan.recipes import CLASS
from reflow.plan.transport import transport
from reflow.store.codec import dec_text


def work_needs(
    ex: Explosion, at: tuple[float, float] | None, now: datetime | None = None
) -> list[WorkNeed]:
    """The work of each planned process, to be done in its window from ``now`` on (a process a
    revision keeps may be under way: the part of its window that has passed is gone)."""
    out = []
    for p in ex.processes.values():
        for f, hours in p.work:
            assert p.begins is not None and p.ends is not None
            begins = max(p.begins, now) if now is not None else p.begins
            out.append(
                WorkNeed(f"{p.id}|{f.id}", p.id, f.spec, set(f.classes), hours, begins, p.ends, at)
            )
    return out


def draft(
    ex: Explosion,
    sched: Schedule,
    res: Result,
    data: PlanData,
    demand: Demand,
    planner: str,
    *,
    with_demand: bool = True,
) -> Draft:
    d = Draft()
    d.planned = {p.recipe.id for p in ex.processes.values()}
    d.needed = {k for k, n in ex.needs.items() if n.gross > 0}
    at = data.places.get(demand.place or "")
    for i, p in enumerate(sorted(ex.processes.values(), key=lambda p: (p.begins, p.id))):
        key = d.keys[p.id] = f"p{i}"
        proc: dict[str, Any] = {
            "key": key,
            "name": p.recipe.name,
            "hasBeginning": iso(p.begins),  # type: ignore[arg-type]
            "hasEnd": iso(p.ends),
            "recipeProcess": p.recipe.id,  # type: ignore[arg-type]
            "critical": p.id in sched.critical_path,
        }
        if p.recipe.conforms_to:
            proc["basedOn"] = p.recipe.conforms_to
        if demand.place:
            proc["atLocation"] = demand.place
        d.processes.append(proc)
        _process_commitments(d, p, key, planner)
    if with_demand:
        d.commitments.append(
            {
                "key": "demand",
                "role": "demand",
                "data": {
                    "action": "transfer",
                    "provider": planner,
                    "receiver": demand.receiver,
                    "resourceConformsTo": demand.spec,
                    "resourceQuantity": q(demand.quantity, demand.unit),
                    "due": iso(demand.due),
                },
                "explanation": {"why": "the independent demand"},
            }
        )
    _supplies(d, ex, planner, demand)
    _work(d, ex, res, planner)
    transport(d, ex, res, data, at, planner, demand)
    for need in ex.unmet():
        first = first_consumer(ex, need.consumers)
        by = first.begins if first is not None else demand.due
        what = need.key[0]
        by_class = what.startswith(CLASS)
        d.unmet.append(
            {
                "what": "resource",
                "spec": None if by_class else what,
                "classes": [what[len(CLASS) :]] if by_class else [],
                "stage": need.key[1],
                "state": need.key[2],
                "quantity": dec_text(up(need.net)),
                "unit": need.unit,
                "due": iso(by),
                "why": "no recipe makes it and inventory nearby does not cover it",
            }
        )
    return d


def _process_commitments(d: Draft, p: Planned, key: str, planner: str) -> None:
    assert p.begins is not None and p.ends is not None
    out = p.output
    d.commitments.append(
        {
            "key": f"{key}:out",
            "role": "output",
            "process": key,
            "side": "output",
            "data": {
                "action": out.action,
                "provider": planner,
                "receiver": planner,
                "resourceConformsTo": out.spec,
                "resourceQuantity": q(out.quantity * p.scale, out.unit or ""),
                "due": iso(p.ends),
            },
            "explanation": _made_by(p, out.id),
        }
    )
    for j, (f, qty) in enumerate(p.inputs):
        if f.action == "pickup":
            continue  # carried by the loads of this transport process
        data = {
            "action": f.action,
            "provider": planner,
            "receiver": planner,
            "resourceConformsTo": f.spec,
            "resourceQuantity": q(qty, f.unit or ""),
            "due": iso(p.begins),
        }
        if f.classes:
            data["resourceClassifiedAs"] = list(f.classes)
        if f.stage:
            data["stage"] = f.stage
        if f.state:
            data["state"] = f.state
        d.commitments.append(
            {
                "key": f"{key}:in{j}",
                "role": "input",
                "process": key,
                "side": "input",
                "data": data,
                "explanation": {"why": "the recipe's input, scaled", "recipeFlow": f.id},
            }
        )


def _made_by(p: Planned, flow: str) -> dict[str, Any]:
    why: dict[str, Any] = {"why": f"{p.recipe.name} makes the net need of this output"}
    if p.choice is not None:  # other recipes make it too: why this one
        why["why"] += f", chosen among {1 + len(p.choice['alternatives'])} recipes"
        why["recipeChoice"] = p.choice["why"]
        why["alternatives"] = [a["name"] for a in p.choice["alternatives"]]
    why["recipeFlow"] = flow
    return why


def _supplies(d: Draft, ex: Explosion, planner: str, demand: Demand) -> None:
    for n, need in enumerate(ex.needs.values()):
        first = first_consumer(ex, need.consumers)
        due = first.begins if first is not None else demand.due
        for a in need.allocations:  # a resource may serve two needs (two stages of a spec)
            d.commitments.append(
                {
                    "key": f"supply:{n}:{a.resource}",
                    "role": "supply",
                    "reserve": True,
                    "data": {
                        "action": "transfer",
                        "provider": a.holder,
                        "receiver": planner,
                        "resourceInventoriedAs": a.resource,
                        "resourceConformsTo": a.spec,
                        "resourceQuantity": q(a.resource_quantity, a.resource_unit),
                        "due": iso(due),
                    },  # type: ignore[arg-type]
                    "explanation": {
                        "why": "nearest available inventory of the specification",
                        "need": list(need.key),
                        "distanceKm": km(a.distance_km),
                        "holder": a.holder,
                        "alternatives": a.alternatives,
                    },
                }
            )


def _work(d: Draft, ex: Explosion, res: Result, planner: str) -> None:
    for p in ex.processes.values():
        for f, _hours in p.work:
            nid = f"{p.id}|{f.id}"
            cands = sorted(res.candidates.get(nid, []), key=lambda c: c["distanceKm"])
            for k, a in enumerate(res.work.get(nid, [])):
                o = a.offer
                others = [
                    {
                        **c,
                        "distanceKm": km(c["distanceKm"]),
                        "lateHours": str(c["lateHours"]),
                        "available": str(c["available"]),
                    }
                    for c in cands
                    if c["offer"] != o.intent
                ][:3]
                d.commitments.append(
                    {
                        "key": f"{d.keys[p.id]}:work{k}:{f.id[:8]}",
                        "role": "work",
                        "process": d.keys[p.id],
                        "side": "input",
                        "data": {
                            "action": "work",
                            "provider": o.agent,
                            "receiver": planner,
                            "resourceConformsTo": f.spec,
                            "effortQuantity": q(a.hours, "om2:hour"),
                            "due": iso(p.ends),
                            "hasBeginning": iso(a.begins),
                            "hasEnd": iso(a.ends),
                            "satisfies": [o.intent],
                        },  # type: ignore[arg-type]
                        "explanation": {
                            "why": "offers this skill with hours free in the window",
                            "distanceKm": km(a.km),
                            "hoursOffered": dec_text(o.hours),
                            "hoursAssigned": dec_text(a.hours),
                            "lateHours": str(round(a.late, 2)),
                            "window": [
                                iso(o.begins) if o.begins else None,
                                iso(o.ends) if o.ends else None,
                            ],
                            "recipeFlow": f.id,
                            "alternatives": others,
                        },
                    }
                )
            short = res.short.get(nid)
            if short:
                d.unmet.append(
                    {
                        "what": "work",
                        "spec": f.spec,
                        "classes": list(f.classes),
                        "quantity": dec_text(short),
                        "unit": "om2:hour",
                        "begins": iso(p.begins),
                        "due": iso(p.ends),  # type: ignore[arg-type]
                        "why": f"{len(cands)} offers of the skill; none has these hours free "
                        "in the window (hours offered, or time not booked elsewhere)",
                    }
                )
