"""The governance migration creates exactly the tables the code declares, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reflow.store.schema import metadata
from reflow.store.sqlstore import SqlStore

OURS = ("identity_keys", "govern_")


def test_migration_matches_the_declared_governance_tables(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if any(name in str(d) for name in OURS)] == []
