"""The ValueFlows record kinds every node understands.

* ``agent.declare`` — an agent declares itself (Person, Organization, EcologicalAgent); its id is
  its public key, so the record is signed by the agent's own key.
* ``vf.create`` / ``vf.update`` / ``vf.delete`` — other VF objects, checked by their schema.
* ``vf.event`` — an EconomicEvent, judged by the VF rules (``reflow.vf.rules``).
"""

from __future__ import annotations

from typing import Any

from reflow.errors import AuthorisationError, ConflictError, NotFound, RuleViolation
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind
from reflow.vf.event import parse_event, parse_new_resource
from reflow.vf.rules import judge
from reflow.vf.types import AGENT_TYPES, VfType, get_type
from reflow.vf.values import evolve


def _body(ctx: Context, *keys: str) -> dict[str, Any]:
    body = ctx.record.body
    for k in keys:
        if k not in body:
            raise RuleViolation(f"the body needs {k!r}", field=f"body.{k}", rule="required")
    return body


def _check_refs(ctx: Context, t: VfType, data: dict[str, Any], where: str) -> None:
    for key, ref_type, ref_id in t.references(data):
        if not ctx.view.exists(ref_type, ref_id):
            raise NotFound(f"no {ref_type} {ref_id!r}", field=f"{where}.{key}")


def declare_agent(ctx: Context) -> Changes:
    body = _body(ctx, "type", "data")
    t = get_type(body["type"], "body.type")
    if t.name not in AGENT_TYPES:
        raise RuleViolation(f"{t.name} is not an agent type", field="body.type", rule="agent-type")
    data = t.check(body["data"], "body.data")
    _check_refs(ctx, t, data, "body.data")
    existing = ctx.view.object(ctx.author)
    if existing is not None and existing.type != t.name:
        raise ConflictError(
            f"this key already declared a {existing.type}",
            field="body.type",
            rule="agent-type-fixed",
        )
    obj = VfObject(
        t.name,
        ctx.author,
        data,
        ctx.author,
        ctx.record.hash,
        existing.created if existing else ctx.record.created,
    )
    return Changes(objects={obj.id: obj}, created={"agent": obj.id})


def create_object(ctx: Context) -> Changes:
    body = _body(ctx, "type", "data")
    t = get_type(body["type"], "body.type")
    if t.name in AGENT_TYPES:
        raise RuleViolation(
            "agents declare themselves with agent.declare",
            field="body.type",
            rule="agent-declares-itself",
        )
    data = t.check(body["data"], "body.data")
    _check_refs(ctx, t, data, "body.data")
    obj = VfObject(t.name, ctx.id(), data, ctx.author, ctx.record.hash, ctx.record.created)
    return Changes(objects={obj.id: obj}, created={t.name: obj.id})


def _own_object(ctx: Context) -> tuple[VfObject, VfType]:
    body = _body(ctx, "id")
    obj = ctx.view.object(body["id"]) if isinstance(body["id"], str) else None
    if obj is None or obj.deleted:
        raise NotFound(f"no object {body['id']!r}", field="body.id")
    if obj.author not in ctx.acting:
        raise AuthorisationError(
            "only the author of an object may change it", field="body.id", rule="author-changes"
        )
    t = get_type(obj.type)
    if not t.mutable:
        raise RuleViolation(f"a {t.name} cannot be changed", field="body.id", rule="immutable")
    return obj, t


def update_object(ctx: Context) -> Changes:
    obj, t = _own_object(ctx)
    patch = t.check(_body(ctx, "data")["data"], "body.data", partial=True)
    _check_refs(ctx, t, patch, "body.data")
    data = {k: v for k, v in {**obj.data, **patch}.items() if v is not None}
    t.check(data, "body.data")
    new = VfObject(obj.type, obj.id, data, obj.author, ctx.record.hash, obj.created)
    return Changes(objects={new.id: new})


def delete_object(ctx: Context) -> Changes:
    obj, _ = _own_object(ctx)
    new = VfObject(obj.type, obj.id, obj.data, obj.author, ctx.record.hash, obj.created, True)
    return Changes(objects={new.id: new})


def record_event(ctx: Context) -> Changes:
    body = ctx.record.body
    unknown = sorted(set(body) - {"event", "newInventoriedResource"})
    if unknown:
        raise RuleViolation(
            f"unknown field {unknown[0]!r}", field=f"body.{unknown[0]}", rule="known-fields"
        )
    ev = parse_event(body.get("event"))
    new = parse_new_resource(body.get("newInventoriedResource"))
    if (
        new is not None
        and new.current_location
        and not ctx.view.exists("SpatialThing", new.current_location)
    ):
        raise NotFound(
            f"no SpatialThing {new.current_location!r}",
            field="newInventoriedResource.currentLocation",
        )
    outcome = judge(
        ev, new, ctx.view,
        event_id=ctx.id("event"), new_id=ctx.id,
        acting=ctx.acting, author=ctx.author, record=ctx.record.hash, clock=ctx.clock,
        deps=frozenset(ctx.record.deps),
    )  # fmt: skip
    event = outcome.event
    changes = Changes(resources=outcome.resources, events={**outcome.relinked, event.id: event})
    changes.relinks = len(outcome.relinked)
    changes.clock = event.clock
    changes.created["EconomicEvent"] = outcome.event.id
    if outcome.event.corrects:
        old = changes.events.get(outcome.event.corrects) or ctx.view.event(outcome.event.corrects)
        if old is not None:
            changes.events[old.id] = evolve(old, corrected_by=outcome.event.id)
    for rid in outcome.created:
        role = "EconomicResource" if rid == ctx.id("resource") else "toEconomicResource"
        changes.created[role] = rid
    return changes


register_kind(
    "agent.declare",
    declare_agent,
    "an agent declares itself under its own key",
    open_to_strangers=True,
)
register_kind("vf.create", create_object, "create a VF object (place, specification, process…)")
register_kind("vf.update", update_object, "change fields of a VF object its author created")
register_kind("vf.delete", delete_object, "withdraw a VF object its author created")
register_kind("vf.event", record_event, "record an EconomicEvent")
