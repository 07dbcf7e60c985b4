"""Resolvers of value accounting: thin calls into ``reflow.value.service``.

Agents, events, resources and claims in the answers are ids the loaders fetch in batches.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from reflow.api.context import RequestContext, ctx_of
from reflow.api.read_resolvers import ref, refs, unit_field
from reflow.value import service

Info = GraphQLResolveInfo


def equation_node(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["id"], "name": d.get("name"), "author": d["author"], "scope": d.get("scope"),
        "currency": d.get("currency"),
        "definition": {k: v for k, v in d.items() if k not in ("id", "author")},
    }  # fmt: skip


def resolve_equations(_: Any, info: Info) -> list[dict[str, Any]]:
    ctx = ctx_of(info)
    found = [equation_node(d) for d in service.list_equations(ctx.node.store)]
    ctx.loaders.objects.want(e["author"] for e in found)
    return found


def settlement_node(c: service.ClaimStatus) -> dict[str, Any]:
    d = c.as_dict()
    return {**d, "claim": d["id"]}


def _settlements(ctx: RequestContext, **filters: Any) -> list[dict[str, Any]]:
    found = [settlement_node(c) for c in service.claims(ctx.node.store, **filters)]
    ctx.loaders.objects.want(x for c in found for x in (c["id"], c["provider"], c["receiver"]))
    ctx.loaders.events.want(x for c in found for x in (c["triggeredBy"], *c["settledBy"]))
    return found


def resolve_settlements(
    _: Any, info: Info, agent: str | None = None, income: str | None = None
) -> list[dict[str, Any]]:
    return _settlements(ctx_of(info), agent=agent, income=income)


def share_node(share: dict[str, Any]) -> dict[str, Any]:
    why = [
        f"{x['bucket']}: {x['amount']} by {x['rule']} (weight {x['weight']} of {x['bucketWeight']})"
        for x in share["lines"]
    ]
    return {**share, "explanation": why}


def resolve_distribute(
    _: Any, info: Info, event: str, equation: str, product: str | None = None,
    dryRun: bool = False,
) -> dict[str, Any]:  # fmt: skip
    ctx = ctx_of(info)
    key = None if dryRun else ctx.signer_key()
    try:
        plan, _created = service.distribute(
            ctx.node, key, event, equation, product=product, dry_run=dryRun
        )
    finally:
        ctx.loaders.reset()
    out = plan.as_dict()
    shares = [share_node(s) for s in out["shares"]]
    ctx.loaders.objects.want([out["receiver"], *(s["agent"] for s in shares)])
    return {
        "equation": out["equation"], "income": out["income"], "product": out["product"],
        "receiver": out["receiver"], "unit": out["unit"], "total": out["total"],
        "shares": shares, "dryRun": dryRun,
        "claims": [] if dryRun else _settlements(ctx, income=event),
    }  # fmt: skip


def bind(types: dict[str, ObjectType], query: QueryType, mutation: MutationType) -> list[Any]:
    query.set_field("valueEquations", resolve_equations)
    query.set_field("claimSettlements", resolve_settlements)
    mutation.set_field("distributeIncome", resolve_distribute)
    equation, share = ObjectType("ValueEquation"), ObjectType("DistributionShare")
    settlement, response = ObjectType("ClaimSettlement"), ObjectType("DistributionResponse")
    equation.set_field("author", ref("author", "object"))
    share.set_field("agent", ref("agent", "object"))
    for field in ("claim", "provider", "receiver"):
        settlement.set_field(field, ref(field, "object"))
    settlement.set_field("triggeredBy", ref("triggeredBy", "event"))
    settlement.set_field("settledBy", refs("settledBy", "event"))
    settlement.set_field("unit", unit_field("unit"))
    response.set_field("income", ref("income", "event"))
    response.set_field("product", ref("product", "resource"))
    response.set_field("receiver", ref("receiver", "object"))
    response.set_field("unit", unit_field("unit"))
    return [equation, share, settlement, response]
