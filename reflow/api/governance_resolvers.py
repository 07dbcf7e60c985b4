"""Resolvers of governance: thin calls into ``reflow.govern.network``.

The services answer with agent ids; the agents themselves are loaded through the request's
loaders, all of one answer in one query.
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from reflow.api.context import ctx_of
from reflow.api.read_resolvers import ref, refs
from reflow.govern import network as gov

Info = GraphQLResolveInfo


def resolve_network(_: Any, info: Info) -> dict[str, Any] | None:
    ctx = ctx_of(info)
    found = gov.network_info(ctx.node.store)
    if found is not None:
        ctx.loaders.objects.want([found["founder"], *found.get("stewards", [])])
        found = {"stewards": [], **found}
    return found


def resolve_members(_: Any, info: Info, includeInactive: bool = False) -> list[dict[str, Any]]:
    ctx = ctx_of(info)
    found = gov.members(ctx.node.store, include_inactive=includeInactive)
    ctx.loaders.objects.want(m["agent"] for m in found)
    return found


def resolve_invitations(_: Any, info: Info) -> list[dict[str, Any]]:
    ctx = ctx_of(info)
    found = gov.invitations(ctx.node.store)
    ctx.loaders.objects.want(i["inviter"] for i in found)
    return found


def resolve_relationships(_: Any, info: Info) -> list[dict[str, Any]]:
    ctx = ctx_of(info)
    found = gov.agent_relationships(ctx.node.store)
    ctx.loaders.objects.want(a for r in found for a in (r["subject"], r["object"]))
    return found


def resolve_my_membership(_: Any, info: Info) -> dict[str, Any] | None:
    ctx = ctx_of(info)
    if ctx.signer is None:
        return None
    return gov.my_agent(ctx.node.store, ctx.signer)


def bind(types: dict[str, ObjectType], query: QueryType, mutation: MutationType) -> list[Any]:
    query.set_field("network", resolve_network)
    query.set_field("members", resolve_members)
    query.set_field("invitations", resolve_invitations)
    query.set_field("agentRelationships", resolve_relationships)
    query.set_field("myMembership", resolve_my_membership)
    network, membership = ObjectType("Network"), ObjectType("Membership")
    invitation, relationship = ObjectType("Invitation"), ObjectType("AgentRelationship")
    network.set_field("founder", ref("founder", "object"))
    network.set_field("stewards", refs("stewards", "object"))
    membership.set_field("agent", ref("agent", "object"))
    membership.set_field("actsFor", refs("actsFor", "object"))
    invitation.set_field("inviter", ref("inviter", "object"))
    relationship.set_field("subject", ref("subject", "object"))
    relationship.set_field("object", ref("object", "object"))
    return [network, membership, invitation, relationship]
