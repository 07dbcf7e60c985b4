"""Providers' answers to plan commitments, reduced commitments, and booked blocks of time.

Revision ID: plan_0002
Revises: plan_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "plan_0002"
down_revision = "plan_0001"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
QTY = sa.String(length=80)
T40 = sa.String(length=40)


def upgrade() -> None:
    with op.batch_alter_table("plan_commitments") as batch:
        batch.add_column(sa.Column("begins", T40))
        batch.add_column(sa.Column("ends", T40))
    op.create_index(
        "ix_plan_commitments_provider_role", "plan_commitments", ["provider", "role"]
    )
    op.create_table(
        "plan_answers",
        sa.Column("record", sa.String(length=64), primary_key=True),
        sa.Column("commitment", ID, nullable=False),
        sa.Column("plan", ID, nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("created", T40, nullable=False),
    )
    for col in ("commitment", "plan", "provider"):
        op.create_index(f"ix_plan_answers_{col}", "plan_answers", [col])
    op.create_table(
        "plan_reductions",
        sa.Column("commitment", ID, primary_key=True),
        sa.Column("record", sa.String(length=64), primary_key=True),
        sa.Column("plan", ID, nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_plan_reductions_plan", "plan_reductions", ["plan"])


def downgrade() -> None:
    op.drop_table("plan_reductions")
    op.drop_table("plan_answers")
    op.drop_index("ix_plan_commitments_provider_role", "plan_commitments")
    with op.batch_alter_table("plan_commitments") as batch:
        batch.drop_column("ends")
        batch.drop_column("begins")
