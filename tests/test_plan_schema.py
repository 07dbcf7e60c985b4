"""The planner's migrations create exactly the tables and columns the code declares, on every
backend (a node upgraded from an older schema and a fresh one hold the same projections)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reflow.plan import tables  # noqa: F401  (declares the plan tables on the metadata)
from reflow.store.schema import metadata
from reflow.store.sqlstore import SqlStore


def test_migrations_match_the_declared_plan_tables(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if "plan_" in str(d)] == []
