"""The state digest: one hash over the canonical projection state and the set of records.

Two nodes that hold the same records must compute the same state; this digest proves it. It is
computed from rows read in primary-key order and encoded canonically in Python, so SQLite and
PostgreSQL give the same digest for the same state.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Table, select

from reflow.store.schema import NODE_LOCAL_COLUMNS, PROJECTION_TABLES, records
from reflow.store.sqlstore import SqlStore

CHUNK = 5000


def _norm(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    return str(value)


def _hash_table(store: SqlStore, table: Table, h: Any, columns: list[Any]) -> int:
    pk = list(table.primary_key.columns)
    count = 0
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
            select(*columns).order_by(*pk)
        )
        for row in result:
            line = json.dumps([_norm(v) for v in row], ensure_ascii=False, separators=(",", ":"))
            h.update(line.encode())
            h.update(b"\n")
            count += 1
    return count


def state_digest(store: SqlStore) -> dict[str, Any]:
    """``{"digest": hex, "tables": {name: rows}}`` for the current state."""
    h = hashlib.sha256()
    counts: dict[str, int] = {}
    h.update(b"records\n")
    with store.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(select(records.c.hash).order_by(records.c.hash))]
    for x in hashes:
        h.update(x.encode() + b"\n")
    counts["records"] = len(hashes)
    for table in PROJECTION_TABLES:
        h.update(f"{table.name}\n".encode())
        columns = [c for c in table.columns if (table.name, c.name) not in NODE_LOCAL_COLUMNS]
        counts[table.name] = _hash_table(store, table, h, columns)
    return {"digest": h.hexdigest(), "tables": counts}
