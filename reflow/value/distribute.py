"""Sharing an income by an equation: buckets, exact rounding, and the explanation of each share.

The arithmetic is pure (``allocate``): buckets of the *total* are taken first, each from the
whole income whatever its place in the list; buckets of the *remainder* then share, in order,
what is left. A fixed bucket pays its agents by their share weights; a contributions bucket pays
every contribution it selects (kind, process, plan, date range) by its value. Every line
(bucket × beneficiary) is exact (50 significant digits, the same on every node) until the end,
where all lines are rounded together to the currency's cent (or to whole points) by the largest
remainder method: each line is rounded down, and the cents still missing go one each to the
lines with the largest remainders (ties by bucket order, then agent id). So the shares always
add up to the income exactly and no line is off by more than one cent.

What no bucket takes (buckets adding up to less than 100%) stays with the income's receiver and
is shown as such. A contributions bucket that finds no contributions takes nothing, and what it
leaves goes to the buckets of the remainder; if none takes it, the distribution is refused.
The receiver's own share is *kept*: no claim on oneself is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from sqlalchemy import text

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.store.sqlstore import SqlStore
from reflow.value.contributions import (
    PRECISION,
    Contribution,
    decimal_text,
    find_contributions,
)
from reflow.value.equation import POINT, Bucket, Equation, parse_equation
from reflow.vf.units import get_unit

ZERO = Decimal(0)
EQUATION_TYPE = "ValueEquation"
DISTRIBUTION_TYPE = "ValueDistribution"
INCOME_ACTIONS = frozenset({"transfer", "transferAllRights"})


@dataclass
class Line:
    """One amount one bucket gives one beneficiary, and why."""

    bucket: str
    agent: str
    rule: str  # fixed | contributions | unallocated
    weight: Decimal  # the agent's share weight or contributions' value in this bucket
    bucket_weight: Decimal  # the sum of the weights in this bucket
    bucket_amount: Decimal  # exact amount of the bucket
    exact: Decimal
    amount: Decimal = ZERO  # rounded
    contributions: list[Contribution] = field(default_factory=list)

    def as_dict(self, *, compact: bool = False) -> dict[str, Any]:
        """The line as data; ``compact`` sums its contributions per (kind, process, unit, rate)
        so that a record stays far below the ledger's size limit whatever the trace's size."""
        out = {
            "bucket": self.bucket, "rule": self.rule, "amount": decimal_text(self.amount),
            "exact": decimal_text(self.exact), "weight": decimal_text(self.weight),
            "bucketWeight": decimal_text(self.bucket_weight),
        }  # fmt: skip
        if not compact:
            out["contributions"] = [c.as_dict() for c in self.contributions]
            return out
        groups: dict[tuple[str, str, str, str], list[Contribution]] = {}
        for c in self.contributions:
            key = (c.kind, c.process or "", c.unit or "", decimal_text(c.rate or ZERO))
            groups.setdefault(key, []).append(c)
        out["contributions"] = [
            {"kind": k, "process": p or None, "unit": u or None, "rate": r,
             "amount": decimal_text(sum((c.amount for c in cs), ZERO)),
             "value": decimal_text(sum((c.value for c in cs), ZERO)), "events": len(cs)}
            for (k, p, u, r), cs in sorted(groups.items())
        ]  # fmt: skip
        return out


@dataclass
class Share:
    agent: str
    amount: Decimal
    lines: list[Line]
    kept: bool = False  # the income's receiver: no claim

    def as_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "amount": decimal_text(self.amount), "kept": self.kept,
                "lines": [x.as_dict() for x in self.lines]}  # fmt: skip


@dataclass
class Plan:
    """A distribution before it is committed: the shares, the claims it would write, why."""

    equation: Equation
    income: str
    product: str
    receiver: str
    pot: Decimal
    shares: list[Share]
    contributions: list[Contribution]
    spec: str | None = None  # the income's resourceConformsTo

    @property
    def unit(self) -> str:
        return self.equation.currency

    def claims(self) -> list[dict[str, Any]]:
        """The claims to write: one per beneficiary with a positive share, receiver excepted."""
        out = []
        for s in self.shares:
            if s.kept or s.amount <= 0:
                continue
            quantity = {"hasNumericalValue": decimal_text(s.amount), "hasUnit": self.unit}
            explanation = [x.as_dict(compact=True) for x in s.lines]
            out.append(
                {"receiver": s.agent, "resourceQuantity": quantity, "explanation": explanation}
            )
        return out

    def body(self) -> dict[str, Any]:
        """The ``value.distribute`` record body that commits this plan."""
        return {"equation": self.equation.id, "income": self.income, "product": self.product,
                "claims": self.claims()}  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "equation": self.equation.id, "income": self.income, "product": self.product,
            "receiver": self.receiver, "unit": self.unit, "total": decimal_text(self.pot),
            "shares": [s.as_dict() for s in self.shares],
            "contributions": [c.as_dict() for c in self.contributions],
        }  # fmt: skip


def _selects(b: Bucket, c: Contribution) -> bool:
    if c.kind not in b.kinds:
        return False
    if b.process is not None and c.process != b.process:
        return False
    if b.plan is not None and c.plan != b.plan:
        return False
    if b.since is not None and (c.time is None or c.time[: len(b.since)] < b.since):
        return False
    return not (b.until is not None and (c.time is None or c.time[: len(b.until)] > b.until))


def _bucket_lines(b: Bucket, amount: Decimal, contributions: list[Contribution]) -> list[Line]:
    weights: dict[str, Decimal] = {}
    picked: dict[str, list[Contribution]] = {}
    if b.fixed:
        for agent, share in b.fixed:
            weights[agent] = weights.get(agent, ZERO) + share
        rule = "fixed"
    else:
        for c in contributions:
            if _selects(b, c):
                weights[c.agent] = weights.get(c.agent, ZERO) + c.value
                picked.setdefault(c.agent, []).append(c)
        rule = "contributions"
    total = sum(weights.values(), ZERO)
    if total <= 0:
        return []
    return [
        Line(b.name, a, rule, w, total, amount, amount * w / total, contributions=picked.get(a, []))
        for a, w in sorted(weights.items())
    ]


def largest_remainder(exact: list[Decimal], total: Decimal, quantum: Decimal) -> list[Decimal]:
    """Round each amount down to ``quantum``, then hand the missing quanta to the largest
    remainders (ties: the earlier line), so the result adds up to ``total`` exactly."""
    floors = [(x / quantum).to_integral_value(ROUND_FLOOR) * quantum for x in exact]
    missing = int(((total - sum(floors, ZERO)) / quantum).to_integral_value(ROUND_HALF_EVEN))
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(missing, 0)]:
        floors[i] += quantum
    return floors


def allocate(
    eq: Equation, pot: Decimal, contributions: list[Contribution], receiver: str
) -> list[Share]:
    """Apply the equation's buckets to ``pot``; the shares add up to ``pot`` exactly."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        lines: list[Line] = []
        skipped: list[str] = []
        remaining = pot
        for b in eq.buckets:
            if b.of == "total":
                got = _bucket_lines(b, pot * b.percent / 100, contributions)
                if got:
                    remaining -= got[0].bucket_amount
                    lines += got
                else:
                    skipped.append(b.name)
        for b in eq.buckets:
            if b.of == "remainder":
                got = _bucket_lines(b, remaining * b.percent / 100, contributions)
                if got:
                    remaining -= got[0].bucket_amount
                    lines += got
                else:
                    skipped.append(b.name)
        if remaining > 0 and skipped:
            raise RuleViolation(
                f"bucket {skipped[0]!r} found no contributions, and no bucket takes what it leaves",
                field="equation.buckets",
                rule="bucket-has-contributions",
            )
        if not lines:
            raise RuleViolation(
                "no bucket has anyone to pay: no contributions found", field="income",
                rule="has-beneficiaries",
            )  # fmt: skip
        if remaining > 0:
            lines.append(Line("(unallocated)", receiver, "unallocated", remaining, remaining,
                              remaining, remaining))  # fmt: skip
        rounded = largest_remainder([x.exact for x in lines], pot, eq.quantum)
    by_agent: dict[str, list[Line]] = {}
    for line, amount in zip(lines, rounded, strict=True):
        line.amount = amount
        by_agent.setdefault(line.agent, []).append(line)
    shares = [
        Share(a, sum((x.amount for x in ls), ZERO), ls, kept=a == receiver)
        for a, ls in by_agent.items()
    ]
    return sorted(shares, key=lambda s: (-s.amount, s.agent))


