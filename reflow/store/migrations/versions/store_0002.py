"""The store's own facts: how often rebuild rewrote the projections.

Revision ID: store_0002
Revises: 0001

Caches of projection rows (the trace index) compare ``projection_generation`` as well as the
log's last position, since a rebuild rewrites the rows without appending to the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "store_0002"
down_revision = "0001"
branch_labels = ("store",)
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(meta, [{"key": "projection_generation", "value": 0}])


def downgrade() -> None:
    op.drop_table("store_meta")
