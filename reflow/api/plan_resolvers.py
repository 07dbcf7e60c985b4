"""Resolvers of planning from demand, providers' answers and re-planning: thin calls into
``reflow.plan.service``.

``Plan.progress`` is one call of the service per plan asked for (a handful of set-based
queries); plans are asked for one at a time in practice.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from reflow.api.context import ctx_of
from reflow.api.write_resolvers import clean
from reflow.errors import NotFound
from reflow.plan import service

Info = GraphQLResolveInfo


def resolve_plan_from_demand(
    _: Any, info: Info, spec: str, quantity: dict[str, Any], due: str, **more: Any
) -> dict[str, Any]:
    ctx = ctx_of(info)
    more = clean(more)
    options: dict[str, Any] = {}
    if "radiusKm" in more:
        options["radius_km"] = float(more["radiusKm"])
    for key in ("name", "publish"):
        if key in more:
            options[key] = more[key]
    try:
        out = service.plan_from_demand(
            ctx.node, ctx.signer_key(), spec, clean(quantity), due,
            more.get("place"), more.get("receiver"), **options,
        )  # fmt: skip
    finally:
        ctx.loaders.reset()
    summary = {k: v for k, v in out.items() if k != "plan"}
    return {"plan": ctx.loaders.objects.get(out["plan"]), "summary": summary}


def resolve_accept(_: Any, info: Info, commitment: str, note: str | None = None) -> dict[str, Any]:
    ctx = ctx_of(info)
    try:
        return service.accept(ctx.node, ctx.signer_key(), commitment, note)
    finally:
        ctx.loaders.reset()


def resolve_refuse(
    _: Any, info: Info, commitment: str, reason: str | None = None
) -> dict[str, Any]:
    ctx = ctx_of(info)
    try:
        return service.refuse(ctx.node, ctx.signer_key(), commitment, reason)
    finally:
        ctx.loaders.reset()


def resolve_replan(_: Any, info: Info, plan: str, publish: bool | None = None) -> dict[str, Any]:
    ctx = ctx_of(info)
    try:
        out = service.replan(
            ctx.node, ctx.signer_key(), plan, publish=True if publish is None else publish
        )
    finally:
        ctx.loaders.reset()
    summary = {k: v for k, v in out.items() if k != "plan"}
    return {"plan": ctx.loaders.objects.get(out["plan"]), "summary": summary}


def resolve_progress(plan: dict[str, Any], info: Info) -> dict[str, Any] | None:
    try:
        return service.progress(ctx_of(info).node.store, plan["id"])
    except NotFound:
        return None  # a plan made with createPlan, not by the planner


def bind(types: dict[str, ObjectType], query: QueryType, mutation: MutationType) -> list[Any]:
    mutation.set_field("planFromDemand", resolve_plan_from_demand)
    mutation.set_field("acceptPlanCommitment", resolve_accept)
    mutation.set_field("refusePlanCommitment", resolve_refuse)
    mutation.set_field("replan", resolve_replan)
    types["Plan"].set_field("progress", resolve_progress)
    return []
