"""The market's migrations build exactly the tables and indexes its code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reflow.market.tables import TABLES
from reflow.store.schema import metadata
from reflow.store.sqlstore import SqlStore


def test_migrations_match_the_declared_market_tables(store: SqlStore) -> None:
    names = {t.name for t in TABLES}
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diff if any(n in repr(d) for n in names)]
    assert ours == []
