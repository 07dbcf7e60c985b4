"""Logical clocks on records and events: a resource's breadcrumbs are ordered by them; and
each resource's holder event (what gave it its present holders), which its next events follow.

Revision ID: store_0003
Revises: store_0002

A record's clock is one more than the clocks of its author's previous record and of its deps;
events carry their record's clock. Existing records get their clocks computed here, in log
order (a record's prev and deps are always before it); existing events take their record's.
The breadcrumbs already stored were linked in arrival order: run ``reflow rebuild`` to relink
them by clock, as every node that holds the same records does.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "store_0003"
down_revision = "store_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "records", sa.Column("clock", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.add_column(
        "economic_events", sa.Column("clock", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.add_column("economic_resources", sa.Column("holder_event", sa.String(length=64)))
    conn = op.get_bind()
    clocks: dict[str, int] = {}
    rows = conn.execute(sa.text("SELECT hash, prev, payload FROM records ORDER BY pos")).all()
    for row in rows:
        deps = json.loads(bytes(row.payload)).get("deps") or []
        before = [clocks.get(h, 0) for h in [row.prev, *deps] if h]
        clocks[row.hash] = 1 + max(before, default=0)
    for h, clock in clocks.items():
        conn.execute(sa.text("UPDATE records SET clock = :c WHERE hash = :h"), {"c": clock, "h": h})
    conn.execute(
        sa.text(
            "UPDATE economic_events SET clock = "
            "(SELECT records.clock FROM records WHERE records.hash = economic_events.record)"
        )
    )


def downgrade() -> None:
    op.drop_column("economic_resources", "holder_event")
    op.drop_column("economic_events", "clock")
    op.drop_column("records", "clock")
