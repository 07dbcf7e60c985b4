"""The value service's record kinds, its settlement rule and its settlement projector.

* ``value.equation`` — body: the equation (``reflow.value.equation``); creates a
  ``ValueEquation`` object. An organisation's equation must be signed by someone acting for it.
* ``value.distribute`` — body ``{equation, income, product, claims: [{receiver,
  resourceQuantity, explanation}]}``; creates one VF ``Claim`` per beneficiary (provider: the
  income's receiver, who owes; ``triggeredBy`` the income) and a ``ValueDistribution`` object
  holding the explanation, all in one record so a distribution is applied whole or not at all.
  Signed by (someone acting for) the income's receiver. Every node checks what does not depend on
  the trace: the shares are whole cents (points) of the equation's currency, they add up to the
  income exactly, and the same income is never distributed twice by the same equation (the
  distribution's id is derived from the pair, so a second one collides).
The service's policies (``value.settles``, ``value.owned``) are in ``reflow.value.policies``.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reflow.errors import AuthorisationError, ConflictError, NotFound, RuleViolation, UnitError
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind
from reflow.ledger.records import Record
from reflow.store import sqlstore
from reflow.store.codec import dec_text
from reflow.store.schema import vf_objects
from reflow.value import policies  # noqa: F401  (registers the value service's policies)
from reflow.value.distribute import DISTRIBUTION_TYPE, EQUATION_TYPE, INCOME_ACTIONS, income_pot
from reflow.value.equation import POINT, parse_equation
from reflow.value.tables import settlements
from reflow.vf.measure import Measure
from reflow.vf.types import get_type
from reflow.vf.units import convert


def distribution_id(equation: str, income: str) -> str:
    """One id per (equation, income): a second distribution of the pair collides with it."""
    return hashlib.sha256(f"value.distribute/{equation}/{income}".encode()).hexdigest()[:32]


def create_equation(ctx: Context) -> Changes:
    data = ctx.record.body
    eq = parse_equation(data)
    if eq.scope == "organization":
        org = ctx.view.agent(eq.scope_id or "")
        if org is None or org.type != "Organization":
            raise NotFound(f"no organization {eq.scope_id!r}", field="scope.id")
        if org.id not in ctx.acting:
            raise AuthorisationError(
                "only someone acting for the organization may give it an equation",
                field="scope.id",
                rule="acts-for-scope",
            )
    elif eq.scope == "plan" and not ctx.view.exists("Plan", eq.scope_id or ""):
        raise NotFound(f"no plan {eq.scope_id!r}", field="scope.id")
    for i, b in enumerate(eq.buckets):
        for j, (agent, _share) in enumerate(b.fixed):
            if ctx.view.agent(agent) is None:
                raise NotFound(f"no agent {agent!r}", field=f"buckets[{i}].pays.fixed[{j}].agent")
    obj = VfObject(EQUATION_TYPE, ctx.id(), dict(data), ctx.author, ctx.record.hash,
                   ctx.record.created)  # fmt: skip
    return Changes(objects={obj.id: obj}, created={EQUATION_TYPE: obj.id})


def _need(body: dict[str, Any], key: str) -> str:
    v = body.get(key)
    if not isinstance(v, str) or not v:
        raise RuleViolation(f"the body needs {key!r}", field=f"body.{key}", rule="required")
    return v


def distribute_income(ctx: Context) -> Changes:
    body = ctx.record.body
    unknown = sorted(set(body) - {"equation", "income", "product", "claims"})
    if unknown:
        raise RuleViolation(f"unknown field {unknown[0]!r}", field=f"body.{unknown[0]}",
                            rule="known-fields")  # fmt: skip
    eq_id, income_id = _need(body, "equation"), _need(body, "income")
    obj = ctx.view.object(eq_id)
    if obj is None or obj.type != EQUATION_TYPE or obj.deleted:
        raise NotFound(f"no value equation {eq_id!r}", field="body.equation")
    eq = parse_equation(obj.data, obj.id)
    income = ctx.view.event(income_id)
    if income is None:
        raise NotFound(f"no economic event {income_id!r}", field="body.income")
    if income.action not in INCOME_ACTIONS or income.corrected_by is not None:
        raise RuleViolation(
            "an income is a transfer (not corrected since)", field="body.income",
            rule="income-is-transfer",
        )  # fmt: skip
    product = body.get("product")
    if product is not None and (not isinstance(product, str) or not ctx.view.resource(product)):
        raise NotFound(f"no economic resource {product!r}", field="body.product")
    if income.receiver not in ctx.acting:
        raise AuthorisationError(
            "only the income's receiver distributes it", field="body.income", rule="receiver"
        )
    did = distribution_id(eq_id, income_id)
    if ctx.view.object(did) is not None:
        raise ConflictError(
            "this income was already distributed by this equation",
            field="body.income",
            rule="distribute-once",
        )
    pot = income_pot(eq, income.resource_quantity, income.resource_unit)
    claims = body.get("claims")
    if not isinstance(claims, list):
        raise RuleViolation("claims must be a list", field="body.claims", rule="type")
    objects: dict[str, VfObject] = {}
    made: list[dict[str, Any]] = []
    total = Decimal(0)
    seen: set[str] = set()
    claim_type = get_type("Claim")
    for i, c in enumerate(claims):
        where = f"body.claims[{i}]"
        if not isinstance(c, dict):
            raise RuleViolation("a claim must be an object", field=where, rule="type")
        receiver = c.get("receiver")
        if not isinstance(receiver, str) or ctx.view.agent(receiver) is None:
            raise NotFound(f"no agent {receiver!r}", field=f"{where}.receiver")
        if receiver == income.receiver or receiver in seen:
            raise RuleViolation("one claim per beneficiary, none on the income's receiver",
                                field=f"{where}.receiver", rule="one-claim-each")  # fmt: skip
        seen.add(receiver)
        m = Measure.from_vf(c.get("resourceQuantity"), f"{where}.resourceQuantity")
        if m.unit != eq.currency:
            raise UnitError(f"a share is in {eq.currency}", field=f"{where}.resourceQuantity",
                            rule="equation-currency")  # fmt: skip
        if m.value <= 0 or m.value % eq.quantum != 0:
            raise RuleViolation(
                f"a share is a positive whole number of {eq.quantum} {eq.currency}",
                field=f"{where}.resourceQuantity", rule="whole-cents",
            )  # fmt: skip
        total += m.value
        data: dict[str, Any] = {
            "action": "transfer", "provider": income.receiver, "receiver": receiver,
            "resourceQuantity": m.to_vf(), "triggeredBy": income_id,
            "note": f"share of {eq.name}",
        }  # fmt: skip
        if eq.currency != POINT and income.body.get("resourceConformsTo"):
            data["resourceConformsTo"] = income.body["resourceConformsTo"]
        claim_type.check(data, where)
        cid = ctx.id(f"claim:{i}")
        objects[cid] = VfObject("Claim", cid, data, ctx.author, ctx.record.hash,
                                ctx.record.created)  # fmt: skip
        explanation = c.get("explanation", [])
        if not isinstance(explanation, list):
            raise RuleViolation("explanation must be a list", field=f"{where}.explanation",
                                rule="type")  # fmt: skip
        made.append({"claim": cid, "receiver": receiver, "resourceQuantity": m.to_vf(),
                     "explanation": explanation})  # fmt: skip
    if total > pot:
        raise RuleViolation(f"the shares add up to {total}, more than the income's {pot}",
                            field="body.claims", rule="shares-add-up")  # fmt: skip
    dist = {"equation": eq_id, "income": income_id, "product": product,
            "claims": made, "kept": dec_text(pot - total)}  # fmt: skip
    objects[did] = VfObject(DISTRIBUTION_TYPE, did, dist, ctx.author, ctx.record.hash,
                            ctx.record.created)  # fmt: skip
    created = {DISTRIBUTION_TYPE: did}
    created.update({f"Claim:{i}": m["claim"] for i, m in enumerate(made)})
    return Changes(objects=objects, created=created)


def project_settlements(conn: Connection, rec: Record, changes: Changes) -> None:
    """Split a payment over the claims it settles, in their order, each up to its amount."""
    if rec.kind != "vf.event":
        return
    ev = changes.events.get(changes.created.get("EconomicEvent", ""))
    if ev is None or not ev.body.get("settles") or ev.resource_quantity is None:
        return
    left = ev.resource_quantity
    rows: list[dict[str, Any]] = []
    for cid in ev.body["settles"]:
        row = conn.execute(
            select(vf_objects.c.data).where(vf_objects.c.id == cid, vf_objects.c.type == "Claim")
        ).first()
        if row is None:
            continue
        want = json.loads(row[0]).get("resourceQuantity")
        if not isinstance(want, dict) or ev.resource_unit is None:
            continue
        unit = want["hasUnit"]
        have = convert(left, ev.resource_unit, unit)
        part = min(have, Decimal(want["hasNumericalValue"]))
        if part <= 0:
            break
        rows.append({"event": ev.id, "claim": cid, "quantity": dec_text(part), "unit": unit})
        left = left - convert(part, unit, ev.resource_unit)
    if rows:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(settlements).on_conflict_do_nothing(), rows)


register_kind("value.equation", create_equation, "agree on a value equation (data, not code)")
register_kind(
    "value.distribute", distribute_income, "share an income by an equation: one claim each"
)
if project_settlements not in sqlstore.PROJECTORS:
    sqlstore.PROJECTORS.append(project_settlements)
