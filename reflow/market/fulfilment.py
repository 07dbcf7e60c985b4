"""Fulfilment: events that carry out market commitments (``fulfills``) and how far they got.

The ledger's ``vf.event`` handler is generic, so the market adds two things around it: a policy
that refuses an event claiming to fulfil a commitment it cannot fulfil (unknown commitment,
other agents, other action, a quantity of another dimension), and a projector that records,
per event and commitment, the quantity fulfilled in the commitment's unit. Partial fulfilment
counts; a commitment is fulfilled when the sum reaches its quantity.

An event is judged only on what no other chain's later record changes: that the commitment was
made (its record is in the event's deps, so every node has it) and its terms (agents, action,
the dimension of its quantity). Whether it has since been cancelled (``plan.revise``) or deleted
is deliberately not a rule: that record is on another chain, so a node hearing it first would
refuse what a node hearing the event first accepted (DESIGN.md, "Records and the network"). The
event is kept and counted against the cancelled commitment, which the commitment's owner shows
as such (a plan's progress lists it under ``cancelled``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.ledger.changes import Changes
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_policy
from reflow.ledger.records import Record
from reflow.market.model import measure, quantity_field
from reflow.market.tables import commitments, fulfilments
from reflow.store import sqlstore
from reflow.store.codec import dec_text
from reflow.vf.units import compatible, convert


def check_fulfils(ctx: Context) -> None:
    """A policy on ``vf.event``: what an event fulfils must be its own agents' commitment (made,
    cancelled or not: see the module's docstring)."""
    event, refs = ctx.event_refs("fulfills")
    for where, cid, c in refs:
        if c is None or c.type != "Commitment":
            raise NotFound(f"no commitment {cid!r}", field=where)
        for key in ("provider", "receiver"):
            if event.get(key) != c.data.get(key):
                raise RuleViolation(
                    f"the event's {key} is not the commitment's",
                    field=f"event.{key}",
                    rule="fulfils-same-agents",
                )
        if event.get("action") != c.data.get("action"):
            raise RuleViolation(
                f"the commitment is to {c.data.get('action')}, not {event.get('action')}",
                field="event.action",
                rule="fulfils-same-action",
            )
        want = measure(c.data, quantity_field(c.data))
        got_raw = event.get(quantity_field(c.data))
        unit = got_raw.get("hasUnit") if isinstance(got_raw, dict) else None
        if want is not None and isinstance(unit, str) and not _compatible(unit, want.unit):
            raise UnitError(
                f"{unit} does not measure a commitment in {want.unit}",
                field=f"event.{quantity_field(c.data)}",
                rule="same-dimension",
            )


def _compatible(a: str, b: str) -> bool:
    try:
        return compatible(a, b)
    except UnitError:
        return False


def project_fulfilments(conn: Connection, rec: Record, changes: Changes) -> None:
    if rec.kind != "vf.event":
        return
    ev = changes.events.get(changes.created.get("EconomicEvent", ""))
    if ev is None or not ev.body.get("fulfills"):
        return
    rows: list[dict[str, Any]] = []
    for cid in ev.body["fulfills"]:
        c = conn.execute(
            select(commitments.c.unit, commitments.c.action).where(commitments.c.id == cid)
        ).first()
        if c is None:
            continue  # a commitment of another service (plans): not the market's to count
        value, unit = (
            (ev.effort_quantity, ev.effort_unit)
            if c.action == "work"
            else (ev.resource_quantity, ev.resource_unit)
        )
        if value is None or unit is None:
            continue
        try:
            q = convert(value, unit, c.unit)
        except UnitError:
            continue  # the policy refuses these; a projector must never fail a commit
        rows.append({"event": ev.id, "commitment": cid, "quantity": dec_text(q), "unit": c.unit})
    if rows:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(fulfilments).on_conflict_do_nothing(), rows)


register_policy("market.fulfils", check_fulfils)
if project_fulfilments not in sqlstore.PROJECTORS:
    sqlstore.PROJECTORS.append(project_fulfilments)
