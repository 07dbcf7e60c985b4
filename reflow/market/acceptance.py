"""Accepting a proposal in two steps, so that every node reaches the same verdict.

An intent's available quantity belongs to its publisher: only records on the publisher's chain
decrease it (DESIGN: one writer per quantity, so concurrent records of different chains
commute). Two acceptors on two nodes may both ask for the last 15 kg; if each acceptance took
the quantity itself, a node that applied A first would refuse B and a node that applied B first
would refuse A. So:

* ``market.accept`` {proposal, quantity, own?, note?}, signed by the acceptor, is an *offer*.
  It is judged only on what cannot change with the order records arrive in (the proposal
  exists and is published by someone else to whom the acceptor may answer, it has not expired
  at the record's time, the quantity is positive and of the intent's dimension). It decreases
  nothing of the publisher's; it records a pending acceptance. An answering ``own`` proposal is
  the acceptor's, so its quantity is reserved here, on the acceptor's chain.
* ``market.confirm`` {acceptance}, signed by the publisher (or an agent acting for it), names
  the accept record in its ``deps`` and is judged against the publisher's own chain: the
  proposal still open, the quantity within what is available. It creates the Agreement and its
  Commitments and decreases the intent.
* ``market.decline`` {acceptance, reason?}, signed by the publisher: the acceptance ends there.
* ``market.release`` {acceptance}, signed by the acceptor once the acceptance was declined or
  the proposal withdrawn (that record in its ``deps``): its own intent's reservation comes back,
  again on the acceptor's chain.

Whether the proposal was withdrawn is deliberately not a rule of ``market.accept``: the
withdrawal is on another chain, so the verdict would depend on arrival order. The confirmation
refuses a withdrawn proposal instead; readers report such a pending acceptance as lapsed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.ledger.kinds import register_kind
from reflow.market.checks import (
    known_fields,
    not_expired,
    not_withdrawn,
    open_proposal,
    proposal_of,
)
from reflow.market.model import available, norm_time, publisher
from reflow.market.tables import acceptances, releases
from reflow.market.terms import accepted_terms, commitments_for, decrease, primary_intent, take
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure

TABLE = "market_acceptances"


def acceptance_row(view: Any, acceptance_id: Any) -> dict[str, Any] | None:
    """The acceptance as the records before this one left it (same batch included)."""
    if not isinstance(acceptance_id, str):
        return None
    while isinstance(view, BatchView):
        for table, row in reversed(view.pending.rows):
            if table == TABLE and row["id"] == acceptance_id:
                return row
        view = view.base
    engine = getattr(view, "engine", None)
    if engine is None:
        return None
    with engine.connect() as conn:
        found = conn.execute(select(acceptances).where(acceptances.c.id == acceptance_id)).first()
    return dict(found._mapping) if found is not None else None


def accept_proposal(ctx: Context) -> Changes:
    body = known_fields(ctx.record.body, {"proposal", "quantity", "own", "note"})
    when = norm_time(ctx.record.created) or ""
    theirs = proposal_of(ctx, body.get("proposal"), "body.proposal")
    not_expired(theirs, "body.proposal", when)
    owner = publisher(ctx.view.object, theirs)
    own = None
    if body.get("own") is not None:
        own = open_proposal(ctx, body["own"], "body.own", when)
        if own.data["purpose"] == theirs.data["purpose"]:
            raise RuleViolation(
                "an offer answers a request and a request an offer",
                field="body.own",
                rule="opposite-purpose",
            )
        agent = publisher(ctx.view.object, own)
        if agent not in ctx.acting:
            raise AuthorisationError(
                "own is a proposal of someone else", field="body.own", rule="acting"
            )
    else:
        agent = ctx.author
    if owner in ctx.acting or owner == agent:
        raise RuleViolation(
            "you cannot accept your own proposal", field="body.proposal", rule="not-own-proposal"
        )
    invited = theirs.data.get("proposedTo") or []
    if invited and agent not in invited:
        raise AuthorisationError(
            "the proposal is proposed to other agents", field="body.proposal", rule="proposed-to"
        )
    quantity = Measure.from_vf(body.get("quantity"), "body.quantity")
    if quantity.value <= 0:
        raise RuleViolation(
            "the quantity must be more than zero", field="body.quantity", rule="positive-quantity"
        )
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise RuleViolation("note must be text", field="body.note", rule="type")
    _t_intent, q, o_intent, o_q = accepted_terms(ctx.view.object, theirs, own, quantity, when)
    aid = ctx.id("acceptance")
    changes = Changes(created={"Acceptance": aid})
    if own is not None and o_intent is not None and o_q is not None:
        # the acceptor's own intent: its quantity is the acceptor's to reserve
        rest = take(o_intent, o_q.value, "body.own", check_minimum=False)
        changes.merge(decrease(ctx, o_intent, own, agent, rest))
    rec = ctx.record
    changes.rows.append(
        (TABLE,
         {"id": aid, "proposal": theirs.id, "own": own.id if own else None, "acceptor": agent,
          "publisher": owner, "quantity": dec_text(q.value), "unit": q.unit,
          "own_quantity": dec_text(o_q.value) if o_q is not None else None, "note": note,
          "status": "pending", "record": rec.hash, "decided": None, "agreement": None,
          "reason": None, "created": rec.created})
    )  # fmt: skip
    return changes


def _pending(ctx: Context, verb: str) -> tuple[dict[str, Any], Any, str]:
    """The pending acceptance this record decides, checked to be the publisher's to decide."""
    aid = ctx.record.body.get("acceptance")
    row = acceptance_row(ctx.view, aid)
    if row is None:
        raise NotFound(f"no acceptance {aid!r}", field="body.acceptance")
    if row["record"] not in ctx.record.deps:
        raise RuleViolation(
            f"a record that {verb}s an acceptance lists the accept record in its deps",
            field="deps",
            rule="deps-acceptance",
        )
    if row["status"] != "pending":
        raise RuleViolation(
            f"the acceptance is already {row['status']}",
            field="body.acceptance",
            rule="pending-acceptance",
        )
    theirs = proposal_of(ctx, row["proposal"], "body.acceptance")
    owner = publisher(ctx.view.object, theirs)
    if owner not in ctx.acting:
        raise AuthorisationError(
            f"only the publisher of the proposal may {verb} an acceptance of it",
            field="body.acceptance",
            rule="publisher",
        )
    return row, theirs, owner


