"""Governance services: found or join a network, sign approvals, and read who belongs to it.

The CLI and the API call these; they write only through records (``node.submit`` /
``ledger.append``) and read the ``govern_*`` projections.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reflow.errors import RuleViolation
from reflow.govern import state
from reflow.govern.genesis import network_id_of, packaged_attachment
from reflow.govern.zencontracts import approval_document, cosign_document
from reflow.identity.did import did_key
from reflow.identity.rotation import identity_keys, rotation_document
from reflow.ledger.keys import KeyPair
from reflow.ledger.records import Record, record_from_dict
from reflow.node import Node
from reflow.settings import Settings
from reflow.store.sqlstore import SqlStore


def genesis_body(
    name: str,
    *,
    founder: str,
    description: str = "",
    policy: str = "open",
    k: int = 1,
    stewards: list[str] | None = None,
    roles: dict[str, Any] | None = None,
    units: list[str] | None = None,
    classification_schemes: list[str] | None = None,
    contracts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A genesis body; its canonical hash is the network id."""
    body: dict[str, Any] = {
        "name": name,
        "description": description,
        "membership": {
            "policy": policy,
            "k": k,
            "stewards": sorted({founder, *(stewards or [])}),
        },
        "units": units or ["om2:kilogram", "om2:unit", "om2:hour"],
        "classificationSchemes": classification_schemes or [],
    }
    if roles is not None:
        body["roles"] = roles
    if contracts:
        body["contracts"] = contracts
    return body


def heavy_transfer_contract(limit_kg: str = "100") -> dict[str, Any]:
    """The example contract: a transfer of more than ``limit_kg`` kg needs a steward's cosign."""
    return packaged_attachment(
        "cosign",
        "vf.event",
        {
            "action": ["transfer", "transferAllRights", "transferCustody"],
            "quantityOver": {"hasNumericalValue": limit_kg, "hasUnit": "om2:kilogram"},
        },
        f"a transfer of more than {limit_kg} kg needs a second signature from a steward",
    )


def create_network(
    settings: Settings, *, founder_name: str = "founder", zencode: bool = False, **genesis: Any
) -> tuple[Node, Record]:
    """Create a node for a new network whose founder key lives in the node's keystore."""
    from reflow.identity.keystore import Keystore

    keystore = Keystore(settings.data_dir / "keys")
    founder = keystore.create(label=founder_name, zencode=zencode)
    body = genesis_body(founder=founder.public, **genesis)
    node = Node.init(settings, network_name=body["name"], network=network_id_of(body))
    node.submit(founder, "network.genesis", body)
    rec = node.store.get_record(node.store.hash_at(founder.public, 1) or "")
    if rec is None:  # pragma: no cover - submit raised otherwise
        raise RuleViolation("the genesis was not recorded", field="genesis")
    node.submit(founder, "agent.declare", {"type": "Person", "data": {"name": founder_name}})
    return node, rec


def read_genesis(path: Path | str) -> Record:
    """A signed genesis record from a JSON file (what ``reflow network create`` writes)."""
    rec = record_from_dict(json.loads(Path(path).read_text()))
    rec.verify_signature()
    if rec.kind != "network.genesis" or network_id_of(rec.body) != rec.network:
        raise RuleViolation(
            "not the genesis record of a network", field="genesis", rule="genesis-names-network"
        )
    return rec


def join_network(settings: Settings, rec: Record) -> Node:
    """A node for an existing network: its id from the genesis, the genesis as first record."""
    node = Node.init(settings, network_name=str(rec.body.get("name", "")), network=rec.network)
    if node.info.network != rec.network:
        node.close()
        raise RuleViolation(
            f"this node already belongs to network {node.info.network}", field="network"
        )
    node.ledger.append(rec)
    return node


# -- signing helpers (run where the keys are) -----------------------------------------------------


def sign_approval(
    steward: KeyPair, network: str, action: str, subject: str, role: str = ""
) -> dict[str, str]:
    """One steward's approval of ``action`` (member.approve / member.remove / network.contract)."""
    doc = approval_document(network, action, subject, role)
    return {"steward": steward.public, "signature": steward.sign(doc)}


def rotation_body(old: KeyPair | str, new: KeyPair, network: str, agent: str) -> dict[str, str]:
    old_key = old if isinstance(old, str) else old.public
    proof = new.sign(rotation_document(network, agent, old_key, new.public))
    return {"new_key": new.public, "sig_by_new": proof}


