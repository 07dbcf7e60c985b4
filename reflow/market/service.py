"""The market's service API: what the CLI, the GraphQL API and the web pages call.

Writes go through ``node.submit`` (signed records, ``Ledger.append``); reads come from the
market's projections. Publishing also announces standing matches on the in-process stream.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.errors import NotFound
from reflow.ledger.keys import KeyPair
from reflow.market import kinds  # noqa: F401  (registers the record kinds)
from reflow.market.matching import matches, open_proposals
from reflow.market.stream import STREAM, MatchStream, announce
from reflow.market.tables import agreements, commitments, fulfilments
from reflow.node import Node
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure

__all__ = [
    "accept",
    "agreement_status",
    "intent",
    "matches",
    "open_proposals",
    "publish",
    "withdraw",
]


def intent(
    purpose: str,
    agent: str,
    quantity: dict[str, str],
    *,
    spec: str | None = None,
    classes: list[str] | None = None,
    minimum: dict[str, str] | None = None,
    skill: bool = False,
    role: str = "primary",
    action: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """Build an intent body: the publisher on the side its purpose and role imply."""
    gives = (purpose == "offer") == (role == "primary")
    body: dict[str, Any] = {
        "role": role,
        "action": action or ("work" if skill else "transfer"),
        ("provider" if gives else "receiver"): agent,
        ("effortQuantity" if skill else "resourceQuantity"): quantity,
    }
    if spec:
        body["resourceConformsTo"] = spec
    if classes:
        body["resourceClassifiedAs"] = classes
    if minimum:
        body["minimumQuantity"] = minimum
    body.update(more)
    return body


def publish(
    node: Node,
    key: KeyPair,
    proposal: dict[str, Any],
    intents: list[dict[str, Any]],
    *,
    radius_km: str | None = None,
    stream: MatchStream | None = STREAM,
) -> dict[str, Any]:
    body: dict[str, Any] = {"proposal": proposal, "intents": intents}
    if radius_km is not None:
        body["radiusKm"] = radius_km
    receipt = node.submit(key, "market.publish", body)
    pid = receipt.created["Proposal"]
    notified = announce(node.store, pid, stream) if stream is not None else []
    return {"proposal": pid, "created": receipt.created, "notified": len(notified)}


def withdraw(node: Node, key: KeyPair, proposal_id: str) -> dict[str, Any]:
    deps = _writers(node.store, [proposal_id])
    receipt = node.submit(key, "market.withdraw", {"proposal": proposal_id}, deps=deps)
    return {"proposal": proposal_id, "record": receipt.hash}


def accept(
    node: Node,
    key: KeyPair,
    proposal_id: str,
    quantity: Measure | dict[str, str],
    *,
    own: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    q = quantity.to_vf() if isinstance(quantity, Measure) else quantity
    body: dict[str, Any] = {"proposal": proposal_id, "quantity": q}
    if own:
        body["own"] = own
    if note:
        body["note"] = note
    deps = _writers(node.store, [proposal_id, *([own] if own else [])])
    receipt = node.submit(key, "market.accept", body, deps=deps)
    return {"agreement": receipt.created["Agreement"], "created": receipt.created}


def _writers(store: Any, proposal_ids: list[str]) -> list[str]:
    """The records that last wrote these proposals and their primary intents (the ``deps``).

    A node that receives the acceptance by replication applies it only after them, so it judges
    it against the same proposal and the same available quantity as the node that signed it.
    """
    out: set[str] = set()
    for pid in proposal_ids:
        prop = store.object(pid)
        if prop is None:
            continue  # the ledger refuses the record and names the field
        out.add(prop.record)
        for iid in prop.data.get("publishes", []):
            intent = store.object(iid)
            if intent is not None:
                out.add(intent.record)
    return sorted(out)


def agreement_status(store: Any, agreement_id: str) -> dict[str, Any]:
    """Each commitment with how much is fulfilled; complete when all of them are."""
    with store.engine.connect() as conn:
        head = conn.execute(select(agreements).where(agreements.c.id == agreement_id)).first()
        if head is None:
            raise NotFound(f"no agreement {agreement_id!r}", field="agreement")
        rows = conn.execute(
            select(commitments)
            .where(commitments.c.agreement == agreement_id)
            .order_by(commitments.c.reciprocal, commitments.c.id)
        ).all()
        done: dict[str, Decimal] = {}
        for f in conn.execute(
            select(fulfilments).where(fulfilments.c.commitment.in_([r.id for r in rows]))
        ):
            done[f.commitment] = done.get(f.commitment, Decimal(0)) + Decimal(f.quantity)
    out = []
    for r in rows:
        got = done.get(r.id, Decimal(0))
        out.append(
            {
                "id": r.id,
                "reciprocal": bool(r.reciprocal),
                "action": r.action,
                "provider": r.provider,
                "receiver": r.receiver,
                "quantity": r.quantity,
                "unit": r.unit,
                "fulfilled": dec_text(got),
                "satisfies": json.loads(r.satisfies),
                "complete": got >= Decimal(r.quantity),
            }
        )
    return {
        "agreement": agreement_id,
        "proposal": head.proposal,
        "acceptedBy": head.accepted_by,
        "commitments": out,
        "complete": all(c["complete"] for c in out),
    }
