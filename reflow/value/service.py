"""The value service's functions for the CLI and the API: equations, distributions, claims.

Writes go through ``Node.submit`` (the ledger's one door); reads are set-based queries on the
projections. Nothing here imports Typer, Rich or GraphQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text

from reflow.errors import NotFound
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.store.sqlstore import SqlStore
from reflow.value.contributions import decimal_text
from reflow.value.distribute import EQUATION_TYPE, Plan, plan_distribution
from reflow.value.equation import Equation, parse_equation
from reflow.value.kinds import DISTRIBUTION_TYPE, distribution_id

ZERO = Decimal(0)


def check_equation(data: Any) -> Equation:
    """Validate an equation without recording it (what ``value.equation`` will check first)."""
    return parse_equation(data)


def create_equation(node: Node, key: KeyPair, data: dict[str, Any]) -> str:
    """Record an equation signed by ``key``; returns its id."""
    return node.submit(key, "value.equation", data).created[EQUATION_TYPE]


def list_equations(store: SqlStore) -> list[dict[str, Any]]:
    return [
        {"id": o.id, "author": o.author, **o.data} for o in store.objects_of_type(EQUATION_TYPE)
    ]


def distribute(
    node: Node,
    key: KeyPair | None,
    income: str,
    equation: str,
    *,
    product: str | None = None,
    dry_run: bool = False,
) -> tuple[Plan, dict[str, str]]:
    """Plan the distribution of ``income``; unless ``dry_run``, commit it as one record.

    Returns the plan and what the record created (``{}`` on a dry run).
    """
    plan = plan_distribution(node.store, income, equation, product)
    if dry_run or key is None:
        return plan, {}
    return plan, node.submit(key, "value.distribute", plan.body()).created


def get_distribution(store: SqlStore, equation: str, income: str) -> dict[str, Any] | None:
    obj = store.object(distribution_id(equation, income))
    return None if obj is None or obj.type != DISTRIBUTION_TYPE else dict(obj.data)


def verify_distribution(store: SqlStore, equation: str, income: str) -> dict[str, Any]:
    """Recompute a committed distribution from this node's records and compare the shares.

    Nodes accept a distribution by its arithmetic alone (whole cents, adding up, once per
    income and equation); this is the audit any node can run when it holds the trace: the
    same records give the same shares, so a difference means missing records or a dishonest
    distributor. ``{"matches": bool, "differences": [{receiver, recorded, recomputed}]}``.
    """
    dist = get_distribution(store, equation, income)
    if dist is None:
        raise NotFound(f"no distribution of {income!r} by {equation!r}", field="income")
    plan = plan_distribution(store, income, equation, dist.get("product"))
    recorded = {c["receiver"]: Decimal(c["resourceQuantity"]["hasNumericalValue"])
                for c in dist["claims"]}  # fmt: skip
    again = {s.agent: s.amount for s in plan.shares if not s.kept and s.amount > 0}
    diffs = [
        {"receiver": a, "recorded": decimal_text(recorded.get(a, ZERO)),
         "recomputed": decimal_text(again.get(a, ZERO))}
        for a in sorted(set(recorded) | set(again))
        if recorded.get(a, ZERO) != again.get(a, ZERO)
    ]  # fmt: skip
    return {"matches": not diffs, "differences": diffs}


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    id: str
    provider: str
    receiver: str
    quantity: Decimal
    unit: str
    settled: Decimal
    triggered_by: str | None
    events: tuple[str, ...]

    @property
    def remaining(self) -> Decimal:
        return max(self.quantity - self.settled, ZERO)

    @property
    def status(self) -> str:
        if self.settled >= self.quantity:
            return "settled"
        return "partial" if self.settled > 0 else "open"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "provider": self.provider, "receiver": self.receiver,
            "quantity": decimal_text(self.quantity), "unit": self.unit,
            "settled": decimal_text(self.settled), "remaining": decimal_text(self.remaining),
            "status": self.status,
            "triggeredBy": self.triggered_by, "settledBy": list(self.events),
        }  # fmt: skip


_CLAIMS = (
    "SELECT o.id, o.data, s.event, s.quantity FROM vf_objects o "
    "LEFT JOIN value_settlements s ON s.claim = o.id "
    "WHERE o.type = 'Claim' AND o.deleted = :f"
)


def _statuses(rows: list[Any]) -> list[ClaimStatus]:
    data: dict[str, dict[str, Any]] = {}
    paid: dict[str, list[tuple[str, Decimal]]] = {}
    for cid, raw, event, q in rows:
        data.setdefault(cid, json.loads(raw))
        paid.setdefault(cid, [])
        if event is not None:
            paid[cid].append((event, Decimal(q)))
    out = []
    for cid in sorted(data):
        d = data[cid]
        rq = d.get("resourceQuantity") or {"hasNumericalValue": "0", "hasUnit": ""}
        out.append(ClaimStatus(
            cid, d.get("provider", ""), d.get("receiver", ""), Decimal(rq["hasNumericalValue"]),
            rq["hasUnit"], sum((q for _e, q in paid[cid]), ZERO), d.get("triggeredBy"),
            tuple(sorted(e for e, _q in paid[cid])),
        ))  # fmt: skip
    return out


def claims(
    store: SqlStore, *, agent: str | None = None, income: str | None = None
) -> list[ClaimStatus]:
    """Every claim with how much is settled; ``agent`` (provider or receiver) or ``income``."""
    with store.engine.connect() as conn:
        rows = conn.execute(text(_CLAIMS), {"f": False}).all()
    out = _statuses(rows)
    if agent is not None:
        out = [c for c in out if agent in (c.provider, c.receiver)]
    if income is not None:
        out = [c for c in out if c.triggered_by == income]
    return out


def claim_status(store: SqlStore, claim: str) -> ClaimStatus:
    """One claim: its quantity, how much payments settled (partial counts), what remains."""
    sql = text(_CLAIMS + " AND o.id IN :ids").bindparams(bindparam("ids", expanding=True))
    with store.engine.connect() as conn:
        rows = conn.execute(sql, {"f": False, "ids": [claim]}).all()
    found = _statuses(rows)
    if not found:
        raise NotFound(f"no claim {claim!r}", field="claim")
    return found[0]
