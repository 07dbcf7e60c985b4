"""Query resolvers and the fields that follow references: thin calls into the projections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ariadne import ObjectType, QueryType
from graphql import GraphQLResolveInfo
from sqlalchemy import CompoundSelect, Select, or_, select, union_all

from reflow.api.context import ctx_of
from reflow.api.loaders import LIST_REFS, REFS, Loaders, register_page_lookup
from reflow.api.nodes import (
    action_node,
    all_actions,
    all_units,
    event_node,
    object_node,
    resource_node,
    unit_node,
)
from reflow.api.paging import list_page, sql_page, sql_pages
from reflow.api.queries import event_where, object_where, resource_where
from reflow.errors import ReflowError
from reflow.store.schema import events, resources, vf_objects
from reflow.vf.actions import get_action
from reflow.vf.types import AGENT_TYPES

Info = GraphQLResolveInfo
Resolver = Callable[..., Any]

query = QueryType()

# GraphQL object types served from vf_objects, with the VF types each may hold.
OBJECT_TYPES: dict[str, list[str]] = {
    "SpatialThing": ["SpatialThing"],
    "ResourceSpecification": ["ResourceSpecification"],
    "ProcessSpecification": ["ProcessSpecification"],
    "Process": ["Process"],
    "BatchLotRecord": ["BatchLotRecord"],
    "Agent": sorted(AGENT_TYPES),
    "Person": ["Person"],
    "Organization": ["Organization"],
}


def get_object(types: list[str]) -> Resolver:
    def resolve(_: Any, info: Info, id: str) -> dict[str, Any] | None:
        node = ctx_of(info).loaders.objects.get(id)
        if node is None or node["__typename"] not in types or node["_deleted"]:
            return None
        return node

    return resolve


def list_objects(types: list[str]) -> Resolver:
    def resolve(_: Any, info: Info, **args: Any) -> dict[str, Any]:
        loaders = ctx_of(info).loaders
        conn = loaders.conn()
        where = object_where(conn, types, args.get("filter"))
        page = sql_page(conn, vf_objects, where, object_node, args)
        loaders.prime(e["node"] for e in page["edges"])
        return page

    return resolve


# (single query, list query, GraphQL type)
OBJECT_QUERIES = [
    ("spatialThing", "spatialThings", "SpatialThing"),
    ("resourceSpecification", "resourceSpecifications", "ResourceSpecification"),
    ("processSpecification", "processSpecifications", "ProcessSpecification"),
    ("process", "processes", "Process"),
    ("batchLotRecord", None, "BatchLotRecord"),
    ("agent", "agents", "Agent"),
    ("person", "people", "Person"),
    ("organization", "organizations", "Organization"),
]


def register_object_queries(
    queries: list[tuple[str, str | None, str]], types: dict[str, list[str]]
) -> None:
    for one, many, gql_type in queries:
        query.set_field(one, get_object(types[gql_type]))
        if many:
            query.set_field(many, list_objects(types[gql_type]))


register_object_queries(OBJECT_QUERIES, OBJECT_TYPES)


@query.field("instanceVariables")
def resolve_instance(_: Any, info: Info) -> dict[str, str]:
    nodeinfo = ctx_of(info).node.info
    return {
        "network": nodeinfo.network,
        "networkName": nodeinfo.network_name,
        "nodeKey": nodeinfo.node_key,
    }


@query.field("chainHead")
def resolve_chain_head(_: Any, info: Info, author: str) -> dict[str, Any] | None:
    """Lets agents that sign their own records continue a chain the node also writes to
    (records written under their delegation)."""
    head = ctx_of(info).node.store.head(author)
    return {"seq": head[0], "hash": head[1]} if head else None


@query.field("myAgent")
def resolve_my_agent(_: Any, info: Info) -> dict[str, Any] | None:
    ctx = ctx_of(info)
    return ctx.loaders.objects.get(ctx.signer) if ctx.signer else None


@query.field("economicResource")
def resolve_resource(_: Any, info: Info, id: str) -> dict[str, Any] | None:
    loaders = ctx_of(info).loaders
    node = loaders.resources.get(id)
    return node


@query.field("economicResources")
def resolve_resources(_: Any, info: Info, **args: Any) -> dict[str, Any]:
    loaders = ctx_of(info).loaders
    conn = loaders.conn()
    page = sql_page(conn, resources, resource_where(conn, args.get("filter")), resource_node, args)
    loaders.prime(e["node"] for e in page["edges"])
    return page


@query.field("economicEvent")
def resolve_event(_: Any, info: Info, id: str) -> dict[str, Any] | None:
    return ctx_of(info).loaders.events.get(id)


@query.field("economicEvents")
def resolve_events(_: Any, info: Info, **args: Any) -> dict[str, Any]:
    loaders = ctx_of(info).loaders
    page = sql_page(loaders.conn(), events, event_where(args.get("filter")), event_node, args)
    loaders.prime(e["node"] for e in page["edges"])
    return page


@query.field("unit")
def resolve_unit(_: Any, info: Info, id: str) -> dict[str, Any] | None:
    node = unit_node(id)
    return node if node and node["classifiedAs"] else None


@query.field("units")
def resolve_units(_: Any, info: Info, **args: Any) -> dict[str, Any]:
    return list_page(all_units(), args)


@query.field("action")
def resolve_action(_: Any, info: Info, id: str) -> dict[str, Any] | None:
    try:
        return action_node(get_action(id))
    except ReflowError:
        return None


@query.field("actions")
def resolve_actions(_: Any, info: Info) -> list[dict[str, Any]]:
    return all_actions()


# -- fields that follow references ------------------------------------------------------------


def ref(field: str, loader: str) -> Resolver:
    def resolve(obj: dict[str, Any], info: Info) -> dict[str, Any] | None:
        return ctx_of(info).loaders.by_kind[loader].get(obj.get(field))

    return resolve


def refs(field: str, loader: str) -> Resolver:
    def resolve(obj: dict[str, Any], info: Info) -> list[dict[str, Any]]:
        value = obj.get(field)
        if not isinstance(value, list):
            return []
        return ctx_of(info).loaders.by_kind[loader].get_many(value)

    return resolve


def unit_field(field: str) -> Resolver:
    def resolve(obj: dict[str, Any], info: Info) -> dict[str, Any] | None:
        return unit_node(obj.get(field))

    return resolve


def bind_reference_fields(types: dict[str, ObjectType]) -> None:
    for typename, fields in REFS.items():
        for field, loader in fields.items():
            types[typename].set_field(field, ref(field, loader))
    for typename, fields in LIST_REFS.items():
        for field, loader in fields.items():
            types[typename].set_field(field, refs(field, loader))


def process_inputs(obj: dict[str, Any], info: Info, action: str | None = None) -> Any:
    found = ctx_of(info).loaders.lookup("inputs", obj["id"])
    return [e for e in found if action is None or e["action"] == action]


def process_outputs(obj: dict[str, Any], info: Info, action: str | None = None) -> Any:
    found = ctx_of(info).loaders.lookup("outputs", obj["id"])
    return [e for e in found if action is None or e["action"] == action]


def event_action(obj: dict[str, Any], info: Info) -> dict[str, Any]:
    return action_node(get_action(obj["action"]))


def resource_contains(obj: dict[str, Any], info: Info) -> list[dict[str, Any]]:
    return ctx_of(info).loaders.lookup("contains", obj["id"])


def _resources_of(chunk: list[str]) -> Select[Any]:
    return select(resources, resources.c.primary_accountable.label("parent")).where(
        resources.c.primary_accountable.in_(chunk)
    )


def _events_of(chunk: list[str]) -> CompoundSelect:
    """An agent's events: those it provides, and those it receives from another agent."""
    c = events.c
    provided = select(events, c.provider.label("parent")).where(c.provider.in_(chunk))
    received = select(events, c.receiver.label("parent")).where(
        c.receiver.in_(chunk), or_(c.provider.is_(None), c.provider != c.receiver)
    )
    return union_all(provided, received)