# -- from the store ------------------------------------------------------------------------------


def get_equation(store: SqlStore, equation_id: str) -> Equation:
    obj = store.object(equation_id)
    if obj is None or obj.type != EQUATION_TYPE or obj.deleted:
        raise NotFound(f"no value equation {equation_id!r}", field="equation")
    return parse_equation(obj.data, obj.id)


def income_pot(eq: Equation, quantity: Decimal | None, unit: str | None) -> Decimal:
    if quantity is None or unit is None:
        raise RuleViolation("the income has no resourceQuantity", field="income", rule="quantity")
    if eq.currency == POINT:
        return (quantity * eq.points_per_unit).to_integral_value(ROUND_HALF_EVEN)
    if unit != eq.currency:
        raise UnitError(
            f"the income is in {unit}, the equation in {eq.currency}",
            field="income",
            rule="same-currency",
        )
    if quantity % eq.quantum != 0:
        raise RuleViolation(
            f"{quantity} is not a whole number of {eq.quantum} {unit}",
            field="income",
            rule="whole-cents",
        )
    return quantity


def _is_money(unit: str | None) -> bool:
    try:
        return unit is not None and get_unit(unit).dimension.startswith("currency:")
    except (UnitError, RuleViolation):
        return False


def find_product(store: SqlStore, income: dict[str, Any]) -> str:
    """The resource an income pays for: its ``triggeredBy`` event's resource, or the goods of
    the same agreement (``realizationOf``)."""
    body = income["body"]
    with store.engine.connect() as conn:
        trig = body.get("triggeredBy")
        if trig:
            row = conn.execute(
                text("SELECT resource_inventoried_as FROM economic_events WHERE id = :i"),
                {"i": trig},
            ).first()
            if row is not None and row[0]:
                return str(row[0])
        agreement = body.get("realizationOf")
        if agreement:
            rows = conn.execute(
                text(
                    "SELECT id, resource_inventoried_as, resource_unit, body FROM economic_events"
                    " WHERE id <> :i AND body LIKE :a ORDER BY id"
                ),
                {"i": income["id"], "a": f"%{agreement}%"},
            ).all()
            for r in rows:
                if (
                    json.loads(r[3]).get("realizationOf") == agreement
                    and r[1]
                    and not _is_money(r[2])
                ):
                    return str(r[1])
    raise RuleViolation(
        "the income names no product: give triggeredBy (the sale) or realizationOf, or a product",
        field="product",
        rule="income-product",
    )


