"""Re-planning: what a revision keeps, reduces, cancels and adds.

A plan is revised against the network as it is now, changing as little as it can:

* a commitment **complete** is kept — it is done;
* a commitment **partly fulfilled** is reduced to the part done, which is kept; only the rest is
  planned again (and credited: the hours worked, the inputs consumed, the output produced);
* a commitment its provider **refused** is cancelled, and what was behind it (the offer of work,
  the inventory, the vehicle) is not asked of again in this plan: the rest goes to someone else,
  or to the market as a request when nobody else can;
* a commitment of another provider that still **stands** — not refused, its offer not withdrawn,
  its resource still holding what was reserved — is kept, accepted or still pending, so a
  revision never asks a provider twice for the same thing;
* everything else (the planner's own inputs and outputs, and whatever no longer stands) is
  planned again; a new commitment identical to one it replaces keeps the old one (and its
  answers) instead.

A process is kept, with its times, when anything in it is kept; the phases then plan around it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.market.model import norm_time
from reflow.plan.data import Refusals, parse_time
from reflow.plan.explode import Credits
from reflow.plan.model import Draft
from reflow.plan.progress import risks
from reflow.plan.tables import answers, commitments
from reflow.store.codec import dec_text


@dataclass(slots=True)
class Review:
    """What a revision does with the live parts of a plan, before the phases run."""

    credits: Credits = field(default_factory=Credits)
    fixed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # commitments kept as they are
    reduce: list[dict[str, Any]] = field(default_factory=list)
    again: dict[str, dict[str, Any]] = field(default_factory=dict)  # planned again: id -> row
    refused: Refusals = field(default_factory=Refusals)
    processes: dict[str, dict[str, Any]] = field(default_factory=dict)  # live, by id
    keep_process: set[str] = field(default_factory=set)

    @property
    def exclude(self) -> frozenset[str]:
        return frozenset(self.again)


def refusals(store: Any, plan_id: str) -> Refusals:
    """What providers refused in this plan: the offers, inventory and vehicles behind it."""
    offers, resources, vehicles, records = set(), set(), set(), []
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(answers.c.record.label("refusal"), commitments)
            .join(commitments, commitments.c.id == answers.c.commitment)
            .where(answers.c.plan == plan_id, answers.c.answer == "refused")
            .order_by(answers.c.record)
        ).all()
    for r in rows:
        records.append(r.refusal)
        if r.role == "work" and r.intent:
            offers.add(r.intent)
        elif r.role == "supply" and r.resource:
            resources.add(r.resource)
        elif r.role == "use" and r.resource:
            vehicles.add(r.resource)
        elif r.role == "transport":
            vehicle = json.loads(r.explanation).get("vehicle")
            if vehicle:
                vehicles.add(vehicle)
    return Refusals(frozenset(offers), frozenset(resources), frozenset(vehicles), tuple(records))


def review(store: Any, state: dict[str, Any]) -> Review:
    """Sort the live commitments of a plan (its ``progress``) into kept, reduced and again."""
    rv = Review(refused=refusals(store, state["id"]))
    author = state["author"]
    procs = {p["id"]: p for p in state["processes"]}
    rv.processes = procs
    live = [c for p in state["processes"] for c in p["commitments"]] + state["loose"]
    withdrawn, short = risks(store, live)
    for c in live:
        if c["role"] == "demand":
            continue
        done = min(Decimal(c["fulfilled"]), Decimal(c["quantity"]))
        standing = (
            c["provider"] != author
            and c["answer"] != "refused"
            and c["intent"] not in withdrawn
            and not (c["role"] == "supply" and c["resource"] in short)
        )
        if c["complete"]:
            rv.kept.append(c["id"])
        elif done > 0:
            rv.reduce.append(
                {"commitment": c["id"], "quantity": {"hasNumericalValue": dec_text(done),
                                                     "hasUnit": c["unit"]}}
            )  # fmt: skip
        elif standing:
            rv.kept.append(c["id"])
        else:
            rv.again[c["id"]] = c
            continue
        if c["process"]:
            rv.keep_process.add(c["process"])
        _credit(rv.credits, c, procs.get(c["process"] or ""), done, opened=not done)
    # Transport stands only with every supply it carries: else it is planned again with them.
    gone = {c["resource"] for c in rv.again.values() if c["role"] == "supply"}
    for c in live:
        if c["role"] not in ("transport", "use") or c["id"] not in rv.kept:
            continue
        carried = set(c["explanation"].get("resources") or [])
        if Decimal(c["fulfilled"]) == 0 and carried & gone:
            rv.kept.remove(c["id"])
            rv.again[c["id"]] = c
    rv.keep_process = {
        p for p in rv.keep_process
        if any(c["id"] not in rv.again for c in procs.get(p, {}).get("commitments", []))
    }  # fmt: skip
    for pid in sorted(rv.keep_process):
        p = procs.get(pid)
        if p is not None and p["recipe_process"]:
            rv.fixed[p["recipe_process"]] = (parse_time(p["begins"]), parse_time(p["ends"]))
            rv.credits.under_way.add(p["recipe_process"])
    return rv


def _credit(
    credits: Credits,
    c: dict[str, Any],
    process: dict[str, Any] | None,
    done: Decimal,
    *,
    opened: bool,
) -> None:
    """What a kept commitment gives the plan: done (fulfilled) or kept (promised, open)."""
    flow = c["explanation"].get("recipeFlow")
    rp = process["recipe_process"] if process else None
    if c["role"] == "supply" and opened:
        need = c["explanation"].get("need") or [c["spec"], None, None]
        key = (need[0], need[1], need[2])
        credits.supplies.setdefault(key, []).append((Decimal(c["quantity"]), c["unit"]))
    elif c["role"] == "output" and rp:
        credits.produced[rp] = credits.produced.get(rp, Decimal(0)) + done
    elif c["role"] in ("work", "input") and rp and flow:
        book = credits.kept if opened else credits.done
        amount = Decimal(c["quantity"]) if opened else done
        book[(rp, flow)] = book.get((rp, flow), Decimal(0)) + amount


def _time(value: Any) -> str | None:
    return norm_time(value) if isinstance(value, str) else None


def _num(value: Any) -> str:
    return str(Decimal(str(value)).normalize())


def _same_process(p: dict[str, Any], old: dict[str, Any]) -> bool:
    return (
        p.get("recipeProcess") == old["recipe_process"]
        and p["name"] == old["name"]
        and _time(p["hasBeginning"]) == old["begins"]
        and _time(p["hasEnd"]) == old["ends"]
    )


def _signature(role: str, process: str | None, data: dict[str, Any]) -> tuple[Any, ...]:
    qkey = "resourceQuantity"
    if data["action"] == "work" or data.get("resourceQuantity") is None:
        qkey = "effortQuantity"
    q = data.get(qkey) or {}
    return (
        role, process, data["action"], data["provider"], data["receiver"],
        data.get("resourceConformsTo"), data.get("resourceInventoriedAs"),
        _num(q.get("hasNumericalValue", 0)), q.get("hasUnit"), _time(data.get("due")),
        _time(data.get("hasBeginning")), _time(data.get("hasEnd")),
        (data.get("satisfies") or [None])[0],
    )  # fmt: skip


def _old_signature(c: dict[str, Any]) -> tuple[Any, ...]:
    return (
        c["role"], c["process"], c["action"], c["provider"], c["receiver"], c["spec"],
        c["resource"], _num(c["quantity"]), c["unit"], c["due"], c["begins"], c["ends"],
        c["intent"],
    )  # fmt: skip


def settle(rv: Review, d: Draft) -> list[str]:
    """Keep, instead of what the draft adds, what it would replace by the same thing; drop it
    from the draft; return what is left to cancel (commitments, then emptied processes)."""
    taken: set[str] = set()
    key_to_id: dict[str, str] = {}
    fresh = []
    for p in d.processes:
        old = next(
            (o for oid, o in sorted(rv.processes.items())
             if oid not in taken and _same_process(p, o)),
            None,
        )  # fmt: skip
        if old is None:
            fresh.append(p)
            continue
        taken.add(old["id"])
        key_to_id[p["key"]] = old["id"]
    d.processes = fresh
    olds: dict[tuple[Any, ...], list[str]] = {}
    for cid, c in sorted(rv.again.items()):
        olds.setdefault(_old_signature(c), []).append(cid)
    cancel = set(rv.again)
    added = []
    for c in d.commitments:
        proc = c.get("process")
        if proc in key_to_id:
            c["process"] = key_to_id[proc]
        same = olds.get(_signature(c["role"], c.get("process"), c["data"]))
        if same:
            cancel.discard(same.pop(0))  # the same commitment: the old one stays
            continue
        added.append(c)
    d.commitments = added
    used = {c.get("process") for c in added} | set(key_to_id.values())
    live_after = {
        c["process"]
        for p in rv.processes.values()
        for c in p["commitments"]
        if c["id"] not in cancel
    }
    emptied = [
        pid
        for pid in sorted(rv.processes)
        if pid not in rv.keep_process and pid not in used and pid not in live_after
    ]
    return sorted(cancel) + emptied
