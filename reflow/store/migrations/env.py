"""Alembic environment: migrations run on the connection the node opened (never a second URL)."""

from __future__ import annotations

from alembic import context

from reflow.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
