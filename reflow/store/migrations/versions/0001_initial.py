"""The log, the evidence of equivocations, and the VF projections.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "economic_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("input_of", sa.String(length=64), nullable=True),
        sa.Column("output_of", sa.String(length=64), nullable=True),
        sa.Column("resource_inventoried_as", sa.String(length=64), nullable=True),
        sa.Column("to_resource_inventoried_as", sa.String(length=64), nullable=True),
        sa.Column("resource_conforms_to", sa.String(length=64), nullable=True),
        sa.Column("resource_quantity", sa.String(length=80), nullable=True),
        sa.Column("resource_unit", sa.String(length=64), nullable=True),
        sa.Column("effort_quantity", sa.String(length=80), nullable=True),
        sa.Column("effort_unit", sa.String(length=64), nullable=True),
        sa.Column("has_point_in_time", sa.String(length=40), nullable=True),
        sa.Column("has_beginning", sa.String(length=40), nullable=True),
        sa.Column("has_end", sa.String(length=40), nullable=True),
        sa.Column("at_location", sa.String(length=64), nullable=True),
        sa.Column("to_location", sa.String(length=64), nullable=True),
        sa.Column("previous_event", sa.String(length=64), nullable=True),
        sa.Column("to_previous_event", sa.String(length=64), nullable=True),
        sa.Column("corrects", sa.String(length=64), nullable=True),
        sa.Column("corrected_by", sa.String(length=64), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("deltas", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_economic_events_action"), "economic_events", ["action"], unique=False)
    op.create_index(
        op.f("ix_economic_events_input_of"), "economic_events", ["input_of"], unique=False
    )
    op.create_index(
        op.f("ix_economic_events_output_of"), "economic_events", ["output_of"], unique=False
    )
    op.create_index(
        op.f("ix_economic_events_provider"), "economic_events", ["provider"], unique=False
    )
    op.create_index(
        op.f("ix_economic_events_receiver"), "economic_events", ["receiver"], unique=False
    )
    op.create_index(op.f("ix_economic_events_record"), "economic_events", ["record"], unique=False)
    op.create_index(
        op.f("ix_economic_events_resource_conforms_to"),
        "economic_events",
        ["resource_conforms_to"],
        unique=False,
    )
    op.create_index(
        op.f("ix_economic_events_resource_inventoried_as"),
        "economic_events",
        ["resource_inventoried_as"],
        unique=False,
    )
    op.create_index(
        op.f("ix_economic_events_to_resource_inventoried_as"),
        "economic_events",
        ["to_resource_inventoried_as"],
        unique=False,
    )
    op.create_table(
        "economic_resources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("conforms_to", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("accounting_quantity", sa.String(length=80), nullable=False),
        sa.Column("onhand_quantity", sa.String(length=80), nullable=False),
        sa.Column("primary_accountable", sa.String(length=64), nullable=True),
        sa.Column("custodian", sa.String(length=64), nullable=True),
        sa.Column("current_location", sa.String(length=64), nullable=True),
        sa.Column("contained_in", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=200), nullable=True),
        sa.Column("previous_event", sa.String(length=64), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tracking_identifier", sa.String(length=200), nullable=True),
        sa.Column("classified_as", sa.Text(), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_economic_resources_conforms_to"),
        "economic_resources",
        ["conforms_to"],
        unique=False,
    )
    op.create_index(
        op.f("ix_economic_resources_contained_in"),
        "economic_resources",
        ["contained_in"],
        unique=False,
    )
    op.create_index(
        op.f("ix_economic_resources_current_location"),
        "economic_resources",
        ["current_location"],
        unique=False,
    )
    op.create_index(
        op.f("ix_economic_resources_custodian"), "economic_resources", ["custodian"], unique=False
    )
    op.create_index(
        op.f("ix_economic_resources_primary_accountable"),
        "economic_resources",
        ["primary_accountable"],
        unique=False,
    )
    op.create_index(
        op.f("ix_economic_resources_tracking_identifier"),
        "economic_resources",
        ["tracking_identifier"],
        unique=False,
    )
    op.create_table(
        "equivocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kept", sa.String(length=64), nullable=False),
        sa.Column("other", sa.String(length=64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("detected", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("author", "seq", "other", name="uq_equivocation"),
    )
    op.create_index(op.f("ix_equivocations_author"), "equivocations", ["author"], unique=False)
    op.create_table(
        "records",
        sa.Column(
            "pos",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("network", sa.String(length=128), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("sig", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("pos"),
        sa.UniqueConstraint("author", "seq", name="uq_records_author_seq"),
        sa.UniqueConstraint("hash"),
    )
    op.create_index("ix_records_kind", "records", ["kind"], unique=False)
    op.create_table(
        "vf_objects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_vf_objects_author"), "vf_objects", ["author"], unique=False)
    op.create_index(op.f("ix_vf_objects_type"), "vf_objects", ["type"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_vf_objects_type"), table_name="vf_objects")
    op.drop_index(op.f("ix_vf_objects_author"), table_name="vf_objects")
    op.drop_table("vf_objects")
    op.drop_index("ix_records_kind", table_name="records")
    op.drop_table("records")
    op.drop_index(op.f("ix_equivocations_author"), table_name="equivocations")
    op.drop_table("equivocations")
    op.drop_index(
        op.f("ix_economic_resources_tracking_identifier"), table_name="economic_resources"
    )
    op.drop_index(
        op.f("ix_economic_resources_primary_accountable"), table_name="economic_resources"
    )
    op.drop_index(op.f("ix_economic_resources_custodian"), table_name="economic_resources")
    op.drop_index(op.f("ix_economic_resources_current_location"), table_name="economic_resources")
    op.drop_index(op.f("ix_economic_resources_contained_in"), table_name="economic_resources")
    op.drop_index(op.f("ix_economic_resources_conforms_to"), table_name="economic_resources")
    op.drop_table("economic_resources")
    op.drop_index(
        op.f("ix_economic_events_to_resource_inventoried_as"), table_name="economic_events"
    )
    op.drop_index(op.f("ix_economic_events_resource_inventoried_as"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_resource_conforms_to"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_record"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_receiver"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_provider"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_output_of"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_input_of"), table_name="economic_events")
    op.drop_index(op.f("ix_economic_events_action"), table_name="economic_events")
    op.drop_table("economic_events")
