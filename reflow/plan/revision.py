"""Re-planning: what a revision keeps, reduces, cancels and adds.

A plan is revised against the network as it is now, changing as little as it can:

* a commitment **complete** is kept — it is done;
* a commitment **partly fulfilled** is reduced to the part done, which is kept; only the rest is
  planned again (and credited: the hours worked, the inputs consumed, the output produced);
* a commitment its provider **refused** is cancelled, and what was behind it (the offer of work,
  the inventory; for a trip, that vehicle for those goods) is not asked of again in this plan:
  the rest goes to someone else, or to the market as a request when nobody else can;
* a commitment of another provider that still **stands** — not refused, its offer not withdrawn,
  its resource still holding what was reserved, and needed by the plan — is kept, accepted or
  still pending, so a revision never asks a provider twice for the same thing;
* a trip (the pickups, drop-offs and use of a vehicle of one load) stands only as a whole and
  with the supplies it carries: when a part of it or one of them is planned again, so is all;
* everything else (the planner's own inputs and outputs, and whatever no longer stands) is
  planned again; a new commitment identical to one it replaces keeps the old one (and its
  answers) instead.

A process is kept, with its times, when anything in it is kept; the phases then plan around it.
What stands in a process the plan no longer needs (its recipe process is no longer planned, or
the need a supply was for is gone: ``unneeded``) does not stand after all: the revision is
drafted again without it, and cancels it with the process. Work an event did against a
commitment cancelled meanwhile is credited as done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.market.model import norm_time
from reflow.plan.data import Refusals
from reflow.plan.explode import Credits
from reflow.plan.holds import parse_time
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
    live: list[dict[str, Any]] = field(default_factory=list)  # every live commitment

    @property
    def exclude(self) -> frozenset[str]:
        return frozenset(self.again)


def refusals(store: Any, plan_id: str) -> Refusals:
    """What providers refused in this plan: the offers and inventory behind it, and for a
    refused trip, the vehicle with the goods it was to carry (that vehicle for those goods)."""
    offers, resources, carriers, records = set(), set(), set(), []
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
        elif r.role in ("transport", "use"):
            why = json.loads(r.explanation)
            vehicle = why.get("vehicle") or (r.resource if r.role == "use" else None)
            if vehicle:
                carriers.update((vehicle, goods) for goods in why.get("resources") or ())
    return Refusals(frozenset(offers), frozenset(resources), frozenset(carriers), tuple(records))


def review(store: Any, state: dict[str, Any], drop: frozenset[str] = frozenset()) -> Review:
    """Sort the live commitments of a plan (its ``progress``) into kept, reduced and again.

    ``drop``: commitments the plan no longer needs (see ``unneeded``): they no longer stand."""
    rv = Review(refused=refusals(store, state["id"]))
    author = state["author"]
    procs = {p["id"]: p for p in state["processes"]}
    rv.processes = procs
    live = [c for p in state["processes"] for c in p["commitments"]] + state["loose"]
    live = rv.live = [c for c in live if c["role"] != "demand"]
    withdrawn, short = risks(store, live)
    fate: dict[str, str] = {}
    for c in live:
        done = min(Decimal(c["fulfilled"]), Decimal(c["quantity"]))
        standing = (
            c["provider"] != author
            and c["answer"] != "refused"
            and c["intent"] not in withdrawn
            and not (c["role"] == "supply" and c["resource"] in short)
            and c["id"] not in drop
        )
        if c["complete"]:
            fate[c["id"]] = "kept"
        elif done > 0:
            fate[c["id"]] = "reduce"
        else:
            fate[c["id"]] = "kept" if standing else "again"
    _trips_stand_whole(live, fate)
    for c in live:
        done = min(Decimal(c["fulfilled"]), Decimal(c["quantity"]))
        if fate[c["id"]] == "again":
            rv.again[c["id"]] = c
            continue
        if fate[c["id"]] == "kept":
            rv.kept.append(c["id"])
        else:
            rv.reduce.append(
                {"commitment": c["id"], "quantity": {"hasNumericalValue": dec_text(done),
                                                     "hasUnit": c["unit"]}}
            )  # fmt: skip
        if c["process"]:
            rv.keep_process.add(c["process"])
        _credit(rv.credits, c, procs.get(c["process"] or ""), done, opened=not done)
    for c in state.get("cancelled", []):  # done all the same: not planned again
        p = procs.get(c["process"] or "")
        if p is not None:
            _credit(rv.credits, c, p, Decimal(c["fulfilled"]), opened=False)
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


def unneeded(rv: Review, d: Draft) -> frozenset[str]:
    """Open commitments the revision kept that the plan, as drafted, no longer needs: those
    in a process of a recipe process it no longer plans, and supplies for a need it no longer
    has (the trips carrying them follow: a trip stands only with its supplies). Nothing done
    or partly done: that stays, with its process."""
    out = set()
    for c in rv.live:
        if c["id"] not in rv.kept or c["complete"] or Decimal(c["fulfilled"]) > 0:
            continue
        p = rv.processes.get(c["process"] or "")
        if p is not None and p["recipe_process"] and p["recipe_process"] not in d.planned:
            out.add(c["id"])
        elif c["role"] == "supply":
            need = c["explanation"].get("need") or [c["spec"], None, None]
            if (need[0], need[1], need[2]) not in d.needed:
                out.add(c["id"])
    return frozenset(out)


def _trip(c: dict[str, Any]) -> tuple[Any, ...]:
    """The trip a transport commitment belongs to: its load in the record that made it."""
    why = c["explanation"]
    return (c["record"], c["process"], why.get("load") or why.get("vehicle"))


def _trips_stand_whole(live: list[dict[str, Any]], fate: dict[str, str]) -> None:
    """A trip — the pickups, drop-offs and use of a vehicle of one load — stands only as a
    whole, and only with the supplies it carries: when any of them is planned again (refused,
    no longer standing), so are the others not yet begun, and the supplies it carries, so the
    revision plans the trip again with them (an identical supply keeps the old commitment)."""
    trips: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for c in live:
        if c["role"] in ("transport", "use"):
            trips.setdefault(_trip(c), []).append(c)
    supplies: dict[str, list[dict[str, Any]]] = {}
    for c in live:
        if c["role"] == "supply" and c["resource"]:
            supplies.setdefault(c["resource"], []).append(c)

    def again(c: dict[str, Any]) -> bool:
        if fate[c["id"]] != "kept" or Decimal(c["fulfilled"]) > 0:
            return False
        fate[c["id"]] = "again"
        return True

    changed = True
    while changed:
        changed = False
        gone = {r for r, cs in supplies.items() if any(fate[c["id"]] == "again" for c in cs)}
        for members in trips.values():
            goods = {r for m in members for r in m["explanation"].get("resources") or ()}
            if not (goods & gone or any(fate[m["id"]] == "again" for m in members)):
                continue
            for c in [*members, *(s for r in sorted(goods) for s in supplies.get(r, ()))]:
                changed = again(c) or changed


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
