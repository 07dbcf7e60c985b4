"""Resolvers of the territory's reports: thin calls into ``reflow.report``.

Each report is one set-based computation over the report projection; the rows' named fields
are lifted out and the rest of the figures passed on as JSON.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from reflow.api.context import ctx_of
from reflow.api.read_resolvers import ref
from reflow.report.circularity import circularity
from reflow.report.flows import flow_accounts
from reflow.report.participation import participation
from reflow.report.scope import Scope

Info = GraphQLResolveInfo


def _scope(args: dict[str, Any]) -> Scope:
    return Scope.make(
        args.get("district"), args.get("material"), args.get("from"), args.get("to"),
        args.get("period") or "all",
    )  # fmt: skip


def resolve_flows(_: Any, info: Info, **args: Any) -> list[dict[str, Any]]:
    rows = flow_accounts(ctx_of(info).node.store.engine, _scope(args))
    named = ("district", "material", "period")
    return [
        {**{k: r[k] for k in named}, "figures": {k: v for k, v in r.items() if k not in named}}
        for r in rows
    ]


def resolve_circularity(_: Any, info: Info, spec: str | None = None, **args: Any) -> Any:
    ctx = ctx_of(info)
    rows = circularity(ctx.node.store.engine, _scope(args))
    if spec is not None:
        rows = [r for r in rows if r["spec"] == spec]
    ctx.loaders.objects.want(r["spec"] for r in rows)
    named = ("spec", "name", "district")
    return [
        {**{k: r[k] for k in named}, "mci": r.get("MCI"),
         "figures": {k: v for k, v in r.items() if k not in named}}
        for r in rows
    ]  # fmt: skip


def resolve_participation(_: Any, info: Info, **args: Any) -> list[dict[str, Any]]:
    rows = participation(ctx_of(info).node.store.engine, _scope(args))
    return [
        {"district": r["district"], "period": r["period"], "activeAgents": r["active_agents"],
         "newAgents": r["new_agents"], "agentsPerRole": r["agents_per_role"], "value": r["value"]}
        for r in rows
    ]  # fmt: skip


def bind(types: dict[str, ObjectType], query: QueryType, mutation: MutationType) -> list[Any]:
    query.set_field("materialFlows", resolve_flows)
    query.set_field("circularity", resolve_circularity)
    query.set_field("participation", resolve_participation)
    row = ObjectType("CircularityRow")
    row.set_field("spec", ref("spec", "object"))
    return [row]
