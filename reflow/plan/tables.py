"""The planner's projection tables, computed from ``plan.*`` records.

Every table only grows: a revision of a plan adds processes and commitments and *cancels* the
ones it replaces (``plan_cancellations``) instead of rewriting rows, so a projection row never
needs the state of another table to be written, and the log explains every change. Quantities
stay exact decimal text; times are UTC text of fixed width (they compare as strings).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from reflow.store import schema, sqlstore
from reflow.store.schema import ID, QTY, metadata

plans = Table(
    "plan_plans",
    metadata,
    Column("id", ID, primary_key=True),
    Column("author", String(64), nullable=False, index=True),  # the coordinator who planned
    Column("receiver", String(64), nullable=False),  # who receives the independent demand
    Column("spec", ID, nullable=False),
    Column("quantity", QTY, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("due", String(40), nullable=False),
    Column("place", ID),
    Column("radius_km", QTY),
    Column("record", String(64), nullable=False),
    Column("created", String(40), nullable=False),
)

# One row per plan.create / plan.revise record: the figures of that version of the plan.
revisions = Table(
    "plan_revisions",
    metadata,
    Column("record", String(64), primary_key=True),
    Column("plan", ID, nullable=False, index=True),
    Column("created", String(40), nullable=False),
    Column("planned_at", String(40), nullable=False),  # the "now" the plan was computed for
    Column("summary", Text, nullable=False),  # JSON: schedule, lateness, solver, requests
)

processes = Table(
    "plan_processes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("plan", ID, nullable=False, index=True),
    Column("record", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("recipe_process", ID),  # None for transport legs the planner added
    Column("begins", String(40), nullable=False),
    Column("ends", String(40), nullable=False),
    Column("critical", String(5), nullable=False),  # "true" when on the critical path
)

commitments = Table(
    "plan_commitments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("plan", ID, nullable=False, index=True),
    Column("process", ID, index=True),
    Column("record", String(64), nullable=False),
    Column("role", String(16), nullable=False),  # demand|output|input|work|supply|transport|use
    Column("action", String(32), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("receiver", String(64), nullable=False),
    Column("spec", ID),
    Column("resource", ID),  # the inventoried resource it draws from (supply, use)
    Column("quantity", QTY, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("due", String(40), nullable=False),
    Column("intent", ID, index=True),  # the market offer whose hours it uses (work)
    Column("explanation", Text, nullable=False),  # JSON: why this provider
    # The block of time the provider is booked for (hasBeginning/hasEnd of work): what keeps a
    # worker from being planned twice at the same time. None when the record names no block.
    Column("begins", String(40)),
    Column("ends", String(40)),
)

# Inventory a plan counts on; released when its commitment is cancelled or fulfilled.
reservations = Table(
    "plan_reservations",
    metadata,
    Column("commitment", ID, primary_key=True),
    Column("resource", ID, nullable=False, index=True),
    Column("plan", ID, nullable=False, index=True),
    Column("quantity", QTY, nullable=False),
    Column("unit", String(64), nullable=False),
)

cancellations = Table(
    "plan_cancellations",
    metadata,
    Column("id", ID, primary_key=True),  # a process or a commitment
    Column("plan", ID, nullable=False, index=True),
    Column("record", String(64), nullable=False),
)
# A provider's answer to a commitment a plan assigns to it (``plan.accept`` / ``plan.refuse``):
# one row per answer record. A commitment is refused when any answer refuses it, accepted when
# one accepts it and none refuses, pending otherwise (see ``progress``).
answers = Table(
    "plan_answers",
    metadata,
    Column("record", String(64), primary_key=True),
    Column("commitment", ID, nullable=False, index=True),
    Column("plan", ID, nullable=False, index=True),
    Column("author", String(64), nullable=False),  # who signed (the provider or for it)
    Column("provider", String(64), nullable=False, index=True),
    Column("answer", String(16), nullable=False),  # accepted | refused
    Column("note", Text),
    Column("created", String(40), nullable=False),
)

# A commitment partly fulfilled when the plan was revised keeps the part that was done: its
# quantity becomes this (the smallest, if reduced twice); the rest is planned again.
reductions = Table(
    "plan_reductions",
    metadata,
    Column("commitment", ID, primary_key=True),
    Column("record", String(64), primary_key=True),
    Column("plan", ID, nullable=False, index=True),
    Column("quantity", QTY, nullable=False),
    Column("unit", String(64), nullable=False),
)
Index("ix_plan_commitments_plan_role", commitments.c.plan, commitments.c.role)

Index("ix_plan_commitments_provider_role", commitments.c.provider, commitments.c.role)

TABLES = (
    plans,
    revisions,
    processes,
    commitments,
    reservations,
    cancellations,
    answers,
    reductions,
)

for _t in TABLES:
    if _t.name not in sqlstore.SERVICE_TABLES:
        sqlstore.SERVICE_TABLES[_t.name] = _t
        schema.PROJECTION_TABLES.append(_t)