def confirm_acceptance(ctx: Context) -> Changes:
    known_fields(ctx.record.body, {"acceptance"})
    row, theirs, owner = _pending(ctx, "confirm")
    not_withdrawn(theirs, "body.acceptance")
    own = ctx.view.object(row["own"]) if row["own"] else None
    quantity = Measure(Decimal(row["quantity"]), row["unit"])
    changes = commitments_for(
        ctx, theirs, owner, own, row["acceptor"], quantity, row["note"], "body.acceptance"
    )
    agreement = changes.created["Agreement"]
    decided = {**row, "status": "confirmed", "decided": ctx.record.hash, "agreement": agreement}
    changes.rows.append((TABLE, decided))
    changes.created["Acceptance"] = row["id"]
    return changes


def decline_acceptance(ctx: Context) -> Changes:
    body = known_fields(ctx.record.body, {"acceptance", "reason"})
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise RuleViolation("reason must be text", field="body.reason", rule="type")
    row, _theirs, _owner = _pending(ctx, "decline")
    decided = {**row, "status": "declined", "decided": ctx.record.hash, "reason": reason}
    return Changes(rows=[(TABLE, decided)], created={"Acceptance": row["id"]})


def _released(view: Any, acceptance_id: str) -> bool:
    while isinstance(view, BatchView):
        if any(t == "market_releases" and r["acceptance"] == acceptance_id
               for t, r in view.pending.rows):  # fmt: skip
            return True
        view = view.base
    with view.engine.connect() as conn:
        found = conn.execute(
            select(releases.c.acceptance).where(releases.c.acceptance == acceptance_id)
        ).first()
    return found is not None


def release_reservation(ctx: Context) -> Changes:
    body = known_fields(ctx.record.body, {"acceptance"})
    row = acceptance_row(ctx.view, body.get("acceptance"))
    if row is None:
        raise NotFound(f"no acceptance {body.get('acceptance')!r}", field="body.acceptance")
    if row["acceptor"] not in ctx.acting:
        raise AuthorisationError(
            "only the acceptor releases what its acceptance reserved",
            field="body.acceptance",
            rule="acceptor",
        )
    own = ctx.view.object(row["own"]) if row["own"] else None
    if own is None or row["own_quantity"] is None:
        raise RuleViolation(
            "the acceptance reserved nothing", field="body.acceptance", rule="reserved"
        )
    theirs = proposal_of(ctx, row["proposal"], "body.acceptance")
    # what ended the acceptance must be applied first, on every node: it is in the deps
    ended = row["status"] == "declined" and row["decided"] in ctx.record.deps
    ended = ended or (row["status"] == "pending" and theirs.deleted
                      and theirs.record in ctx.record.deps)  # fmt: skip
    if not ended:
        raise RuleViolation(
            "a reservation comes back once the acceptance was declined or the proposal "
            "withdrawn, and the record that did so is in the deps",
            field="body.acceptance",
            rule="acceptance-ended",
        )
    if _released(ctx.view, row["id"]):
        raise RuleViolation(
            "the reservation was already released", field="body.acceptance", rule="once"
        )
    o_intent = primary_intent(ctx.view.object, own, "body.acceptance")
    left = available(o_intent.data)
    if left is None:
        raise RuleViolation("the intent has no quantity", field="body.acceptance", rule="quantity")
    back = Measure(left.value + Decimal(row["own_quantity"]), left.unit)
    changes = decrease(ctx, o_intent, own, row["acceptor"], back)
    changes.rows.append(
        ("market_releases",
         {"acceptance": row["id"], "record": ctx.record.hash, "created": ctx.record.created})
    )  # fmt: skip
    changes.created["Acceptance"] = row["id"]
    return changes


register_kind(
    "market.accept", accept_proposal, "offer to accept a proposal (the publisher confirms)"
)
register_kind(
    "market.confirm", confirm_acceptance, "the publisher confirms an acceptance: an agreement"
)
register_kind("market.decline", decline_acceptance, "the publisher declines an acceptance")
register_kind(
    "market.release", release_reservation, "the acceptor takes back what an ended acceptance held"
)
