"""Resolvers of the marketplace: thin calls into ``reflow.market``.

The market's service functions sign with the signer's node-held key through ``node.submit``;
after each, the request's loaders are reset so the answer shows the write. Proposals, intents,
agents and places in answers are loaded through the loaders, in one query per kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from reflow.api.context import RequestContext, ctx_of
from reflow.api.loaders import BATCH, Loaders, register_lookup
from reflow.api.paging import list_page
from reflow.api.read_resolvers import ref, unit_field
from reflow.api.write_resolvers import clean
from reflow.market import service
from reflow.market.matching import open_proposals_of
from reflow.market.search import find
from reflow.vf.types import AGENT_TYPES

Info = GraphQLResolveInfo
Resolver = Callable[..., Any]

# Fields of the answers that hold ids of VF objects (loaded through the request's loaders).
_MATCH_REFS = ["proposal", "intent", "agent"]
_LISTING_REFS = ["proposal", "intent", "agent", "resourceConformsTo", "location"]


def match_node(m: Any) -> dict[str, Any]:
    d = m.as_dict()
    return {
        **d,
        "explanation": [f"{k}: {v}" for k, v in d["reasons"].items()],
    }


def listing_node(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["intent"], "proposal": d["proposal"], "intent": d["intent"], "agent": d["agent"],
        "purpose": d["purpose"], "action": d["action"], "resourceConformsTo": d["spec"],
        "resourceClassifiedAs": d["classes"], "available": d["available"], "unit": d["unit"],
        "location": d["location"], "lat": d["lat"], "long": d["long"], "hasEnd": d["ends"],
        "distanceKm": d["distanceKm"],
    }  # fmt: skip


def _want(ctx: RequestContext, nodes: list[dict[str, Any]], fields: list[str]) -> None:
    ctx.loaders.objects.want(n.get(f) for n in nodes for f in fields)


def resolve_matches(_: Any, info: Info, proposal: str, limit: int | None = None) -> Any:
    ctx = ctx_of(info)
    found = [match_node(m) for m in service.matches(ctx.node.store, proposal, limit=limit or 20)]
    _want(ctx, found, _MATCH_REFS)
    return found


def listings(purpose: str) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        ctx = ctx_of(info)
        near = args.get("near")
        found = find(
            ctx.node.store, purpose, spec=args.get("spec"), classified=args.get("classification"),
            near=(near["lat"], near["long"], near["km"]) if near else None, limit=1000,
        )  # fmt: skip
        nodes = [listing_node(d) for d in found]
        page = list_page(nodes, args)
        _want(ctx, [e["node"] for e in page["edges"]], _LISTING_REFS)
        return page

    return resolve


def fetch_proposals(loaders: Loaders, agents: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The open proposals of a batch of agents: one query for the market's rows, one for the
    proposals' objects."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(agents), BATCH):
        rows.update(open_proposals_of(loaders.engine, agents[start : start + BATCH]))
    loaders.objects.want(r["id"] for found in rows.values() for r in found)
    return {a: loaders.objects.get_many(r["id"] for r in found) for a, found in rows.items()}


register_lookup("proposals", sorted(AGENT_TYPES), fetch_proposals)


def agent_proposals(obj: dict[str, Any], info: Info) -> list[dict[str, Any]]:
    return ctx_of(info).loaders.lookup("proposals", obj["id"])


def publisher(purpose: str) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        ctx = ctx_of(info)
        proposal = {**clean(args["proposal"]), "purpose": purpose}
        intents = [{**clean(i), "role": "primary"} for i in args["intents"]]
        intents += [{**clean(i), "role": "reciprocal"} for i in args.get("reciprocal") or []]
        try:
            out = service.publish(
                ctx.node, ctx.signer_key(), proposal, intents, radius_km=args.get("radiusKm")
            )
        finally:
            ctx.loaders.reset()
        return {"proposal": ctx.loaders.objects.get(out["proposal"]), "notified": out["notified"]}

    return resolve


def acceptance_out(ctx: RequestContext, out: dict[str, Any]) -> dict[str, Any]:
    ctx.loaders.reset()
    return {**out, "agreement": ctx.loaders.objects.get(out.get("agreement"))}


def resolve_accept(_: Any, info: Info, proposal: str, quantity: dict[str, Any], **more: Any) -> Any:
    ctx = ctx_of(info)
    try:
        out = service.accept(ctx.node, ctx.signer_key(), proposal, clean(quantity), **clean(more))
    finally:
        ctx.loaders.reset()
    return acceptance_out(ctx, out)


def resolve_confirm(_: Any, info: Info, acceptance: str) -> Any:
    ctx = ctx_of(info)
    try:
        out = service.confirm(ctx.node, ctx.signer_key(), acceptance)
    finally:
        ctx.loaders.reset()
    return acceptance_out(ctx, out)


def resolve_decline(_: Any, info: Info, acceptance: str, reason: str | None = None) -> Any:
    ctx = ctx_of(info)
    try:
        out = service.decline(ctx.node, ctx.signer_key(), acceptance, reason)
    finally:
        ctx.loaders.reset()
    return acceptance_out(ctx, out)


def resolve_withdraw(_: Any, info: Info, proposal: str) -> Any:
    ctx = ctx_of(info)
    try:
        service.withdraw(ctx.node, ctx.signer_key(), proposal)
    finally:
        ctx.loaders.reset()
    return {"proposal": ctx.loaders.objects.get(proposal)}


def bind(types: dict[str, ObjectType], query: QueryType, mutation: MutationType) -> list[Any]:
    query.set_field("matches", resolve_matches)
    query.set_field("offers", listings("offer"))
    query.set_field("requests", listings("request"))
    for agent_type in sorted(AGENT_TYPES):
        types[agent_type].set_field("proposals", agent_proposals)
    mutation.set_field("publishOffer", publisher("offer"))
    mutation.set_field("publishRequest", publisher("request"))
    mutation.set_field("acceptProposal", resolve_accept)
    mutation.set_field("confirmAcceptance", resolve_confirm)
    mutation.set_field("declineAcceptance", resolve_decline)
    mutation.set_field("withdrawProposal", resolve_withdraw)
    match, listing = ObjectType("MarketMatch"), ObjectType("MarketListing")
    for field in _MATCH_REFS:
        match.set_field(field, ref(field, "object"))
    for field in _LISTING_REFS:
        listing.set_field(field, ref(field, "object"))
    match.set_field("unit", unit_field("unit"))
    listing.set_field("unit", unit_field("unit"))
    return [match, listing]