def load_income(store: SqlStore, income_id: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, action, provider, receiver, resource_quantity, resource_unit, "
                "resource_conforms_to, body, corrected_by FROM economic_events WHERE id = :i"
            ),
            {"i": income_id},
        ).first()
    if row is None:
        raise NotFound(f"no economic event {income_id!r}", field="income")
    keys = ("id", "action", "provider", "receiver", "quantity", "unit", "spec", "body", "fixed")
    out = dict(zip(keys, row, strict=True))
    out["quantity"] = Decimal(out["quantity"]) if out["quantity"] is not None else None
    out["body"] = json.loads(out["body"])
    if out["action"] not in INCOME_ACTIONS:
        raise RuleViolation(
            f"an income is a transfer of money, not a {out['action']}",
            field="income",
            rule="income-is-transfer",
        )
    if out["fixed"]:
        raise RuleViolation("this income was corrected", field="income", rule="not-corrected")
    return out


def plan_distribution(
    store: SqlStore, income_id: str, equation_id: str, product: str | None = None
) -> Plan:
    """The dry run: who gets what of ``income`` by ``equation``, and why. Writes nothing."""
    eq = get_equation(store, equation_id)
    income = load_income(store, income_id)
    if eq.currency != POINT and not _is_money(income["unit"]):
        raise UnitError("the income is not money", field="income", rule="income-is-money")
    pot = income_pot(eq, income["quantity"], income["unit"])
    product = product or find_product(store, income)
    found = find_contributions(store, product, eq)
    shares = allocate(eq, pot, found, income["receiver"])
    return Plan(eq, income_id, product, income["receiver"], pot, shares, found, income["spec"])
