"""The market's record kinds: publish and withdraw proposals; record taxonomies.

* ``market.publish`` {proposal, intents: [{...Intent, role: primary|reciprocal}], radiusKm?}
  creates a Proposal and its Intents in one record, so a half-published proposal never exists.
* ``market.withdraw`` {proposal} — the publisher takes it off the market.
* ``market.accept`` / ``market.confirm`` / ``market.decline`` — see ``acceptance``: the
  acceptor offers, the publisher (the one writer of its intent's quantity) agrees or not.
* ``market.taxonomy`` {scheme, concepts: [{uri, label?, broader?}]} — classification trees.

Every refusal names the field and the rule, and nothing of a refused record is applied.
Verdicts depend on the record (its ``created`` time for expiry), never on the wall clock.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from reflow.errors import AuthorisationError, NotFound, RuleViolation, UnitError
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind
from reflow.market import (  # noqa: F401  (tables, projector, policies, acceptance kinds)
    acceptance,
    fulfilment,
    guard,
    tables,
)
from reflow.market.checks import known_fields as _known_fields
from reflow.market.checks import proposal_of as _proposal
from reflow.market.model import (
    available,
    intent_rows,
    measure,
    norm_time,
    proposal_row,
    publisher,
    quantity_field,
)
from reflow.vf.types import get_type
from reflow.vf.units import compatible, convert

ROLES = ("primary", "reciprocal")


def _check_refs(ctx: Context, type_name: str, data: dict[str, Any], where: str) -> None:
    for key, ref_type, ref_id in get_type(type_name).references(data):
        if not ctx.view.exists(ref_type, ref_id):
            raise NotFound(f"no {ref_type} {ref_id!r}", field=f"{where}.{key}")


def _check_window(data: dict[str, Any], where: str) -> None:
    begins, ends = norm_time(data.get("hasBeginning")), norm_time(data.get("hasEnd"))
    if begins and ends and ends < begins:
        raise RuleViolation(
            "hasEnd is before hasBeginning", field=f"{where}.hasEnd", rule="time-window"
        )


def _check_intent(
    ctx: Context, raw: Any, where: str, purpose: str
) -> tuple[str, dict[str, Any], str, str]:
    """Returns (role, data, side, agent): ``side`` is provider or receiver, the one it names."""
    if not isinstance(raw, dict):
        raise RuleViolation("an intent must be an object", field=where, rule="type")
    role = raw.get("role", "primary")
    if role not in ROLES:
        raise RuleViolation(
            "role must be primary or reciprocal", field=f"{where}.role", rule="role"
        )
    data = get_type("Intent").check({k: v for k, v in raw.items() if k != "role"}, where)
    _check_refs(ctx, "Intent", data, where)
    _check_window(data, where)
    sides = [s for s in ("provider", "receiver") if data.get(s)]
    if len(sides) != 1:
        raise RuleViolation(
            "an intent names exactly one of provider and receiver (the other is who accepts it)",
            field=f"{where}.provider",
            rule="one-side",
        )
    gives = (purpose == "offer") == (role == "primary")  # the publisher gives this
    expected = "provider" if gives else "receiver"
    if sides[0] != expected:
        raise RuleViolation(
            f"in a {role} intent of an {purpose} the publisher is the {expected}",
            field=f"{where}.{expected}",
            rule="publisher-side",
        )
    qfield = quantity_field(data)
    if data.get("action") == "work" and data.get("resourceQuantity") is not None:
        raise RuleViolation(
            "a skill (work) is measured by effortQuantity",
            field=f"{where}.resourceQuantity",
            rule="work-effort",
        )
    base, avail, minimum = (
        measure(data, qfield),
        measure(data, "availableQuantity"),
        measure(data, "minimumQuantity"),
    )
    if role == "primary":
        if base is None and avail is None:
            raise RuleViolation(
                f"a primary intent needs {qfield} or availableQuantity",
                field=f"{where}.{qfield}",
                rule="required",
            )
        if not data.get("resourceConformsTo") and not data.get("resourceClassifiedAs"):
            raise RuleViolation(
                "a primary intent names what it is: resourceConformsTo or resourceClassifiedAs",
                field=f"{where}.resourceConformsTo",
                rule="what",
            )
    ref = base or avail
    for key, m in (("availableQuantity", avail), ("minimumQuantity", minimum)):
        if m is not None and ref is not None and not compatible(m.unit, ref.unit):
            raise UnitError(
                f"{key} is in {m.unit}, the intent in {ref.unit}",
                field=f"{where}.{key}",
                rule="consistent-units",
            )
    top = available(data)
    if (
        minimum is not None
        and top is not None
        and convert(minimum.value, minimum.unit, top.unit) > top.value
    ):
        raise RuleViolation(
            "minimumQuantity is more than is available",
            field=f"{where}.minimumQuantity",
            rule="minimum-within-available",
        )
    return role, data, expected, str(data[expected])


def _positive(value: Any) -> bool:
    try:
        return isinstance(value, str) and Decimal(value).is_finite() and Decimal(value) > 0
    except InvalidOperation:
        return False


def publish_proposal(ctx: Context) -> Changes:
    body = _known_fields(ctx.record.body, {"proposal", "intents", "radiusKm"})
    raw = body.get("proposal")
    if isinstance(raw, dict):
        for key in ("publishes", "reciprocal", "created"):
            if key in raw:
                raise RuleViolation(
                    f"{key} is set by the market", field=f"body.proposal.{key}", rule="derived"
                )
    pdata = get_type("Proposal").check(raw, "body.proposal")
    purpose = pdata.get("purpose")
    if purpose is None:
        raise RuleViolation(
            "purpose is required (offer or request)",
            field="body.proposal.purpose",
            rule="required",
        )
    _check_refs(ctx, "Proposal", pdata, "body.proposal")
    _check_window(pdata, "body.proposal")
    radius = body.get("radiusKm")
    if radius is not None and not _positive(radius):
        raise RuleViolation(
            "radiusKm is a positive decimal string", field="body.radiusKm", rule="radius"
        )
    raws = body.get("intents")
    if not isinstance(raws, list) or not raws:
        raise RuleViolation("a proposal publishes intents", field="body.intents", rule="required")
    checked = [_check_intent(ctx, r, f"body.intents[{i}]", purpose) for i, r in enumerate(raws)]
    primaries = [c for c in checked if c[0] == "primary"]
    if not primaries:
        raise RuleViolation(
            "a proposal needs a primary intent", field="body.intents", rule="primary-intent"
        )
    agent = primaries[0][3]
    for i, (_role, _data, side, who) in enumerate(checked):
        if who != agent:
            raise RuleViolation(
                "every intent names the same publisher",
                field=f"body.intents[{i}].{side}",
                rule="one-publisher",
            )
    if agent not in ctx.acting:
        raise AuthorisationError(
            f"the signer may not publish for {agent}", field="body.intents[0]", rule="acting"
        )
    rec = ctx.record
    ids = [ctx.id(f"intent:{i}") for i in range(len(checked))]
    pdata = {
        **pdata,
        "publishes": [ids[i] for i, c in enumerate(checked) if c[0] == "primary"],
        "created": rec.created,
    }
    recips = [ids[i] for i, c in enumerate(checked) if c[0] == "reciprocal"]
    if recips:
        pdata["reciprocal"] = recips
    proposal = VfObject("Proposal", ctx.id("proposal"), pdata, rec.author, rec.hash, rec.created)
    changes = Changes(created={"Proposal": proposal.id})
    changes.objects[proposal.id] = proposal
    pending = {proposal.id: proposal}

    def lookup(oid: str) -> VfObject | None:
        return pending.get(oid) or ctx.view.object(oid)

    for i, (role, data, _side, _who) in enumerate(checked):
        intent = VfObject("Intent", ids[i], data, rec.author, rec.hash, rec.created)
        changes.objects[intent.id] = intent
        pending[intent.id] = intent
        changes.rows.extend(intent_rows(lookup, intent, proposal, agent, role))
        changes.created[f"Intent:{i}"] = intent.id
    placed = [r for t, r in changes.rows if t == "market_intents" and r["role"] == "primary"]
    if radius is not None and any(r["lat"] is None for r in placed):
        raise RuleViolation(
            "a radius needs a place with lat/long (atLocation or eligibleLocation)",
            field="body.radiusKm",
            rule="radius-needs-place",
        )
    changes.rows.append(("market_proposals", proposal_row(proposal, agent, radius)))
    return changes


def withdraw_proposal(ctx: Context) -> Changes:
    body = _known_fields(ctx.record.body, {"proposal"})
    prop = _proposal(ctx, body.get("proposal"), "body.proposal")
    if prop.deleted:
        raise RuleViolation(
            "the proposal is already withdrawn", field="body.proposal", rule="open-proposal"
        )
    agent = publisher(ctx.view.object, prop)
    if agent not in ctx.acting:
        raise AuthorisationError(
            "only the publisher may withdraw a proposal", field="body.proposal", rule="publisher"
        )
    gone = VfObject(prop.type, prop.id, prop.data, prop.author, ctx.record.hash, prop.created, True)
    changes = Changes(objects={gone.id: gone})
    changes.rows.append(
        ("market_withdrawals",
         {"proposal": prop.id, "record": ctx.record.hash, "created": ctx.record.created})
    )  # fmt: skip
    for role, key in (("primary", "publishes"), ("reciprocal", "reciprocal")):
        for iid in prop.data.get(key, []):
            intent = ctx.view.object(iid)
            if intent is not None:
                changes.rows.extend(
                    intent_rows(ctx.view.object, intent, gone, agent, role, withdrawn=True)
                )
    return changes


def record_taxonomy(ctx: Context) -> Changes:
    body = _known_fields(ctx.record.body, {"scheme", "concepts"})
    raws = body.get("concepts")
    if not isinstance(raws, list) or not raws:
        raise RuleViolation("concepts is a non-empty list", field="body.concepts", rule="required")
    rows = []
    broader: dict[str, str | None] = {}
    for i, c in enumerate(raws):
        where = f"body.concepts[{i}]"
        c = _known_fields(c, {"uri", "label", "broader"}, where)
        for key in ("uri", "label", "broader"):
            v = c.get(key)
            if (key == "uri" or v is not None) and (not isinstance(v, str) or not v.strip()):
                raise RuleViolation(f"{key} must be text", field=f"{where}.{key}", rule="type")
        broader[c["uri"]] = c.get("broader")
        rows.append(
            ("market_concepts",
             {"uri": c["uri"], "broader": c.get("broader"), "label": c.get("label"),
              "scheme": body.get("scheme")})
        )  # fmt: skip
    for uri in broader:
        seen, cur = {uri}, broader.get(uri)
        while cur is not None:
            if cur in seen:
                raise RuleViolation(
                    f"{uri} is broader than itself", field="body.concepts", rule="no-cycle"
                )
            seen.add(cur)
            cur = broader.get(cur)
    return Changes(rows=rows)


register_kind("market.publish", publish_proposal, "publish an offer or a request with its intents")
register_kind("market.withdraw", withdraw_proposal, "take a proposal off the market")
register_kind("market.taxonomy", record_taxonomy, "add classification concepts (broader/narrower)")
