"""Identity keys (rotation, revocation) and the governance projections.

Revision ID: govern_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "govern_0001"
down_revision = "0001"
branch_labels = ("govern",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_keys",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("agent", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("since", sa.String(64), nullable=False),
        sa.Column("until_seq", sa.BigInteger),
        sa.Column("replaced_by", sa.String(64)),
        sa.Column("reason", sa.Text),
    )
    op.create_table(
        "govern_networks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("founder", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("k", sa.String(8), nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
        sa.Column("genesis", sa.Text, nullable=False),
    )
    op.create_table(
        "govern_members",
        sa.Column("agent", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
        sa.Column("since", sa.String(40), nullable=False),
    )
    op.create_table(
        "govern_invitations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("inviter", sa.String(64), nullable=False, index=True),
        sa.Column("invitee", sa.String(64), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
    )
    op.create_table(
        "govern_grants",
        sa.Column("agent", sa.String(64), primary_key=True),
        sa.Column("organization", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
    )
    op.create_table(
        "govern_contracts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("condition", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("zencode", sa.Text, nullable=False),
        sa.Column("record", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "govern_contracts", "govern_grants", "govern_invitations", "govern_members",
        "govern_networks", "identity_keys",
    ):  # fmt: skip
        op.drop_table(name)
