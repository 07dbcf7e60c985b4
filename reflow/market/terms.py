"""What accepting a proposal commits both sides to: the Agreement and its Commitments.

The acceptance asks (``accepted_terms``: judged on what never changes); the publisher's
confirmation decides (``commitments_for``: judged on its own intent's quantity, which only the
publisher's chain decreases).

The accepted proposal's terms rule: its primary intent says what is given (and how much is
still available), its reciprocal intents say what is given back. For a ``unitBased`` proposal
the reciprocal quantities are per unit of the primary intent's quantity and are scaled by what
is accepted (a price list); otherwise they are given as they stand (a gift asks nothing back).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.market.model import (
    Lookup,
    available,
    intent_rows,
    is_work,
    measure,
    norm_time,
    quantity_field,
)
from reflow.store.codec import dec_text
from reflow.vf.measure import Measure
from reflow.vf.units import convert


def primary_intent(lookup: Lookup, proposal: VfObject, where: str) -> VfObject:
    ids = proposal.data.get("publishes") or []
    intent = lookup(ids[0]) if ids else None
    if intent is None:
        raise NotFound("the proposal publishes no intent", field=where)
    return intent


def in_unit(q: Measure, unit: str, where: str) -> Decimal:
    try:
        return convert(q.value, q.unit, unit)
    except UnitError as exc:
        raise UnitError(
            f"{q.unit} does not measure what is offered in {unit}: {exc.message}",
            field=where,
            rule="same-dimension",
        ) from None


def take(intent: VfObject, q: Decimal, where: str, *, check_minimum: bool) -> Measure:
    """Check ``q`` (in the intent's unit) against what is left; return what remains."""
    left = available(intent.data)
    if left is None:
        raise RuleViolation("the intent has no quantity", field=where, rule="quantity")
    if q > left.value:
        raise RuleViolation(
            f"only {dec_text(left.value)} {left.unit} is available",
            field=where,
            rule="not-more-than-available",
        )
    minimum = measure(intent.data, "minimumQuantity")
    short = minimum is not None and q < convert(minimum.value, minimum.unit, left.unit)
    if check_minimum and short and q != left.value:
        raise RuleViolation(
            f"at least {dec_text(minimum.value)} {minimum.unit} must be taken",  # type: ignore[union-attr]
            field=where,
            rule="at-least-minimum",
        )
    return Measure(left.value - q, left.unit)


def _taken(ctx: Context, intent: VfObject, rest: Measure) -> VfObject:
    data = {**intent.data, "availableQuantity": rest.to_vf()}
    if rest.value == 0:
        data["finished"] = True
    else:
        data.pop("finished", None)  # a released reservation reopens it
    return VfObject(intent.type, intent.id, data, intent.author, ctx.record.hash, intent.created)


def _scaled(recip: dict[str, Any], factor: Decimal | None) -> Measure | None:
    base = measure(recip, quantity_field(recip)) or available(recip)
    if base is None or factor is None:
        return base
    return Measure(base.value * factor, base.unit)


def accepted_terms(
    lookup: Lookup, theirs: VfObject, own: VfObject | None, quantity: Measure, when: str
) -> tuple[VfObject, Measure, VfObject | None, Measure | None]:
    """What an acceptance asks for: (their intent, how much of it, own intent, how much of it).

    Judged only on what never changes once published (the intents' units, kinds and ends), so
    every node reaches the same verdict whatever else it has applied.
    """
    t_intent = primary_intent(lookup, theirs, "body.proposal")
    ends = norm_time(t_intent.data.get("hasEnd"))
    if ends is not None and ends < when:
        raise RuleViolation(
            f"the intent ended at {t_intent.data['hasEnd']}",
            field="body.proposal",
            rule="not-expired",
        )
    t_unit = available(t_intent.data)
    if t_unit is None:
        raise RuleViolation("the intent has no quantity", field="body.proposal", rule="quantity")
    q = Measure(in_unit(quantity, t_unit.unit, "body.quantity"), t_unit.unit)
    if own is None:
        return t_intent, q, None, None
    o_intent = primary_intent(lookup, own, "body.own")
    if is_work(o_intent.data) != is_work(t_intent.data):
        raise RuleViolation(
            "a skill answers a skill and a resource a resource",
            field="body.own",
            rule="same-kind",
        )
    o_unit = available(o_intent.data)
    o_q = Measure(in_unit(quantity, o_unit.unit if o_unit else t_unit.unit, "body.quantity"),
                  o_unit.unit if o_unit else t_unit.unit)  # fmt: skip
    return t_intent, q, o_intent, o_q


def decrease(
    ctx: Context, intent: VfObject, proposal: VfObject, who: str, rest: Measure
) -> Changes:
    """The intent with ``rest`` left available, and its projection rows."""
    new = _taken(ctx, intent, rest)

    def lookup(oid: str) -> VfObject | None:
        return new if oid == new.id else ctx.view.object(oid)

    return Changes(objects={new.id: new}, rows=intent_rows(lookup, new, proposal, who, "primary"))


def commitments_for(
    ctx: Context,
    theirs: VfObject,
    owner: str,
    own: VfObject | None,
    agent: str,
    quantity: Measure,
    note: str | None,
    where: str = "body.acceptance",
) -> Changes:
    """The Agreement, judged and signed by the publisher: its own intent's quantity decreases.

    The own intent (the acceptor's) was reserved by the acceptance itself, on the acceptor's
    chain; here it is only named as satisfied.
    """
    rec = ctx.record
    t_intent = primary_intent(ctx.view.object, theirs, "body.proposal")
    t_unit = available(t_intent.data)
    if t_unit is None:
        raise RuleViolation("the intent has no quantity", field=where, rule="quantity")
    q = in_unit(quantity, t_unit.unit, where)
    rest = take(t_intent, q, where, check_minimum=True)
    satisfied = [t_intent.id]
    giver = t_intent
    if own is not None:
        o_intent = primary_intent(ctx.view.object, own, "body.own")
        satisfied.append(o_intent.id)
        if theirs.data["purpose"] == "request":
            giver = o_intent
    offer = theirs.data["purpose"] == "offer"
    provider, receiver = (owner, agent) if offer else (agent, owner)
    agreement_id = ctx.id("agreement")
    qfield = quantity_field(t_intent.data)
    primary = {
        "action": giver.data["action"],
        "provider": provider,
        "receiver": receiver,
        qfield: Measure(q, t_unit.unit).to_vf(),
        "clauseOf": agreement_id,
        "satisfies": satisfied,
        "created": rec.created,
    }
    for key in ("resourceConformsTo", "resourceClassifiedAs", "atLocation"):
        if giver.data.get(key):
            primary[key] = giver.data[key]
    if note:
        primary["note"] = note
    factor = None
    if theirs.data.get("unitBased"):
        per = measure(t_intent.data, qfield) or Measure(Decimal(1), t_unit.unit)
        factor = q / convert(per.value, per.unit, t_unit.unit)
    clauses: list[tuple[dict[str, Any], bool]] = [(primary, False)]
    for rid in theirs.data.get("reciprocal") or []:
        recip = ctx.view.object(rid)
        amount = _scaled(recip.data, factor) if recip is not None else None
        if recip is None or amount is None:
            continue
        data = {
            "action": recip.data["action"],
            "provider": recip.data.get("provider") or agent,
            "receiver": recip.data.get("receiver") or agent,
            quantity_field(recip.data): amount.to_vf(),
            "clauseOf": agreement_id,
            "satisfies": [rid],
            "created": rec.created,
        }
        for key in ("resourceConformsTo", "resourceClassifiedAs"):
            if recip.data.get(key):
                data[key] = recip.data[key]
        clauses.append((data, True))
    changes = Changes(created={"Agreement": agreement_id})
    ids: list[tuple[str, bool]] = []
    for n, (data, reciprocal) in enumerate(clauses):
        cid = ctx.id(f"commitment:{n}")
        ids.append((cid, reciprocal))
        changes.objects[cid] = VfObject("Commitment", cid, data, rec.author, rec.hash, rec.created)
        changes.created[f"Commitment:{n}"] = cid
        m = Measure.from_vf(data[quantity_field(data)], "commitment")
        changes.rows.append(
            ("market_commitments",
             {"id": cid, "agreement": agreement_id, "reciprocal": reciprocal,
              "action": data["action"], "provider": data["provider"],
              "receiver": data["receiver"], "spec": data.get("resourceConformsTo"),
              "quantity": dec_text(m.value), "unit": m.unit,
              "satisfies": json.dumps(data["satisfies"])})
        )  # fmt: skip
    agreement: dict[str, Any] = {
        "created": rec.created,
        "stipulates": [c for c, r in ids if not r],
    }
    if any(r for _, r in ids):
        agreement["stipulatesReciprocal"] = [c for c, r in ids if r]
    if theirs.data.get("name"):
        agreement["name"] = str(theirs.data["name"])
    changes.objects[agreement_id] = VfObject(
        "Agreement", agreement_id, agreement, rec.author, rec.hash, rec.created
    )
    changes.rows.append(
        ("market_agreements",
         {"id": agreement_id, "proposal": theirs.id, "own": own.id if own else None,
          "accepted_by": agent, "record": rec.hash, "created": rec.created})
    )  # fmt: skip
    changes.merge(decrease(ctx, t_intent, theirs, owner, rest))
    return changes
