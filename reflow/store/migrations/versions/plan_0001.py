"""The planner's projections: plans, revisions, processes, commitments, reservations.

Revision ID: plan_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "plan_0001"
down_revision = "0001"
branch_labels = ("plan",)
depends_on = None

ID = sa.String(length=64)
QTY = sa.String(length=80)
T40 = sa.String(length=40)


def upgrade() -> None:
    op.create_table(
        "plan_plans",
        sa.Column("id", ID, primary_key=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("spec", ID, nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("due", T40, nullable=False),
        sa.Column("place", ID),
        sa.Column("radius_km", QTY),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created", T40, nullable=False),
    )
    op.create_index("ix_plan_plans_author", "plan_plans", ["author"])
    op.create_table(
        "plan_revisions",
        sa.Column("record", sa.String(length=64), primary_key=True),
        sa.Column("plan", ID, nullable=False),
        sa.Column("created", T40, nullable=False),
        sa.Column("planned_at", T40, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_index("ix_plan_revisions_plan", "plan_revisions", ["plan"])
    op.create_table(
        "plan_processes",
        sa.Column("id", ID, primary_key=True),
        sa.Column("plan", ID, nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("recipe_process", ID),
        sa.Column("begins", T40, nullable=False),
        sa.Column("ends", T40, nullable=False),
        sa.Column("critical", sa.String(length=5), nullable=False),
    )
    op.create_index("ix_plan_processes_plan", "plan_processes", ["plan"])
    op.create_table(
        "plan_commitments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("plan", ID, nullable=False),
        sa.Column("process", ID),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("spec", ID),
        sa.Column("resource", ID),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("due", T40, nullable=False),
        sa.Column("intent", ID),
        sa.Column("explanation", sa.Text(), nullable=False),
    )
    op.create_index("ix_plan_commitments_plan", "plan_commitments", ["plan"])
    op.create_index("ix_plan_commitments_process", "plan_commitments", ["process"])
    op.create_index("ix_plan_commitments_intent", "plan_commitments", ["intent"])
    op.create_index("ix_plan_commitments_plan_role", "plan_commitments", ["plan", "role"])
    op.create_table(
        "plan_reservations",
        sa.Column("commitment", ID, primary_key=True),
        sa.Column("resource", ID, nullable=False),
        sa.Column("plan", ID, nullable=False),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_plan_reservations_resource", "plan_reservations", ["resource"])
    op.create_index("ix_plan_reservations_plan", "plan_reservations", ["plan"])
    op.create_table(
        "plan_cancellations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("plan", ID, nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_plan_cancellations_plan", "plan_cancellations", ["plan"])


def downgrade() -> None:
    for name in (
        "plan_cancellations",
        "plan_reservations",
        "plan_commitments",
        "plan_processes",
        "plan_revisions",
        "plan_plans",
    ):
        op.drop_table(name)
