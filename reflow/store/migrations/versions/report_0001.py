"""The report service's tables: the territory, its districts and the places of events.

Revision ID: report_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "report_0001"
down_revision = "0001"
branch_labels = ("report",)
depends_on = None

ID = sa.String(length=64)
QTY = sa.String(length=80)


def upgrade() -> None:
    op.create_table(
        "report_districts",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_long", QTY, nullable=False),
        sa.Column("min_lat", QTY, nullable=False),
        sa.Column("max_long", QTY, nullable=False),
        sa.Column("max_lat", QTY, nullable=False),
        sa.Column("record", ID, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "report_territory",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("record", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("h3_resolution", sa.Integer(), nullable=False),
        sa.Column("district_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "report_event_places",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("record", ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("input_of", ID, nullable=True),
        sa.Column("output_of", ID, nullable=True),
        sa.Column("resource", ID, nullable=True),
        sa.Column("spec", ID, nullable=True),
        sa.Column("material", sa.String(length=200), nullable=False),
        sa.Column("is_waste", sa.Integer(), nullable=False),
        sa.Column("is_reuse", sa.Integer(), nullable=False),
        sa.Column("is_repair", sa.Integer(), nullable=False),
        sa.Column("has_input", sa.Integer(), nullable=False),
        sa.Column("is_local", sa.Integer(), nullable=False),
        sa.Column("has_distance", sa.Integer(), nullable=False),
        sa.Column("has_mass", sa.Integer(), nullable=False),
        sa.Column("quantity", QTY, nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("mass_kg", QTY, nullable=True),
        sa.Column("mass_reason", sa.Text(), nullable=True),
        sa.Column("lat", QTY, nullable=True),
        sa.Column("long", QTY, nullable=True),
        sa.Column("district", ID, nullable=True),
        sa.Column("place_reason", sa.String(length=40), nullable=True),
        sa.Column("from_lat", QTY, nullable=True),
        sa.Column("from_long", QTY, nullable=True),
        sa.Column("from_district", ID, nullable=True),
        sa.Column("origin_lat", QTY, nullable=True),
        sa.Column("origin_long", QTY, nullable=True),
        sa.Column("origin_district", ID, nullable=True),
        sa.Column("distance_km", QTY, nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    flow_keys = [
        "district", "material", "action", "from_district", "is_waste", "is_reuse", "is_repair",
        "has_input", "is_local", "has_distance", "has_mass", "unit", "month",
    ]  # fmt: skip
    from_keys = ["from_district", "material", "action", "district", "has_mass", "unit", "month"]
    # (``month`` last: FLOW_KEYS/FROM_KEYS in reflow.report.tables, then month)
    places = "report_event_places"
    op.create_index("ix_report_places_flows", places, [*flow_keys, "at", "mass_kg", "distance_km"])
    op.create_index("ix_report_places_from", places, [*from_keys, "at", "mass_kg"])
    op.create_index("ix_report_places_prov", places, ["district", "provider", "action", "at"])
    op.create_index("ix_report_places_recv", places, ["district", "receiver", "action", "at"])
    op.create_index(
        "ix_report_places_spec", places,
        ["spec", "action", "at", "district", "has_input", "is_reuse", "mass_kg", "output_of"],
    )  # fmt: skip
    op.create_index(
        "ix_report_places_inputs", places, ["input_of", "action", "is_waste", "is_reuse", "mass_kg"]
    )


def downgrade() -> None:
    op.drop_table("report_event_places")
    op.drop_table("report_territory")
    op.drop_table("report_districts")
