"""The market's projections: proposals, intents (with their classes), agreements, fulfilments.

Revision ID: market_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "market_0001"
down_revision = "0001"
branch_labels = ("market",)
depends_on = None

ID = sa.String(length=64)
QTY = sa.String(length=80)


def upgrade() -> None:
    op.create_table(
        "market_proposals",
        sa.Column("id", ID, primary_key=True),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("unit_based", sa.Boolean(), nullable=False),
        sa.Column("begins", sa.String(length=40)),
        sa.Column("ends", sa.String(length=40)),
        sa.Column("radius_km", QTY),
        sa.Column("location", ID),
        sa.Column("proposed_to", sa.Text(), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
    )
    op.create_index("ix_market_proposals_agent", "market_proposals", ["agent"])
    op.create_table(
        "market_intents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("proposal", ID, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64)),
        sa.Column("receiver", sa.String(length=64)),
        sa.Column("spec", ID),
        sa.Column("classes", sa.Text(), nullable=False),
        sa.Column("is_work", sa.Boolean(), nullable=False),
        sa.Column("available", QTY),
        sa.Column("minimum", QTY),
        sa.Column("unit", sa.String(length=64)),
        sa.Column("location", ID),
        sa.Column("lat", sa.Float()),
        sa.Column("long", sa.Float()),
        sa.Column("begins", sa.String(length=40)),
        sa.Column("ends", sa.String(length=40)),
        sa.Column("proposed_to", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
    )
    op.create_index("ix_market_intents_proposal", "market_intents", ["proposal"])
    op.create_index("ix_market_intents_spec", "market_intents", ["spec", "purpose", "lat"])
    op.create_index("ix_market_intents_purpose", "market_intents", ["purpose", "status", "lat"])
    op.create_table(
        "market_intent_classes",
        sa.Column("intent", ID, primary_key=True),
        sa.Column("uri", sa.String(length=300), primary_key=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("long", sa.Float()),
    )
    op.create_index(
        "ix_market_intent_classes_uri", "market_intent_classes", ["uri", "purpose", "lat"]
    )
    op.create_table(
        "market_withdrawals",
        sa.Column("proposal", ID, primary_key=True),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
    )
    op.create_table(
        "market_agreements",
        sa.Column("id", ID, primary_key=True),
        sa.Column("proposal", ID, nullable=False),
        sa.Column("own", ID),
        sa.Column("accepted_by", sa.String(length=64), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
    )
    op.create_index("ix_market_agreements_proposal", "market_agreements", ["proposal"])
    op.create_index("ix_market_agreements_accepted_by", "market_agreements", ["accepted_by"])
    op.create_table(
        "market_commitments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("agreement", ID, nullable=False),
        sa.Column("reciprocal", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("spec", ID),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("satisfies", sa.Text(), nullable=False),
    )
    op.create_index("ix_market_commitments_agreement", "market_commitments", ["agreement"])
    op.create_table(
        "market_fulfilments",
        sa.Column("event", ID, primary_key=True),
        sa.Column("commitment", ID, primary_key=True),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_market_fulfilments_commitment", "market_fulfilments", ["commitment"])
    op.create_table(
        "market_concepts",
        sa.Column("uri", sa.String(length=300), primary_key=True),
        sa.Column("broader", sa.String(length=300)),
        sa.Column("label", sa.Text()),
        sa.Column("scheme", sa.String(length=300)),
    )
    op.create_index("ix_market_concepts_broader", "market_concepts", ["broader"])


def downgrade() -> None:
    for name in (
        "market_concepts",
        "market_fulfilments",
        "market_commitments",
        "market_agreements",
        "market_withdrawals",
        "market_intent_classes",
        "market_intents",
        "market_proposals",
    ):
        op.drop_table(name)
