"""The value service's table: the part of each claim each payment settled.

Revision ID: value_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "value_0001"
down_revision = "0001"
branch_labels = ("value",)
depends_on = None

ID = sa.String(length=64)
QTY = sa.String(length=80)


def upgrade() -> None:
    op.create_table(
        "value_settlements",
        sa.Column("event", ID, nullable=False),
        sa.Column("claim", ID, nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event", "claim"),
    )
    op.create_index("ix_value_settlements_claim", "value_settlements", ["claim"])


def downgrade() -> None:
    op.drop_index("ix_value_settlements_claim", table_name="value_settlements")
    op.drop_table("value_settlements")
