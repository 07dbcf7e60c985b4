"""Events carry the log position of the record that made them, and are found by it.

Revision ID: store_0004
Revises: store_0003

Catch-ups (the trace index, the territory report) read "the events of the records after
position p". They joined records to events through an index on ``economic_events.record``, a
random-keyed index that every ingested event paid for (measured: dropping it raised the ingest
rate by a tenth). An index on the position only ever grows at its end. The position is this
node's (arrival order), so the state digest leaves it out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "store_0004"
down_revision = "store_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("economic_events", sa.Column("pos", sa.BigInteger()))
    op.execute(
        "UPDATE economic_events SET pos = "
        "(SELECT records.pos FROM records WHERE records.hash = economic_events.record)"
    )
    op.create_index("ix_economic_events_pos", "economic_events", ["pos"])
    op.drop_index("ix_economic_events_record", table_name="economic_events")


def downgrade() -> None:
    op.create_index("ix_economic_events_record", "economic_events", ["record"])
    op.drop_index("ix_economic_events_pos", table_name="economic_events")
    op.drop_column("economic_events", "pos")
