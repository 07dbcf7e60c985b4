"""Read-only queries the command line and the inventory service need beyond ``SqlStore``'s own.

They live here, in the store layer, because they speak SQL; the services above turn their rows
into what people read. Nothing here writes: every write goes through ``Ledger.append``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from reflow.ledger.records import Record
from reflow.store import codec
from reflow.store.schema import records, resources
from reflow.store.sqlstore import SqlStore, record_from_row
from reflow.vf.state import ResourceState


@dataclass(frozen=True, slots=True)
class LoggedRecord:
    """A record with its position in this node's log (positions are local, hashes global)."""

    pos: int
    record: Record


def all_resources(store: SqlStore) -> list[ResourceState]:
    """Every economic resource, in id order (ids are stable across nodes)."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(resources).order_by(resources.c.id)).all()
    return [codec.resource_from_row(r) for r in rows]


def count_records(store: SqlStore) -> int:
    """How many records the log holds (to size progress bars)."""
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(records)).scalar() or 0)


def select_records(
    store: SqlStore,
    *,
    author: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[LoggedRecord]:
    """The latest ``limit`` records matching the filters, returned oldest first."""
    stmt = select(records)
    if author is not None:
        stmt = stmt.where(records.c.author == author)
    if kind is not None:
        stmt = stmt.where(records.c.kind == kind)
    stmt = stmt.order_by(records.c.pos.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [LoggedRecord(int(r.pos), record_from_row(r)) for r in reversed(rows)]


def record_positions(store: SqlStore, hashes: Iterable[str]) -> dict[str, tuple[int, str]]:
    """``{hash: (log position, created)}`` for the given records, to order and date events."""
    wanted = sorted(set(hashes))
    out: dict[str, tuple[int, str]] = {}
    with store.engine.connect() as conn:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = conn.execute(
                select(records.c.hash, records.c.pos, records.c.created).where(
                    records.c.hash.in_(chunk)
                )
            ).all()
            out.update({r.hash: (int(r.pos), r.created) for r in rows})
    return out
