"""The value service's projection: how much of each claim each payment settled.

Equations, distributions and claims live in ``vf_objects`` (types ``ValueEquation``,
``ValueDistribution`` and VF's ``Claim``): they are objects created by records, read by id and
type like every other, and need no table of their own. What does need one is settlement: a
payment (an event that ``settles`` claims) is judged by the generic ``vf.event`` kind, so the
part of it each claim received is computed by a projector and kept here, one row per
(event, claim), in the claim's unit.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from reflow.store import schema, sqlstore
from reflow.store.schema import ID, QTY, metadata

settlements = Table(
    "value_settlements",
    metadata,
    Column("event", ID, primary_key=True),
    Column("claim", ID, primary_key=True),
    Column("quantity", QTY, nullable=False),  # in the claim's unit
    Column("unit", String(64), nullable=False),
)
Index("ix_value_settlements_claim", settlements.c.claim)

TABLES = (settlements,)

for _t in TABLES:
    if _t.name not in sqlstore.SERVICE_TABLES:
        sqlstore.SERVICE_TABLES[_t.name] = _t
        schema.PROJECTION_TABLES.append(_t)
