"""Writing for agents whose keys the node does not hold, under their delegation.

A Zenflows client signs its requests, not records. When such an agent has granted this node's
key a delegation (``reflow.ledger.delegation``), a mutation it signs is written in its own chain
with the node key, and the request's exact bytes and signature go into the record as proof. The
node signs only under a grant every node would accept now; otherwise the request is refused here,
with what the agent can do about it.
"""

from __future__ import annotations

from sqlalchemy import select

from reflow.errors import AuthorisationError, RuleViolation
from reflow.ledger.changes import VfObject
from reflow.ledger.delegation import GRANT_TYPE, DelegatedKey, refusal, refusal_error
from reflow.ledger.records import now
from reflow.node import Node
from reflow.store.codec import object_from_row
from reflow.store.schema import vf_objects


def grants_of(node: Node, agent: str) -> list[VfObject]:
    """The delegations ``agent`` granted to this node's key, newest first."""
    with node.store.engine.connect() as conn:
        rows = conn.execute(
            select(vf_objects).where(vf_objects.c.type == GRANT_TYPE, vf_objects.c.author == agent)
        ).all()
    found = [object_from_row(r) for r in rows]
    mine = [g for g in found if g.data.get("key") == node.info.node_key]
    return sorted(mine, key=lambda g: g.created, reverse=True)


def delegated_key(node: Node, agent: str, request: bytes, signature: str) -> DelegatedKey:
    """The node key writing for ``agent`` with this request as proof; refused if no live grant."""
    grants = grants_of(node, agent)
    at = now()
    live = [g for g in grants if refusal(g, agent, node.info.node_key, None, at) is None]
    if not live:
        if grants:
            reason = refusal(grants[0], agent, node.info.node_key, None, at) or ""
            msg = f"{reason}: grant this node's key a new delegation"
            raise refusal_error(msg, "zenflows-user")
        raise AuthorisationError(
            f"this node does not hold the key of {agent}, and it has not delegated to this "
            f"node's key {node.info.node_key}: sign a delegation.grant record naming that key "
            "and send it with submitRecord, or sign your records yourself and send them with "
            "submitRecord",
            field="zenflows-user",
            rule="node-held-key",
        )
    try:
        text = request.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleViolation(
            "a request written under a delegation must be UTF-8 (it is kept as proof)",
            field="body",
            rule="utf-8",
        ) from None
    key_pair = node.keystore.get(node.info.node_key)
    return DelegatedKey(
        key_pair.secret,
        agent=agent,
        key=node.info.node_key,
        grants=tuple((g.data["grant"], frozenset(g.data["kinds"])) for g in live),
        request=text,
        request_sig=signature,
    )
