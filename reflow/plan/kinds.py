"""The planner's record kinds: a plan, and its revisions, each in one record.

* ``plan.create`` {plan: {name, due, note?}, demand: {spec, quantity, due, receiver, place?,
  radiusKm?}, plannedAt, summary, processes: [...], commitments: [...]} — the Plan, its
  Processes and Commitments appear together or not at all.
* ``plan.revise`` {plan, plannedAt, summary, cancel: [ids], reduce: [{commitment, quantity}],
  processes, commitments} — re-planning: cancels what it replaces (never what is done; the
  planner decides that), reduces a commitment partly fulfilled to the part done, and adds the
  rest. A reduction only lowers a quantity (to more than zero: cancelling is for nothing left).

A process entry is {key, name, hasBeginning, hasEnd, basedOn?, atLocation?, recipeProcess?,
critical?}; a commitment entry is {key, role, process?, side?: input|output, data: VF Commitment
fields, explanation, reserve?}. ``process`` names a process by its key in this record (or the id of
one of the plan's processes); ``reserve`` makes the commitment hold its resourceInventoriedAs
against other plans. Events fulfil plan commitments through ``fulfills``: the market's policy
checks them and ``fulfilment``'s projector counts them in the shared ``market_fulfilments``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from reflow.errors import AuthorisationError, NotFound, RuleViolation, UnitError
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind
from reflow.market import kinds as _market  # noqa: F401  (fulfilment policy and table)
from reflow.market.model import norm_time
from reflow.plan import answers as _answers  # noqa: F401  (registers plan.accept/refuse)
from reflow.plan import fulfilment as _fulfilment  # noqa: F401  (counts plan fulfilments)
from reflow.plan import recipes as _recipes  # noqa: F401  (registers recipe.define)
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure
from reflow.vf.types import get_type
from reflow.vf.units import convert

ROLES = ("demand", "output", "input", "work", "supply", "transport", "use")


def _obj(body: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleViolation("must be an object", field=where, rule="type")
    extra = sorted(set(body) - allowed)
    if extra:
        raise RuleViolation(
            f"unknown field {extra[0]!r}", field=f"{where}.{extra[0]}", rule="known-fields"
        )
    return body


_REF_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    name: [(k, f.ref, f.kind == "refs") for k, f in get_type(name).fields.items() if f.ref]
    for name in ("Process", "Commitment")
}


def _refs(ctx: Context, type_name: str, data: dict[str, Any], where: str, local: set[str]) -> None:
    """Every reference exists; each id is looked up once per record (``local`` remembers)."""
    for key, ref_type, many in _REF_FIELDS[type_name]:
        value = data.get(key)
        if value is None:
            continue
        for ref_id in value if many else (value,):
            if ref_id in local:
                continue
            if not ctx.view.exists(ref_type, ref_id):
                raise NotFound(f"no {ref_type} {ref_id!r}", field=f"{where}.{key}")
            local.add(ref_id)


def _time(value: Any, where: str) -> str:
    try:
        out = norm_time(value) if isinstance(value, str) else None
    except ValueError:
        out = None
    if out is None:
        raise RuleViolation("must be an ISO 8601 date-time", field=where, rule="type")
    return out


def _block(data: dict[str, Any], where: str) -> tuple[str | None, str | None]:
    """The block of time a commitment books its provider for: both ends or neither."""
    begins, ends = data.get("hasBeginning"), data.get("hasEnd")
    if begins is None and ends is None:
        return None, None
    if begins is None or ends is None:
        missing = "hasBeginning" if begins is None else "hasEnd"
        raise RuleViolation(
            "a booked block names hasBeginning and hasEnd",
            field=f"{where}.{missing}",
            rule="time-window",
        )
    b, e = _time(begins, f"{where}.hasBeginning"), _time(ends, f"{where}.hasEnd")
    if e < b:
        raise RuleViolation(
            "hasEnd is before hasBeginning", field=f"{where}.hasEnd", rule="time-window"
        )
    return b, e


def create_plan(ctx: Context) -> Changes:
    allowed = {"plan", "demand", "plannedAt", "summary", "processes", "commitments"}
    body = _obj(ctx.record.body, allowed, "body")
    plan = get_type("Plan").check(body.get("plan"), "body.plan")
    demand = _obj(
        body.get("demand"),
        {"spec", "quantity", "due", "receiver", "place", "radiusKm"},
        "body.demand",
    )
    q = Measure.from_vf(demand.get("quantity"), "body.demand.quantity")
    if q.value <= 0:
        raise RuleViolation(
            "the demand is more than zero", field="body.demand.quantity", rule="positive"
        )
    for key, type_name in (("spec", "ResourceSpecification"), ("receiver", "Agent")):
        if not isinstance(demand.get(key), str) or not ctx.view.exists(type_name, demand[key]):
            raise NotFound(f"no {type_name} {demand.get(key)!r}", field=f"body.demand.{key}")
    if demand.get("place") is not None and not ctx.view.exists("SpatialThing", demand["place"]):
        raise NotFound(f"no place {demand['place']!r}", field="body.demand.place")
    due = _time(demand.get("due"), "body.demand.due")
    rec = ctx.record
    pid = ctx.id("plan")
    changes = Changes(created={"Plan": pid})
    _contents(ctx, body, pid, changes)
    demand_ids = [
        changes.created[f"Commitment:{c['key']}"]
        for c in body.get("commitments") or []
        if c.get("role") == "demand"
    ]
    data = {**plan, "due": plan.get("due") or demand["due"], "hasIndependentDemand": demand_ids}
    changes.objects[pid] = VfObject("Plan", pid, data, rec.author, rec.hash, rec.created)
    changes.rows.insert(
        0,
        (
            "plan_plans",
            {
                "id": pid,
                "author": rec.author,
                "receiver": demand["receiver"],
                "spec": demand["spec"],
                "quantity": dec_text(q.value),
                "unit": q.unit,
                "due": due,
                "place": demand.get("place"),
                "radius_km": demand.get("radiusKm"),
                "record": rec.hash,
                "created": rec.created,
            },
        ),
    )
    return changes


def revise_plan(ctx: Context) -> Changes:
    allowed = {"plan", "plannedAt", "summary", "cancel", "reduce", "processes", "commitments"}
    body = _obj(ctx.record.body, allowed, "body")
    pid = body.get("plan")
    plan = ctx.view.object(pid) if isinstance(pid, str) else None
    if plan is None or plan.type != "Plan" or plan.deleted:
        raise NotFound(f"no plan {pid!r}", field="body.plan")
    if plan.author not in ctx.acting:
        raise AuthorisationError(
            "only the plan's author revises it", field="body.plan", rule="plan-author"
        )
    changes = Changes(created={"Plan": plan.id})
    rec = ctx.record
    for i, oid in enumerate(body.get("cancel") or []):
        obj = ctx.view.object(oid) if isinstance(oid, str) else None
        if obj is None or obj.type not in ("Process", "Commitment") or obj.deleted:
            raise NotFound(f"no live process or commitment {oid!r}", field=f"body.cancel[{i}]")
        if obj.data.get("plannedWithin") != plan.id:
            raise RuleViolation(
                "not a part of this plan", field=f"body.cancel[{i}]", rule="same-plan"
            )
        changes.objects[obj.id] = VfObject(
            obj.type, obj.id, obj.data, obj.author, rec.hash, obj.created, True
        )
        changes.rows.append(
            ("plan_cancellations", {"id": obj.id, "plan": plan.id, "record": rec.hash})
        )
    for i, raw in enumerate(body.get("reduce") or []):
        _reduce(ctx, plan.id, _obj(raw, {"commitment", "quantity"}, f"body.reduce[{i}]"),
                f"body.reduce[{i}]", changes)  # fmt: skip
    _contents(ctx, body, plan.id, changes)
    return changes


def _reduce(ctx: Context, plan_id: str, raw: dict[str, Any], where: str, changes: Changes) -> None:
    """A live commitment of the plan gets a smaller quantity (in its own unit)."""
    cid = raw.get("commitment")
    obj = ctx.view.object(cid) if isinstance(cid, str) else None
    if obj is None or obj.type != "Commitment" or obj.deleted:
        raise NotFound(f"no live commitment {cid!r}", field=f"{where}.commitment")
    if obj.data.get("plannedWithin") != plan_id:
        raise RuleViolation(
            "not a part of this plan", field=f"{where}.commitment", rule="same-plan"
        )
    if cid in changes.objects:
        raise RuleViolation(
            "a commitment is cancelled or reduced, not both",
            field=f"{where}.commitment",
            rule="one-change",
        )
    qkey = "resourceQuantity"
    if obj.data["action"] == "work" or obj.data.get("resourceQuantity") is None:
        qkey = "effortQuantity"
    now = Measure.from_vf(obj.data.get(qkey), f"{where}.commitment")
    new = Measure.from_vf(raw.get("quantity"), f"{where}.quantity")
    try:
        value = convert(new.value, new.unit, now.unit)
    except UnitError:
        raise UnitError(
            f"{new.unit} does not measure a commitment in {now.unit}",
            field=f"{where}.quantity",
            rule="same-dimension",
        ) from None
    if not Decimal(0) < value < now.value:
        raise RuleViolation(
            "a reduction is more than zero and less than the commitment's quantity",
            field=f"{where}.quantity",
            rule="reduce-less",
        )
    rec = ctx.record
    data = {**obj.data, qkey: {"hasNumericalValue": dec_text(value), "hasUnit": now.unit}}
    changes.objects[obj.id] = VfObject(
        "Commitment", obj.id, data, obj.author, rec.hash, obj.created
    )
    changes.rows.append(
        (
            "plan_reductions",
            {
                "commitment": obj.id,
                "record": rec.hash,
                "plan": plan_id,
                "quantity": dec_text(value),
                "unit": now.unit,
            },
        )
    )


def _contents(ctx: Context, body: dict[str, Any], plan_id: str, changes: Changes) -> None:
    rec = ctx.record
    planned_at = _time(body.get("plannedAt"), "body.plannedAt")
    summary = body.get("summary")
    if not isinstance(summary, dict):
        raise RuleViolation("summary is an object", field="body.summary", rule="type")
    changes.rows.append(
        (
            "plan_revisions",
            {
                "record": rec.hash,
                "plan": plan_id,
                "created": rec.created,
                "planned_at": planned_at,
                "summary": json.dumps(summary, sort_keys=True),
            },
        ),
    )
    keys: dict[str, str] = {}
    raws = body.get("processes") or []
    commits = body.get("commitments") or []
    local = {ctx.id(f"process:{p.get('key')}") for p in raws if isinstance(p, dict)}
    local.add(plan_id)
    for i, raw in enumerate(raws):
        where = f"body.processes[{i}]"
        raw = _obj(raw, {"key", "recipeProcess", "critical", *get_type("Process").fields}, where)
        if not isinstance(raw.get("key"), str) or raw["key"] in keys:
            raise RuleViolation(
                "each process has a unique text key", field=f"{where}.key", rule="unique-key"
            )
        data = {k: v for k, v in raw.items() if k not in ("key", "recipeProcess", "critical")}
        data = dict(get_type("Process").check(data, where))
        data["plannedWithin"] = plan_id
        begins = _time(data.get("hasBeginning"), f"{where}.hasBeginning")
        ends = _time(data.get("hasEnd"), f"{where}.hasEnd")
        if ends < begins:
            raise RuleViolation(
                "hasEnd is before hasBeginning", field=f"{where}.hasEnd", rule="time-window"
            )
        _refs(ctx, "Process", data, where, local)
        oid = ctx.id(f"process:{raw['key']}")
        keys[raw["key"]] = oid
        changes.objects[oid] = VfObject("Process", oid, data, rec.author, rec.hash, rec.created)
        changes.created[f"Process:{raw['key']}"] = oid
        changes.rows.append(
            (
                "plan_processes",
                {
                    "id": oid,
                    "plan": plan_id,
                    "record": rec.hash,
                    "name": data["name"],
                    "recipe_process": raw.get("recipeProcess"),
                    "begins": begins,
                    "ends": ends,
                    "critical": "true" if raw.get("critical") else "false",
                },
            ),
        )
    seen: set[str] = set()
    local.update(keys.values())
    for i, raw in enumerate(commits):
        where = f"body.commitments[{i}]"
        raw = _obj(raw, {"key", "role", "process", "side", "data", "explanation", "reserve"}, where)
        if not isinstance(raw.get("key"), str) or raw["key"] in seen:
            raise RuleViolation(
                "each commitment has a unique text key", field=f"{where}.key", rule="unique-key"
            )
        seen.add(raw["key"])
        if raw.get("role") not in ROLES:
            raise RuleViolation(
                f"role is one of {', '.join(ROLES)}", field=f"{where}.role", rule="role"
            )
        data = dict(get_type("Commitment").check(raw.get("data"), f"{where}.data"))
        proc = raw.get("process")
        if proc is not None:
            proc = keys.get(proc, proc)
            p = changes.objects.get(proc) or ctx.view.object(proc)
            if p is None or p.type != "Process" or p.data.get("plannedWithin") != plan_id:
                raise NotFound(
                    f"no process {raw['process']!r} in this plan", field=f"{where}.process"
                )
            side = raw.get("side")
            if side not in ("input", "output"):
                raise RuleViolation("side is input or output", field=f"{where}.side", rule="side")
            data["inputOf" if side == "input" else "outputOf"] = proc
        data["plannedWithin"] = plan_id
        data["created"] = rec.created
        _refs(ctx, "Commitment", data, f"{where}.data", local)
        qkey = "resourceQuantity"
        if data["action"] == "work" or data.get("resourceQuantity") is None:
            qkey = "effortQuantity"  # work, and the use of a vehicle, are measured in time
        m = Measure.from_vf(data.get(qkey), f"{where}.data.{qkey}")
        due = _time(data.get("due"), f"{where}.data.due")
        begins, ends = _block(data, f"{where}.data")
        oid = ctx.id(f"commitment:{raw['key']}")
        changes.objects[oid] = VfObject("Commitment", oid, data, rec.author, rec.hash, rec.created)
        changes.created[f"Commitment:{raw['key']}"] = oid
        intent = (data.get("satisfies") or [None])[0]
        changes.rows.append(
            (
                "plan_commitments",
                {
                    "id": oid,
                    "plan": plan_id,
                    "process": proc,
                    "record": rec.hash,
                    "role": raw["role"],
                    "action": data["action"],
                    "provider": data["provider"],
                    "receiver": data["receiver"],
                    "spec": data.get("resourceConformsTo"),
                    "resource": data.get("resourceInventoriedAs"),
                    "quantity": dec_text(m.value),
                    "unit": m.unit,
                    "due": due,
                    "intent": intent,
                    "explanation": json.dumps(raw.get("explanation") or {}, sort_keys=True),
                    "begins": begins,
                    "ends": ends,
                },
            ),
        )
        if raw.get("reserve"):
            if not data.get("resourceInventoriedAs"):
                raise RuleViolation(
                    "a reservation names resourceInventoriedAs",
                    field=f"{where}.reserve",
                    rule="reserve-resource",
                )
            changes.rows.append(
                (
                    "plan_reservations",
                    {
                        "commitment": oid,
                        "resource": data["resourceInventoriedAs"],
                        "plan": plan_id,
                        "quantity": dec_text(m.value),
                        "unit": m.unit,
                    },
                ),
            )


register_kind("plan.create", create_plan, "a plan with its processes and commitments")
register_kind("plan.revise", revise_plan, "re-plan: cancel what is replaced, add the rest")
