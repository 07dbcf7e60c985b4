"""``vf.relation`` and ``vf.resourceUpdate``: what vf-graphql clients write that VF 1.0's
events and objects do not cover.

``vf.relation``: the 0.x join records (Fulfillment, Satisfaction, Settlement) after the fact.

VF 1.0 says an event ``fulfills`` a commitment, ``satisfies`` an intent or ``settles`` a claim as
properties of the event itself, and events are never changed. A client written for vf-graphql
0.x records the link later, as its own object. This kind records such a link: both ends must
exist and the signer must be an agent of the flow that does the fulfilling (its provider or
receiver), so nobody can claim another's event fulfils their commitment.

Body: ``{type: Fulfillment|Satisfaction|Settlement, data: {<by>, <what>, resourceQuantity?,
effortQuantity?, note?}}``. Registered on every node through ``reflow.plugins``.
"""

from __future__ import annotations

from dataclasses import replace

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind
from reflow.vf.measure import Measure

# type -> (field naming the flow, the VF types it may be, field naming the target, its type)
RELATIONS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "Fulfillment": ("fulfilledBy", ("EconomicEvent",), "fulfills", "Commitment"),
    "Satisfaction": ("satisfiedBy", ("EconomicEvent", "Commitment"), "satisfies", "Intent"),
    "Settlement": ("settledBy", ("EconomicEvent",), "settles", "Claim"),
}


def _agents_of(ctx: Context, flow_id: str, types: tuple[str, ...], where: str) -> set[str]:
    if "EconomicEvent" in types:
        ev = ctx.view.event(flow_id)
        if ev is not None:
            return {ev.provider, ev.receiver}
    if "Commitment" in types:
        obj = ctx.view.object(flow_id)
        if obj is not None and obj.type == "Commitment" and not obj.deleted:
            return {obj.data.get("provider"), obj.data.get("receiver")} - {None}
    raise NotFound(f"no {' or '.join(types)} {flow_id!r}", field=where)


def record_relation(ctx: Context) -> Changes:
    body = ctx.record.body
    kind = body.get("type")
    if kind not in RELATIONS:
        raise RuleViolation(
            f"type must be one of {', '.join(RELATIONS)}", field="body.type", rule="relation-type"
        )
    by, by_types, what, what_type = RELATIONS[kind]
    data = body.get("data")
    if not isinstance(data, dict):
        raise RuleViolation("data must be an object", field="body.data", rule="type")
    allowed = {by, what, "resourceQuantity", "effortQuantity", "note"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RuleViolation(
            f"{kind} has no field {unknown[0]!r}",
            field=f"body.data.{unknown[0]}",
            rule="known-fields",
        )
    for key in (by, what):
        if not isinstance(data.get(key), str) or not data[key]:
            raise RuleViolation(f"{key} is required", field=f"body.data.{key}", rule="required")
    for key in ("resourceQuantity", "effortQuantity"):
        if data.get(key) is not None:
            Measure.from_vf(data[key], f"body.data.{key}")
    if data.get("note") is not None and not isinstance(data["note"], str):
        raise RuleViolation("note must be text", field="body.data.note", rule="type")
    if not ctx.view.exists(what_type, data[what]):
        raise NotFound(f"no {what_type} {data[what]!r}", field=f"body.data.{what}")
    agents = _agents_of(ctx, data[by], by_types, f"body.data.{by}")
    if not agents & ctx.acting:
        raise AuthorisationError(
            f"only the provider or receiver of the flow may record its {kind}",
            field=f"body.data.{by}",
            rule="flow-agent-relates",
        )
    obj = VfObject(kind, ctx.id(), dict(data), ctx.author, ctx.record.hash, ctx.record.created)
    return Changes(objects={obj.id: obj}, created={kind: obj.id})


# What ``vf.resourceUpdate`` may change: descriptive fields only, never quantities, holders,
# place or containment (those change only through events).
RESOURCE_FIELDS = {
    "name": "name", "note": "note", "image": "image", "trackingIdentifier": "tracking_identifier",
    "classifiedAs": "classified_as",
}  # fmt: skip


def update_resource(ctx: Context) -> Changes:
    """``vf.resourceUpdate`` {id, data}: the accountable agent edits a resource's description."""
    body = ctx.record.body
    resource = ctx.view.resource(body.get("id")) if isinstance(body.get("id"), str) else None
    if resource is None:
        raise NotFound(f"no EconomicResource {body.get('id')!r}", field="body.id")
    if resource.primary_accountable not in ctx.acting:
        raise AuthorisationError(
            "only the resource's primary accountable agent may change its description",
            field="body.id",
            rule="accountable-describes",
        )
    data = body.get("data")
    if not isinstance(data, dict):
        raise RuleViolation("data must be an object", field="body.data", rule="type")
    changes: dict[str, object] = {}
    for key, value in data.items():
        if key not in RESOURCE_FIELDS:
            raise RuleViolation(
                f"an EconomicResource's {key} changes only through events",
                field=f"body.data.{key}",
                rule="described-fields",
            )
        if key == "classifiedAs":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise RuleViolation(
                    "classifiedAs must be a list of URIs", field="body.data.classifiedAs",
                    rule="type",
                )  # fmt: skip
            changes["classified_as"] = tuple(value)
        elif value is not None and not (isinstance(value, str) and value.strip()):
            raise RuleViolation(f"{key} must be text", field=f"body.data.{key}", rule="type")
        else:
            changes[RESOURCE_FIELDS[key]] = value
    new = replace(resource, **changes)  # type: ignore[arg-type]
    return Changes(resources={new.id: new})


register_kind(
    "vf.resourceUpdate",
    update_resource,
    "the accountable agent changes a resource's name, note, image, tracking id or classification",
)
register_kind(
    "vf.relation",
    record_relation,
    "link a flow to the commitment, intent or claim it fulfils, satisfies or settles",
)
