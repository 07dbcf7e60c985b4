"""Rebuild: drop every projection and recompute it from the log alone.

The log is the truth. Replaying it in log order through the same handlers must give the same
state (the same digest) as the live projections; if it does not, a projection has a bug.
"""

from __future__ import annotations

from collections.abc import Callable

from reflow.ledger.ledger import Ledger
from reflow.store.schema import DERIVED_TABLES, PROJECTION_TABLES
from reflow.store.sqlstore import SqlStore

BATCH = 1000


def rebuild(store: SqlStore, network: str, progress: Callable[[int], None] | None = None) -> int:
    """Recompute the projections; returns how many records were replayed."""
    with store.engine.begin() as conn:
        for table in [*reversed(DERIVED_TABLES), *reversed(PROJECTION_TABLES)]:
            conn.execute(table.delete())
    store.clear_cache()
    ledger = Ledger(store, network, verify=False)
    done = 0
    batch = []
    for rec in store.iter_records():
        batch.append(rec)
        if len(batch) >= BATCH:
            ledger.replay(batch)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        ledger.replay(batch)
        done += len(batch)
        if progress:
            progress(done)
    return done
