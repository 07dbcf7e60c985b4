"""Mutation resolvers: each turns its input into one signed record and appends it.

The record is signed with the signer's node-held key, so the signer is its author and the
ledger decides what that author may do (provider, receiver, accountable agent). Agents that keep
their own keys sign records themselves and send them with ``submitRecord``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from reflow.api.auth import require_signer
from reflow.api.context import RequestContext, ctx_of
from reflow.api.nodes import unit_node
from reflow.errors import AuthorisationError, RuleViolation
from reflow.ledger.records import record_from_dict
from reflow.vf.units import get_unit

Info = GraphQLResolveInfo
Resolver = Callable[..., Any]

mutation = MutationType()


def clean(value: Any) -> Any:
    """Input as a record carries it: no nulls (an absent field means "not given")."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _object(ctx: RequestContext, object_id: str | None) -> dict[str, Any] | None:
    return ctx.loaders.objects.get(object_id)


def create_object(vf_type: str, arg: str, out: str) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        ctx = ctx_of(info)
        key = ctx.signer_key()
        body = {"type": vf_type, "data": clean(args[arg])}
        receipt = ctx.submit(key, "vf.create", body)
        return {out: _object(ctx, receipt.created[vf_type])}

    return resolve


def update_object(arg: str, out: str) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        ctx = ctx_of(info)
        key = ctx.signer_key()
        data = dict(args[arg])
        object_id = data.pop("id")
        ctx.submit(key, "vf.update", {"id": object_id, "data": clean(data)})
        return {out: _object(ctx, object_id)}

    return resolve


def delete_object(_: Any, info: Info, id: str) -> bool:
    ctx = ctx_of(info)
    ctx.submit(ctx.signer_key(), "vf.delete", {"id": id})
    return True


# mutation suffix -> (VF type, argument name, response field); create/update/delete each.
OBJECT_MUTATIONS: dict[str, tuple[str, str, str]] = {
    "SpatialThing": ("SpatialThing", "spatialThing", "spatialThing"),
    "ResourceSpecification": (
        "ResourceSpecification", "resourceSpecification", "resourceSpecification",
    ),
    "ProcessSpecification": (
        "ProcessSpecification", "processSpecification", "processSpecification",
    ),
    "Process": ("Process", "process", "process"),
}  # fmt: skip
CREATE_ONLY: dict[str, tuple[str, str, str]] = {
    "BatchLotRecord": ("BatchLotRecord", "batchLotRecord", "batchLotRecord"),
}


def register_object_mutations(
    full: dict[str, tuple[str, str, str]], create_only: dict[str, tuple[str, str, str]]
) -> None:
    for name, (vf_type, arg, out) in {**full, **create_only}.items():
        mutation.set_field(f"create{name}", create_object(vf_type, arg, out))
    for name, (_vf_type, arg, out) in full.items():
        mutation.set_field(f"update{name}", update_object(arg, out))
        mutation.set_field(f"delete{name}", delete_object)


register_object_mutations(OBJECT_MUTATIONS, CREATE_ONLY)


def declare_agent(type_name: str, arg: str) -> Resolver:
    """Signed by the node's key: a new node-held agent; signed by a node-held key: that key."""

    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        ctx = ctx_of(info)
        signer = require_signer(ctx.signer)
        data = clean(args[arg])
        if signer == ctx.node.info.node_key:
            agent = ctx.node.new_agent(type_name, data).public
            ctx.loaders.reset()
        else:
            agent = signer
            ctx.submit(ctx.signer_key(), "agent.declare", {"type": type_name, "data": data})
        return {"agent": _object(ctx, agent)}

    return resolve


def update_agent(arg: str) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        ctx = ctx_of(info)
        data = dict(args[arg])
        agent = data.pop("id")
        ctx.submit(ctx.signer_key(), "vf.update", {"id": agent, "data": clean(data)})
        return {"agent": _object(ctx, agent)}

    return resolve


mutation.set_field("createPerson", declare_agent("Person", "person"))
mutation.set_field("createOrganization", declare_agent("Organization", "organization"))
mutation.set_field("updatePerson", update_agent("person"))
mutation.set_field("updateOrganization", update_agent("organization"))


@mutation.field("createEconomicEvent")
def resolve_create_event(
    _: Any, info: Info, event: dict[str, Any], newInventoriedResource: Any = None
) -> dict[str, Any]:
    ctx = ctx_of(info)
    key = ctx.signer_key()
    body: dict[str, Any] = {"event": clean(event)}
    if newInventoriedResource is not None:
        body["newInventoriedResource"] = clean(newInventoriedResource)
    receipt = ctx.submit(key, "vf.event", body)
    created = receipt.created
    resource = created.get("EconomicResource") or created.get("toEconomicResource")
    return {
        "economicEvent": ctx.loaders.events.get(created["EconomicEvent"]),
        "economicResource": ctx.loaders.resources.get(resource),
    }


@mutation.field("updateEconomicResource")
def resolve_update_resource(_: Any, info: Info, resource: dict[str, Any]) -> dict[str, Any]:
    ctx = ctx_of(info)
    data = dict(resource)
    resource_id = data.pop("id")
    ctx.submit(ctx.signer_key(), "vf.resourceUpdate", {"id": resource_id, "data": clean(data)})
    return {"economicResource": ctx.loaders.resources.get(resource_id)}


@mutation.field("createUnit")
def resolve_create_unit(_: Any, info: Info, unit: dict[str, Any]) -> dict[str, Any]:
    """Every node must convert quantities alike, so units are the fixed OM2 table."""
    require_signer(ctx_of(info).signer)
    for ref in (unit.get("symbol"), unit.get("label")):
        if not isinstance(ref, str):
            continue
        try:
            return {"unit": unit_node(get_unit(ref).id)}
        except RuleViolation:
            continue
    raise RuleViolation(
        f"ReflowOS knows the OM2 units; {unit.get('label')!r} is not one of them",
        field="unit.symbol",
        rule="known-unit",
    )


@mutation.field("submitRecord")
def resolve_submit_record(_: Any, info: Info, record: Any) -> dict[str, Any]:
    ctx = ctx_of(info)
    signer = require_signer(ctx.signer)
    rec = record_from_dict(record)
    if rec.author != signer:
        raise AuthorisationError(
            "a request may only submit records its signer wrote",
            field="record.author",
            rule="signer-is-author",
        )
    receipt = ctx.append(rec)
    return {"hash": receipt.hash, "status": receipt.status, "created": receipt.created}
