"""The value service's policies, met by every record a node takes (so compiled, ``setup.py``).

* ``value.settles`` — an event that ``settles`` claims must be between the claims' agents, by
  their action, in a unit of the same dimension.
* ``value.owned`` — a Claim a distribution wrote is settled by payments, never edited.
"""

from __future__ import annotations

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_policy
from reflow.value.distribute import DISTRIBUTION_TYPE, EQUATION_TYPE
from reflow.vf.units import compatible


def distributed_claims_stay(ctx: Context) -> None:
    """A policy: a Claim written by ``value.distribute`` cannot be changed or withdrawn by a
    generic ``vf.update``/``vf.delete`` — its debtor (the distributor) could otherwise shrink
    what it owes after the fact. It is settled by payments, never edited."""
    if ctx.record.kind not in ("vf.update", "vf.delete"):
        return
    oid = ctx.record.body.get("id")
    obj = ctx.view.object(oid) if isinstance(oid, str) else None
    if obj is None or obj.type not in ("Claim", DISTRIBUTION_TYPE, EQUATION_TYPE):
        return
    get_record = getattr(ctx.view.store, "get_record", None)
    writer = get_record(obj.record) if get_record is not None else None
    if obj.type != "Claim" or (writer is not None and writer.kind == "value.distribute"):
        raise RuleViolation(
            f"this {obj.type} belongs to a value distribution: it is settled, not edited",
            field="body.id",
            rule="value-owned",
        )


def check_settles(ctx: Context) -> None:
    """A policy on ``vf.event``: a payment settles only claims between its own agents."""
    event, refs = ctx.event_refs("settles")
    for where, cid, c in refs:
        if c is None or c.type != "Claim" or c.deleted:
            raise NotFound(f"no claim {cid!r}", field=where)
        for key in ("provider", "receiver", "action"):
            if event.get(key) != c.data.get(key):
                raise RuleViolation(f"the event's {key} is not the claim's",
                                    field=f"event.{key}", rule="settles-same-agents")  # fmt: skip
        want = c.data.get("resourceQuantity")
        got = event.get("resourceQuantity")
        if isinstance(want, dict) and isinstance(got, dict):
            try:
                ok = compatible(str(got.get("hasUnit")), str(want.get("hasUnit")))
            except UnitError:
                ok = False
            if not ok:
                raise UnitError(f"{got.get('hasUnit')} does not pay a claim in "
                                f"{want.get('hasUnit')}", field="event.resourceQuantity",
                                rule="same-dimension")  # fmt: skip


register_policy("value.settles", check_settles)
register_policy("value.owned", distributed_claims_stay)
