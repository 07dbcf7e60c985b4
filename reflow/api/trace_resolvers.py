"""Resolvers of track and trace: thin calls into ``reflow.trace``.

The walk returns (kind, id) pairs in order; the items themselves are fetched through the
request's loaders, one query per kind for the whole list, never one per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from reflow.api.context import ctx_of
from reflow.trace.graph import Node
from reflow.trace.passport import export_passport
from reflow.trace.service import step, trace_item, track_item

Info = GraphQLResolveInfo
Resolver = Callable[..., Any]

_LOADER = {"EconomicResource": "resources", "EconomicEvent": "events"}


def flow_items(info: Info, nodes: Iterable[Node]) -> list[dict[str, Any]]:
    """The flow items as API nodes, in the walk's order (batched per kind)."""
    loaders = ctx_of(info).loaders
    nodes = list(nodes)
    for n in nodes:
        getattr(loaders, _LOADER.get(n.kind, "objects")).want([n.id])
    out = []
    for n in nodes:
        item = getattr(loaders, _LOADER.get(n.kind, "objects")).get(n.id)
        if item is not None and item["__typename"] == n.kind:
            out.append(item)
    return out


def walk(forward: bool) -> Resolver:
    def resolve(obj: dict[str, Any], info: Info, depth: int | None = None) -> Any:
        store = ctx_of(info).node.store
        result = (track_item if forward else trace_item)(store, obj["id"], depth)
        return flow_items(info, result.nodes)

    return resolve


def next_items(obj: dict[str, Any], info: Info) -> Any:
    return flow_items(info, step(ctx_of(info).node.store, obj["id"], forward=True))


def bind(types: dict[str, ObjectType], query: QueryType, mutation: MutationType) -> list[Any]:
    for name in ("EconomicResource", "EconomicEvent", "Process"):
        types[name].set_field("trace", walk(forward=False))
        types[name].set_field("track", walk(forward=True))
        types[name].set_field("next", next_items)

    @query.field("passport")
    def resolve_passport(_: Any, info: Info, resource: str) -> dict[str, Any]:
        return export_passport(ctx_of(info).node, resource)

    return []
