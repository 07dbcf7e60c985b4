"""Events fulfil plan commitments through ``fulfills``: the market's policy checks them; this
projector counts them in the shared ``market_fulfilments``, in the commitment's unit (work and
the use of a vehicle in time, the rest in resource quantity). A projector never fails a commit:
what it cannot convert it leaves out.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reflow.errors import UnitError
from reflow.ledger.changes import Changes
from reflow.ledger.records import Record
from reflow.market import kinds as _market  # noqa: F401  (fulfilment policy and table)
from reflow.market.tables import fulfilments
from reflow.plan.tables import commitments as commitment_table
from reflow.store import sqlstore
from reflow.store.codec import dec_text
from reflow.vf.units import convert


def project_fulfilments(conn: Connection, rec: Record, changes: Changes) -> None:
    """Count events fulfilling plan commitments, in the commitment's unit (never fails)."""
    if rec.kind != "vf.event":
        return
    ev = changes.events.get(changes.created.get("EconomicEvent", ""))
    if ev is None or not ev.body.get("fulfills"):
        return
    rows = []
    for cid in ev.body["fulfills"]:
        c = conn.execute(
            select(commitment_table.c.unit, commitment_table.c.action).where(
                commitment_table.c.id == cid
            )
        ).first()
        if c is None:
            continue  # a market commitment: the market counts it
        # Work, and the use of a vehicle, are counted in time; the rest in resource quantity.
        q = None
        effort = (ev.effort_quantity, ev.effort_unit)
        tried = (
            [effort] if c.action == "work" else [(ev.resource_quantity, ev.resource_unit), effort]
        )
        for value, unit in tried:
            if value is None or unit is None:
                continue
            try:
                q = convert(value, unit, c.unit)
                break
            except UnitError:
                continue
        if q is None:
            continue
        rows.append({"event": ev.id, "commitment": cid, "quantity": dec_text(q), "unit": c.unit})
    if rows:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(fulfilments).on_conflict_do_nothing(), rows)


if project_fulfilments not in sqlstore.PROJECTORS:
    sqlstore.PROJECTORS.append(project_fulfilments)
