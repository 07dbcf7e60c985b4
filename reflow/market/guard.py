"""Objects the market writes change only through market records.

A Proposal, its Intents, an Agreement and its Commitments written by a ``market.*`` record carry
state the market keeps consistent (what is still available, what was withdrawn, what was
agreed). A generic ``vf.update`` or ``vf.delete`` on them would bypass those rules and leave the
market's projections behind, so a policy refuses it and names the market record to use instead.
"""

from __future__ import annotations

from reflow.errors import RuleViolation
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_policy

MARKET_TYPES = frozenset({"Proposal", "Intent", "Agreement", "Commitment"})


def market_owned(ctx: Context) -> None:
    if ctx.record.kind not in ("vf.update", "vf.delete"):
        return
    oid = ctx.record.body.get("id")
    obj = ctx.view.object(oid) if isinstance(oid, str) else None
    if obj is None or obj.type not in MARKET_TYPES:
        return
    get_record = getattr(ctx.view.store, "get_record", None)
    writer = get_record(obj.record) if get_record is not None else None
    if writer is not None and writer.kind.startswith("market."):
        raise RuleViolation(
            f"this {obj.type} belongs to the market: use market.withdraw or market.confirm",
            field="body.id",
            rule="market-owned",
        )


register_policy("market.owned", market_owned)
