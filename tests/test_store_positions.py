"""Events carry their record's log position on this node: catch-ups read new events by it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select
from support import NETWORK, World, qty

from reflow.ledger.ledger import Ledger
from reflow.store import database
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.schema import events, records
from reflow.store.sqlstore import SqlStore


def _positions(store: SqlStore) -> dict[str, tuple[int | None, int]]:
    """event id -> (its pos, its record's pos)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(events.c.id, events.c.pos, records.c.pos).join(
                records, records.c.hash == events.c.record
            )
        )
        return {i: (p, rp) for i, p, rp in rows}


def _scene(store: SqlStore) -> None:
    world = World(Ledger(store, NETWORK))
    a, b = world.agent("A"), world.agent("B")
    spec = world.spec(a, "wool")
    made = world.event(a, action="raise", provider=a, receiver=a, resourceConformsTo=spec,
                       resourceQuantity=qty(10))  # fmt: skip
    moved = world.event(a, action="transfer", provider=a, receiver=b,
                        resourceInventoriedAs=made["EconomicResource"],
                        resourceQuantity=qty(4))  # fmt: skip
    world.event(a, action="transfer", provider=a, receiver=b, corrects=moved["EconomicEvent"],
                resourceInventoriedAs=made["EconomicResource"],
                toResourceInventoriedAs=moved["toEconomicResource"],
                resourceQuantity=qty(5))  # fmt: skip


def test_every_event_has_the_position_of_the_record_that_made_it(store: SqlStore) -> None:
    _scene(store)
    found = _positions(store)
    # the corrected event keeps its own position when the correction rewrites its row
    assert len(found) == 3 and all(p == rp for p, rp in found.values())
    before = state_digest(store)
    rebuild(store, NETWORK)  # the replay looks the positions up
    assert _positions(store) == found
    assert state_digest(store) == before


def test_an_older_database_gives_its_events_their_records_positions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = SqlStore.open(url)
    _scene(store)
    expected = _positions(store)
    before = state_digest(store)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(database.__file__).parent / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "store_0003")
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    assert _positions(store) == expected
    assert state_digest(store) == before
    store.close()
