"""Acceptance offers, the publisher's verdicts on them, and released reservations.

Revision ID: market_0003
Revises: market_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "market_0003"
down_revision = "market_0002"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
QTY = sa.String(length=80)


def upgrade() -> None:
    op.create_table(
        "market_acceptances",
        sa.Column("id", ID, primary_key=True),
        sa.Column("proposal", ID, nullable=False),
        sa.Column("own", ID),
        sa.Column("acceptor", sa.String(length=64), nullable=False),
        sa.Column("publisher", sa.String(length=64), nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("own_quantity", QTY),
        sa.Column("note", sa.Text()),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("decided", sa.String(length=64)),
        sa.Column("agreement", ID),
        sa.Column("reason", sa.Text()),
        sa.Column("created", sa.String(length=40), nullable=False),
    )
    for col in ("proposal", "acceptor", "publisher"):
        op.create_index(f"ix_market_acceptances_{col}", "market_acceptances", [col])
    op.create_table(
        "market_releases",
        sa.Column("acceptance", ID, primary_key=True),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("market_releases")
    op.drop_table("market_acceptances")
