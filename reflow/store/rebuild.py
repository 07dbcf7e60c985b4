"""Rebuild: drop every projection and recompute it from the log alone.

The log is the truth. Replaying it in log order through the same handlers must give the same
state (the same digest) as the live projections; if it does not, a projection has a bug.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, update

from reflow.errors import ReflowError
from reflow.ledger.ledger import Ledger
from reflow.store.schema import DERIVED_TABLES, PROJECTION_GENERATION, PROJECTION_TABLES, store_meta
from reflow.store.sqlstore import SqlStore

BATCH = 1000


def rebuild(
    store: SqlStore,
    network: str,
    progress: Callable[[int], None] | None = None,
    refused: list[tuple[str, ReflowError]] | None = None,
) -> int:
    """Recompute the projections; returns how many records were replayed.

    Records of the log that this version's rules no longer accept are left out of the state and
    appended to ``refused`` (hash, reason): the state then differs from the one they were
    accepted into, which the caller must say loudly (``reflow rebuild`` exits with an error).

    The projection generation is bumped as the rows are dropped and again once they are all
    back, so a cache of projection rows taken before, or during, the rebuild is not used after.
    """
    with store.engine.begin() as conn:
        for table in [*reversed(DERIVED_TABLES), *reversed(PROJECTION_TABLES)]:
            conn.execute(table.delete())
        _next_generation(conn)
    store.clear_cache()
    ledger = Ledger(store, network, verify=False)
    done = 0
    batch = []
    for rec in store.iter_records():
        batch.append(rec)
        if len(batch) >= BATCH:
            _note(ledger.replay(batch), refused)
            done += len(batch)
            batch = []
            if progress:
                progress(done)
    if batch:
        _note(ledger.replay(batch), refused)
        done += len(batch)
        if progress:
            progress(done)
    with store.engine.begin() as conn:
        _next_generation(conn)
    return done


def _note(found: list[tuple[str, ReflowError]], into: list[tuple[str, ReflowError]] | None) -> None:
    if into is not None:
        into.extend(found)


def _next_generation(conn: Connection) -> None:
    conn.execute(
        update(store_meta)
        .where(store_meta.c.key == PROJECTION_GENERATION)
        .values(value=store_meta.c.value + 1)
    )
