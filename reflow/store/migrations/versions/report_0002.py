"""The report's catch-up: events are placed when a report asks, not at ingest.

Revision ID: report_0002
Revises: report_0001

``report_event_inputs`` keeps what an event takes from the state of its moment;
``report_position`` is how far ``report_event_places`` has caught up. A store upgraded from
``report_0001`` has placed every event in its commit, in the current territory: its inputs are
those of its rows, and its position starts at the last record, so nothing is placed twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "report_0002"
down_revision = "report_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    qty = sa.String(length=80)
    op.create_table(
        "report_event_inputs",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("lat", qty),
        sa.Column("long", qty),
        sa.Column("from_lat", qty),
        sa.Column("from_long", qty),
        sa.Column("spec", sa.String(length=64)),
        sa.Column("material", sa.String(length=200), nullable=False),
        sa.Column("is_waste", sa.Integer(), nullable=False),
        sa.Column("mass_kg", qty),
        sa.Column("mass_reason", sa.Text()),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.execute(
        "INSERT INTO report_event_inputs (event_id, lat, long, from_lat, from_long, spec, "
        "material, is_waste, mass_kg, mass_reason) SELECT event_id, lat, long, from_lat, "
        "from_long, spec, material, is_waste, mass_kg, mass_reason FROM report_event_places"
    )
    op.create_table(
        "report_position",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("pos", sa.BigInteger(), nullable=False),
        sa.Column("territory", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute(
        "INSERT INTO report_position (key, pos, territory) "
        "SELECT 'current', COALESCE((SELECT MAX(pos) FROM records), 0), "
        "COALESCE((SELECT record || ':' || CAST(h3_resolution AS VARCHAR(8)) "
        "FROM report_territory WHERE key = 'current'), '')"
    )


def downgrade() -> None:
    op.drop_table("report_position")
    op.drop_table("report_event_inputs")
