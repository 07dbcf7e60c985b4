"""The store's own facts: the migration builds ``store_meta`` as declared, rebuild counts itself."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from support import NETWORK, World

from reflow.store.rebuild import rebuild
from reflow.store.schema import PROJECTION_GENERATION, metadata, store_meta
from reflow.store.sqlstore import SqlStore


def generation(store: SqlStore) -> int:
    with store.engine.connect() as conn:
        query = select(store_meta.c.value).where(store_meta.c.key == PROJECTION_GENERATION)
        return int(conn.execute(query).scalar_one())


def test_migrations_match_the_declared_store_meta(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if "store_meta" in repr(d)] == []


def test_a_rebuild_moves_the_projection_generation_as_it_starts_and_ends(world: World) -> None:
    store = world.ledger.store
    world.agent("Ada")
    assert generation(store) == 0
    during: list[int] = []
    rebuild(store, NETWORK, progress=lambda _done: during.append(generation(store)))
    # Moved once the rows are dropped (a cache taken before is not used during the replay) and
    # again once they are all back (nor one taken during it after).
    assert during == [1]
    assert generation(store) == 2