def cosign_body(
    steward: KeyPair, network: str, author: str, seq: int, kind: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A ``network.cosign`` body: the steward's signature of the record ``author`` will sign."""
    from reflow.govern.zencontracts import body_hash

    doc = cosign_document(network, author, seq, kind, body)
    return {
        "subject": {"author": author, "seq": seq, "kind": kind, "bodyHash": body_hash(body)},
        "cosigner": steward.public,
        "signature": steward.sign(doc),
    }


# -- reads -----------------------------------------------------------------------------------------


def network_info(store: SqlStore) -> dict[str, Any] | None:
    """The network's genesis settings (name, policy, k, stewards, roles, contracts) or None."""
    with store.engine.connect() as conn:
        row = conn.execute(select(state.networks)).first()
    if row is None:
        return None
    net = store.object(state.index_id(state.NETWORK, row.id))
    info: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "founder": row.founder,
        "policy": row.policy,
        "k": int(row.k),
        "genesis": json.loads(row.genesis),
        "record": row.record,
    }
    if net is not None:
        info["stewards"] = net.data["stewards"]
        info["roles"] = net.data["roles"]
        info["contracts"] = [
            {k: v for k, v in c.items() if k != "zencode"} for c in net.data["contracts"]
        ]
    return info


def members(store: SqlStore, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Members with role, status, how they joined, their agent name and DID."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(state.members).order_by(state.members.c.agent)).all()
    out = []
    for r in rows:
        if r.status != "active" and not include_inactive:
            continue
        agent = store.object(r.agent)
        out.append(
            {
                "agent": r.agent,
                "name": agent.data.get("name") if agent is not None else None,
                "type": agent.type if agent is not None else None,
                "did": did_key(r.agent),
                "role": r.role,
                "status": r.status,
                "via": r.via,
                "since": r.since,
            }
        )
    return out


def invitations(store: SqlStore) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(state.invitations).order_by(state.invitations.c.id)).all()
    return [dict(r._mapping) for r in rows]


def agent_relationships(store: SqlStore) -> list[dict[str, Any]]:
    """Active grants in VF 0.x's AgentRelationship form (subject acts for object)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(state.grants).where(state.grants.c.status == "active")
            .order_by(state.grants.c.agent, state.grants.c.organization)
        ).all()  # fmt: skip
    return [
        {
            "id": state.index_id("AgentRelationship", r.agent, r.organization),
            "subject": r.agent,
            "object": r.organization,
            "relationship": {
                "roleLabel": f"{r.role} of",
                "inverseRoleLabel": f"has {r.role}",
                "note": "may record events for the organisation",
            },
        }
        for r in rows
    ]


def keys_of(store: SqlStore, agent: str) -> list[dict[str, Any]]:
    """The keys bound to an agent by rotations, with their status."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(identity_keys)
            .where(identity_keys.c.agent == agent)
            .order_by(identity_keys.c.key)
        ).all()
    return [dict(r._mapping) for r in rows]


def agent_of_key(store: SqlStore, key: str) -> str:
    """The agent a key signs for (itself unless a rotation bound it to another)."""
    from reflow.identity.rotation import KEY_STATUS, key_index_id

    obj = store.object(key_index_id(key))
    return str(obj.data["agent"]) if obj is not None and obj.type == KEY_STATUS else key


def my_agent(store: SqlStore, key: str) -> dict[str, Any]:
    """What the API's ``myAgent`` shows for a signing key: agent, role, status, acts for."""
    agent = agent_of_key(store, key)
    obj = store.object(agent)
    m = store.object(state.index_id(state.MEMBERSHIP, agent))
    grants = store.object(state.index_id(state.ACTS_FOR, agent))
    return {
        "agent": agent,
        "key": key,
        "name": obj.data.get("name") if obj is not None else None,
        "type": obj.type if obj is not None else None,
        "did": did_key(agent),
        "role": m.data["role"] if m is not None else None,
        "status": m.data["status"] if m is not None else None,
        "actsFor": sorted(
            org
            for org, g in (grants.data["grants"].items() if grants is not None else ())
            if g["status"] == "active"
        ),
    }


def invitation_deps(node: Node, invitation_id: str | None) -> list[str]:
    """The invitation's record, for a ``member.join``'s deps (other nodes apply it first)."""
    if not invitation_id:
        return []
    with node.store.engine.connect() as conn:
        row = conn.execute(
            select(state.invitations.c.record).where(state.invitations.c.id == invitation_id)
        ).first()
    return [row.record] if row is not None else []
