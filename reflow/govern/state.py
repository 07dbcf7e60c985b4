"""Governance state: the projection tables people query and the index objects the ledger reads.

Every governance fact is kept twice, written by the same record handlers:

* rows of ``govern_*`` tables, for services, the API and the CLI (``members(store)``…);
* small index objects in ``vf_objects`` (types ``Network``, ``Membership``, ``ActsFor``,
  ``Invitation``, ``Cosign`` — not VF types), named by ids derived from their subject. The ledger
  reads these through ``BatchView.object``, which overlays the records earlier in the same batch
  and hits the store's object cache, so the policy that runs on every record costs a dictionary
  lookup on networks without governance and a few on networks with it, and rebuild recomputes
  them like any projection.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, String, Table, Text

from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import BatchView, Context
from reflow.store.schema import PROJECTION_TABLES, metadata
from reflow.store.sqlstore import SERVICE_TABLES

NETWORK, MEMBERSHIP, ACTS_FOR, INVITATION, COSIGN = (
    "Network",
    "Membership",
    "ActsFor",
    "Invitation",
    "Cosign",
)
ROLES = ("steward", "member", "observer")
POLICIES = ("open", "invitation", "approval")

networks = Table(
    "govern_networks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("founder", String(64), nullable=False),
    Column("policy", String(16), nullable=False),
    Column("k", String(8), nullable=False),
    Column("record", String(64), nullable=False),
    Column("genesis", Text, nullable=False),  # the genesis body, canonical JSON
)
members = Table(
    "govern_members",
    metadata,
    Column("agent", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # active | left | removed
    Column("via", String(16), nullable=False),  # genesis | open | invitation | approval
    Column("record", String(64), nullable=False),
    Column("since", String(40), nullable=False),
)
invitations = Table(
    "govern_invitations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("inviter", String(64), nullable=False, index=True),
    Column("invitee", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # open | used
    Column("record", String(64), nullable=False),
)
grants = Table(
    "govern_grants",
    metadata,
    Column("agent", String(64), primary_key=True),  # the person
    Column("organization", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # active | revoked
    Column("granted_by", String(64), nullable=False),
    Column("record", String(64), nullable=False),
)
contracts = Table(
    "govern_contracts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("condition", Text, nullable=False),  # canonical JSON
    Column("message", Text, nullable=False),
    Column("zencode", Text, nullable=False),
    Column("record", String(64), nullable=False),
)
for _t in (networks, members, invitations, grants, contracts):
    if _t.name not in SERVICE_TABLES:
        SERVICE_TABLES[_t.name] = _t
        PROJECTION_TABLES.append(_t)


@lru_cache(maxsize=65536)
def index_id(kind: str, *parts: str) -> str:
    """Id of an index object, derived from what it is about (every node derives the same)."""
    return hashlib.sha256(("reflow:" + kind + "/" + "/".join(parts)).encode()).hexdigest()[:32]


def _get(view: BatchView, type_name: str, oid: str) -> VfObject | None:
    obj = view.object(oid)
    return obj if obj is not None and obj.type == type_name else None


def genesis_of(view: BatchView, network: str) -> VfObject | None:
    """The network's ``Network`` object (its genesis and attached contracts), or None."""
    return _get(view, NETWORK, index_id(NETWORK, network))


def membership(view: BatchView, agent: str) -> VfObject | None:
    return _get(view, MEMBERSHIP, index_id(MEMBERSHIP, agent))


def acts_for(view: BatchView, person: str) -> dict[str, dict[str, str]]:
    """{organisation: {role, status}} the person was granted."""
    obj = _get(view, ACTS_FOR, index_id(ACTS_FOR, person))
    return dict(obj.data.get("grants", {})) if obj is not None else {}


def invitation(view: BatchView, invitation_id: str) -> VfObject | None:
    return _get(view, INVITATION, invitation_id)


def cosign(view: BatchView, author: str, seq: int) -> VfObject | None:
    return _get(view, COSIGN, index_id(COSIGN, author, str(seq)))


def stewards(view: BatchView, network: str) -> list[str]:
    net = genesis_of(view, network)
    return list(net.data.get("stewards", [])) if net is not None else []


def index_object(
    ctx: Context, type_name: str, oid: str, data: dict[str, Any], deleted: bool = False
) -> VfObject:
    old = ctx.view.object(oid)
    created = old.created if old is not None else ctx.record.created
    return VfObject(type_name, oid, data, ctx.author, ctx.record.hash, created, deleted)


def put_member(
    ctx: Context, changes: Changes, agent: str, role: str, status: str, via: str
) -> None:
    """Record an agent's membership (index object and row) in ``changes``."""
    oid = index_id(MEMBERSHIP, agent)
    data = {"agent": agent, "role": role, "status": status, "via": via}
    changes.objects[oid] = index_object(ctx, MEMBERSHIP, oid, data)
    changes.rows.append(
        ("govern_members", {**data, "record": ctx.record.hash, "since": ctx.record.created})
    )


def put_stewards(ctx: Context, changes: Changes, network: str, new_stewards: list[str]) -> None:
    """Update the steward list kept on the ``Network`` object."""
    net = genesis_of(ctx.view, network)
    if net is None:
        return
    pending = changes.objects.get(net.id, net)
    data = {**pending.data, "stewards": sorted(set(new_stewards))}
    changes.objects[net.id] = index_object(ctx, NETWORK, net.id, data)


def dumps(value: Any) -> str:
    return canonical_bytes(value).decode("utf-8")
