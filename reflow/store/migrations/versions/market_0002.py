"""Match queries by specification use (spec, purpose, status, lat); the purpose index goes.

With only (purpose, status, lat) and (spec, purpose, lat) to choose from, SQLite's planner took
the purpose index for a query by specification and scanned every open offer in a latitude band.

Revision ID: market_0002
Revises: market_0001
"""

from __future__ import annotations

from alembic import op

revision = "market_0002"
down_revision = "market_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_market_intents_purpose", table_name="market_intents")
    op.drop_index("ix_market_intents_spec", table_name="market_intents")
    op.create_index(
        "ix_market_intents_spec", "market_intents", ["spec", "purpose", "status", "lat"]
    )


def downgrade() -> None:
    op.drop_index("ix_market_intents_spec", table_name="market_intents")
    op.create_index("ix_market_intents_spec", "market_intents", ["spec", "purpose", "lat"])
    op.create_index("ix_market_intents_purpose", "market_intents", ["purpose", "status", "lat"])
