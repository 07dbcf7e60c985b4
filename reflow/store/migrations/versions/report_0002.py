"""The report's catch-up position: events are placed when a report asks, not at ingest.

Revision ID: report_0002
Revises: report_0001

A store upgraded from ``report_0001`` has placed every event in its commit, in the current
territory: its position starts at the last record, so nothing is placed twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "report_0002"
down_revision = "report_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
