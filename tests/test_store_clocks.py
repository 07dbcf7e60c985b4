"""Migration store_0003: logical clocks on records and events, holder events on resources.

The columns the code declares are the ones the migration makes, on every backend; and a database
written before the migration gets its records' clocks computed in log order, the same clocks a
node that ingests the same records today computes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import select
from support import NETWORK, World, qty

from reflow.ledger.ledger import Ledger
from reflow.store import database
from reflow.store.rebuild import rebuild
from reflow.store.schema import metadata, records
from reflow.store.sqlstore import SqlStore

OURS = ("clock", "holder_event")


def test_the_migration_makes_the_declared_columns(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if any(name in str(d) for name in OURS)] == []


def _clocks(store: SqlStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {h: int(c) for h, c in conn.execute(select(records.c.hash, records.c.clock))}


def test_an_older_database_gets_the_clocks_a_fresh_node_computes(tmp_path: Path) -> None:
    fresh = SqlStore.open(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    world = World(Ledger(fresh, NETWORK))
    a, b = world.agent("A"), world.agent("B")
    spec = world.spec(a, "wool")
    made = world.event(a, action="raise", provider=a, receiver=a, resourceConformsTo=spec,
                       resourceQuantity=qty(10))  # fmt: skip
    world.event(a, action="transfer", provider=a, receiver=b,
                resourceInventoriedAs=made["EconomicResource"],
                resourceQuantity=qty(4))  # fmt: skip
    expected = _clocks(fresh)
    assert max(expected.values()) > 2

    # the same log in a database at the revision before, then upgraded
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = database.make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(database.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "store_0002")
        command.upgrade(cfg, "heads")  # every other branch, then store_0003 after it
        command.downgrade(cfg, "store_0002")
    old = SqlStore(engine)
    with fresh.engine.connect() as src, engine.begin() as dst:
        cols = [c for c in records.c if c.name != "clock"]
        rows = [dict(r._mapping) for r in src.execute(select(*cols).order_by(records.c.pos))]
        dst.execute(records.insert(), rows)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    assert _clocks(old) == expected
    engine.dispose()
    fresh.close()


def test_rebuild_recomputes_the_clocks_a_migration_could_only_estimate(tmp_path: Path) -> None:
    """A migrated database knows prev and deps only; a record that touched another chain's
    resource without naming it was raised past it when ingested. Rebuild puts that right."""
    store = SqlStore.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    world = World(Ledger(store, NETWORK))
    a = world.agent("A")
    spec = world.spec(a, "wool")
    world.event(a, action="raise", provider=a, receiver=a, resourceConformsTo=spec,
                resourceQuantity=qty(10))  # fmt: skip
    right = _clocks(store)
    with store.engine.begin() as conn:
        conn.execute(records.update().values(clock=1))  # what a rough estimate could leave
    rebuild(store, NETWORK)
    assert _clocks(store) == right


def test_the_read_cache_forgets_its_older_half_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded, and a trim keeps the newer half (clearing everything made a node
    catching up read back all it was still using); a forgotten entry is read again, the same."""
    from reflow.store import sqlstore

    monkeypatch.setattr(sqlstore, "CACHE_LIMIT", 40)
    store = SqlStore.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    world = World(Ledger(store, NETWORK))
    a = world.agent("A")
    spec = world.spec(a, "wool")

    def cached() -> int:
        return len(store._resources) + len(store._events) + len(store._objects)

    made, sizes = [], []
    for i in range(60):
        made.append(world.event(a, action="raise", provider=a, receiver=a,
                                resourceConformsTo=spec,
                                resourceQuantity=qty(i + 1))["EconomicResource"])  # fmt: skip
        sizes.append(cached())
    assert max(sizes) <= sqlstore.CACHE_LIMIT + 3  # one record's changes past a trim
    full = sizes.index(max(sizes))
    assert min(sizes[full:]) >= sqlstore.CACHE_LIMIT // 2  # never back to (almost) nothing
    quantities = [store.resource(r).accounting_quantity for r in made]  # type: ignore[union-attr]
    assert quantities == [i + 1 for i in range(60)]
