"""Writing many rows at once: the statements the ingest commit sends, and how it sends them.

PostgreSQL's driver pipelines ``executemany`` already. SQLite's steps one row at a time and
gives the GIL back around every step: behind the judging thread of the ingest pipeline each row
then waited for the GIL again (measured at 100k records: the commit thread spent a third of its
time so). On SQLite rows therefore go as multi-row ``VALUES`` statements, a few hundred rows a
step. Both backends speak ``INSERT … ON CONFLICT … DO UPDATE`` for upserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Connection

# Rows per multi-row INSERT on SQLite, and the parameters one statement may carry (SQLite's
# compiled-in default limit, lower than what most builds allow).
ROWS_PER_STATEMENT = 256
SQLITE_MAX_PARAMS = 32_766

_SQL: dict[tuple[Any, ...], str] = {}


def write_rows(
    conn: Connection,
    table: str,
    cols: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    keys: tuple[str, ...] | None = None,
    updates: tuple[str, ...] | None = None,
) -> None:
    """Insert ``rows`` (tuples in ``cols`` order) into ``table``, in the transaction of
    ``conn``. With ``keys``, a row whose key exists updates the columns ``updates`` (default:
    all but the key; none: the row is skipped)."""
    if not rows:
        return
    dialect = conn.dialect.name
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect != "sqlite" or len(rows) == 1:
            cursor.executemany(insert_sql(dialect, table, cols, keys, updates), rows)
            return
        per = max(1, min(ROWS_PER_STATEMENT, SQLITE_MAX_PARAMS // len(cols)))
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            sql = insert_sql(dialect, table, cols, keys, updates, len(part))
            cursor.execute(sql, list(chain.from_iterable(part)))
    finally:
        cursor.close()


def param_mark(dialect: str) -> str:
    """The driver's positional parameter (sqlite3: qmark, psycopg: format)."""
    return "?" if dialect == "sqlite" else "%s"


def insert_sql(
    dialect: str,
    table: str,
    cols: tuple[str, ...],
    keys: tuple[str, ...] | None = None,
    updates: tuple[str, ...] | None = None,
    count: int = 1,
) -> str:
    """The INSERT (or upsert) of ``count`` rows, built once per shape."""
    cache_key = (dialect, table, cols, keys, updates, count)
    sql = _SQL.get(cache_key)
    if sql is None:
        mark = param_mark(dialect)
        group = f"({', '.join([mark] * len(cols))})"
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([group] * count)}"
        if keys is not None:
            if updates is None:
                updates = tuple(c for c in cols if c not in keys)
            if updates:
                sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
                sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
            else:
                sql += f" ON CONFLICT ({', '.join(keys)}) DO NOTHING"
        _SQL[cache_key] = sql
    return sql