def fetch_agent_resources(
    loaders: Loaders, agents: list[str], args: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    return sql_pages(loaders.conn(), _resources_of, agents, resource_node, args)


def fetch_agent_events(
    loaders: Loaders, agents: list[str], args: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    return sql_pages(loaders.conn(), _events_of, agents, event_node, args)


register_page_lookup("agentResources", sorted(AGENT_TYPES), fetch_agent_resources)
register_page_lookup("agentEvents", sorted(AGENT_TYPES), fetch_agent_events)


def agent_resources(obj: dict[str, Any], info: Info, **args: Any) -> dict[str, Any]:
    return ctx_of(info).loaders.page("agentResources", obj["id"], args)


def agent_events(obj: dict[str, Any], info: Info, **args: Any) -> dict[str, Any]:
    return ctx_of(info).loaders.page("agentEvents", obj["id"], args)


def type_bindings() -> dict[str, ObjectType]:
    names = {"Measure", "ResourceSpecification", *REFS, *LIST_REFS}
    types = {n: ObjectType(n) for n in sorted(names)}
    bind_reference_fields(types)
    types["Measure"].set_field("hasUnit", unit_field("hasUnit"))
    spec = types["ResourceSpecification"]
    spec.set_field("defaultUnitOfResource", unit_field("defaultUnitOfResource"))
    spec.set_field("defaultUnitOfEffort", unit_field("defaultUnitOfEffort"))
    types["EconomicEvent"].set_field("action", event_action)
    process = types["Process"]
    process.set_field("inputs", process_inputs)
    process.set_field("outputs", process_outputs)
    process.set_field("previous", lambda obj, info: process_inputs(obj, info))
    types["EconomicResource"].set_field("contains", resource_contains)
    for agent_type in sorted(AGENT_TYPES):
        types[agent_type].set_field("inventoriedEconomicResources", agent_resources)
        types[agent_type].set_field("economicEvents", agent_events)
    return types
