"""The market's service API: what the CLI, the GraphQL API and the web pages call.

Writes go through ``node.submit`` (signed records, ``Ledger.append``); reads come from the
market's projections. Publishing also announces standing matches on the in-process stream,
and a publisher's answer to an acceptance (confirmed or declined) is announced to the acceptor.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.errors import NotFound
from reflow.ledger.keys import KeyPair
from reflow.market import kinds  # noqa: F401  (registers the record kinds)
from reflow.market.checks import not_withdrawn
from reflow.market.matching import matches, open_proposals
from reflow.market.model import norm_time
from reflow.market.stream import STREAM, MatchStream, announce, announce_acceptance
from reflow.market.tables import acceptances, agreements, commitments, fulfilments
from reflow.market.terms import accepted_terms, take
from reflow.node import Node
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure

__all__ = [
    "accept",
    "acceptance",
    "agreement_status",
    "confirm",
    "decline",
    "intent",
    "matches",
    "open_proposals",
    "pending_acceptances",
    "publish",
    "release",
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
    for waiting in pending_acceptances(node.store, None, proposal=proposal_id, lapsed=True):
        _release_if_held(node, waiting["id"])
    return {"proposal": proposal_id, "record": receipt.hash}


def accept(
    node: Node,
    key: KeyPair,
    proposal_id: str,
    quantity: Measure | dict[str, str],
    *,
    own: str | None = None,
    note: str | None = None,
    stream: MatchStream | None = STREAM,
) -> dict[str, Any]:
    """Offer to accept a proposal; confirm it at once when this node holds the publisher's key.

    Before signing, the offer is checked against what this node knows (the proposal still
    open, the quantity still available): an early refusal for the person at the keyboard, not
    a rule every node applies. The publisher's confirmation is what decides, on its own chain.
    """
    m = quantity if isinstance(quantity, Measure) else Measure.from_vf(quantity, "body.quantity")
    _precheck(node.store, proposal_id, m, own)
    body: dict[str, Any] = {"proposal": proposal_id, "quantity": m.to_vf()}
    if own:
        body["own"] = own
    if note:
        body["note"] = note
    deps = _writers(node.store, [proposal_id, *([own] if own else [])])
    receipt = node.submit(key, "market.accept", body, deps=deps)
    aid = receipt.created["Acceptance"]
    owner = acceptance(node.store, aid)["publisher"]
    if node.keystore.has(owner) and not node.keystore.is_sealed(owner):
        return confirm(node, node.key(owner), aid, stream=stream)
    if stream is not None:
        announce_acceptance(node.store, aid, stream)  # the publisher has something to answer
    return {"acceptance": aid, "status": "pending", "agreement": None, "created": receipt.created}


def _precheck(store: Any, proposal_id: str, quantity: Measure, own: str | None) -> None:
    theirs = store.object(proposal_id)
    if theirs is None or theirs.type != "Proposal":
        return  # the ledger refuses the record and names the field
    not_withdrawn(theirs, "body.proposal")
    now = norm_time(datetime.now(UTC).isoformat()) or ""
    t_intent, q, _o, _oq = accepted_terms(store.object, theirs, None, quantity, now)
    take(t_intent, q.value, "body.quantity", check_minimum=True)


def confirm(
    node: Node, key: KeyPair, acceptance_id: str, *, stream: MatchStream | None = STREAM
) -> dict[str, Any]:
    """The publisher agrees: the Agreement with its Commitments; the intent decreases."""
    row = acceptance(node.store, acceptance_id)
    deps = sorted({row["record"], *_writers(node.store, [row["proposal"]])})
    receipt = node.submit(key, "market.confirm", {"acceptance": acceptance_id}, deps=deps)
    if stream is not None:
        announce_acceptance(node.store, acceptance_id, stream)
    return {
        "acceptance": acceptance_id,
        "status": "confirmed",
        "agreement": receipt.created["Agreement"],
        "created": receipt.created,
    }


def decline(
    node: Node,
    key: KeyPair,
    acceptance_id: str,
    reason: str | None = None,
    *,
    stream: MatchStream | None = STREAM,
) -> dict[str, Any]:
    """The publisher says no: nothing of the proposal is taken."""
    row = acceptance(node.store, acceptance_id)
    body: dict[str, Any] = {"acceptance": acceptance_id}
    if reason:
        body["reason"] = reason
    node.submit(key, "market.decline", body, deps=[row["record"]])
    if stream is not None:
        announce_acceptance(node.store, acceptance_id, stream)
    _release_if_held(node, acceptance_id)
    return {"acceptance": acceptance_id, "status": "declined", "agreement": None}


def release(node: Node, key: KeyPair, acceptance_id: str) -> dict[str, Any]:
    """The acceptor takes back the quantity of its own proposal an ended acceptance reserved."""
    row = acceptance(node.store, acceptance_id)
    prop = node.store.object(row["proposal"])
    deps = [row["decided"] if row["decided"] else prop.record if prop else row["record"]]
    node.submit(key, "market.release", {"acceptance": acceptance_id}, deps=deps)
    return {"acceptance": acceptance_id, "released": row["own_quantity"], "unit": row["unit"]}


def _release_if_held(node: Node, acceptance_id: str) -> None:
    """Where this node holds the acceptor's key, its reservation comes back at once."""
    row = acceptance(node.store, acceptance_id)
    who = row["acceptor"]
    if row["own_quantity"] and node.keystore.has(who) and not node.keystore.is_sealed(who):
        release(node, node.key(who), acceptance_id)


def acceptance(store: Any, acceptance_id: str) -> dict[str, Any]:
    """One acceptance; a pending one whose proposal was withdrawn or has ended is lapsed."""
    with store.engine.connect() as conn:
        row = conn.execute(select(acceptances).where(acceptances.c.id == acceptance_id)).first()
    if row is None:
        raise NotFound(f"no acceptance {acceptance_id!r}", field="acceptance")
    return _shown(store, dict(row._mapping))


def pending_acceptances(
    store: Any, agent: str | None, *, proposal: str | None = None, lapsed: bool = False
) -> list[dict[str, Any]]:
    """The acceptances of ``agent``'s proposals (or of one proposal) waiting for an answer;
    with ``lapsed``, those whose proposal was withdrawn or has ended instead."""
    query = select(acceptances).where(acceptances.c.status == "pending")
    if agent is not None:
        query = query.where(acceptances.c.publisher == agent)
    if proposal is not None:
        query = query.where(acceptances.c.proposal == proposal)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(acceptances.c.created, acceptances.c.id)).all()
    shown = [_shown(store, dict(r._mapping)) for r in rows]
    return [r for r in shown if r["status"] == ("lapsed" if lapsed else "pending")]


def _shown(store: Any, row: dict[str, Any]) -> dict[str, Any]:
    if row["status"] == "pending":
        prop = store.object(row["proposal"])
        ends = norm_time(prop.data.get("hasEnd")) if prop is not None else None
        now = norm_time(datetime.now(UTC).isoformat()) or ""
        if prop is None or prop.deleted or (ends is not None and ends < now):
            row = {**row, "status": "lapsed"}
    return row


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
