"""Writing many rows at once: the statements the ingest commit sends, and how it sends them.

PostgreSQL's driver pipelines ``executemany`` already. SQLite's steps one row at a time and
gives the GIL back around every step: behind the judging thread of the ingest pipeline each row
then waited for the GIL again (measured at 100k records: the commit thread spent a third of its
time so). On SQLite rows therefore go as multi-row ``VALUES`` statements, a few hundred rows a
step.

A multi-row statement that may stop half-way (a constraint failing on its tenth row) makes
SQLite keep a *statement journal*: the original of every page the statement changes, so it can
undo that statement alone. Under a dozen random-keyed indexes that is most pages of the
database, again for every statement (measured at 100k records: 5.4 GB of journal writes for a
200 MB database). The commit never needs to undo one statement: any failure fails the whole
transaction. So on SQLite rows are written ``OR ROLLBACK`` (a failure rolls the transaction
back, and there is nothing to journal), and an upsert, whose ``DO UPDATE`` part SQLite always
journals, is split: the keys that exist are read first, new rows are inserted, existing rows
updated (``UPDATE … FROM (VALUES …)``). PostgreSQL has no such journal: it gets one
``INSERT … ON CONFLICT … DO UPDATE``.
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
Row = tuple[Any, ...]


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
        if dialect != "sqlite":
            cursor.executemany(insert_sql(dialect, table, cols, keys, updates), rows)
        elif keys is None:
            _insert_sqlite(cursor, table, cols, rows)
        elif len(keys) == 1:
            _upsert_sqlite(cursor, table, cols, rows, keys[0], updates)
        else:  # composite keys: only small service tables have them; one row per statement
            cursor.executemany(insert_sql(dialect, table, cols, keys, updates), rows)
    finally:
        cursor.close()


def _per_statement(cols: Sequence[str]) -> int:
    return max(1, min(ROWS_PER_STATEMENT, SQLITE_MAX_PARAMS // len(cols)))


def _insert_sqlite(cursor: Any, table: str, cols: tuple[str, ...], rows: Sequence[Row]) -> None:
    per = _per_statement(cols)
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        sql = insert_sql("sqlite", table, cols, count=len(part))
        cursor.execute(sql, list(chain.from_iterable(part)))


def _upsert_sqlite(
    cursor: Any,
    table: str,
    cols: tuple[str, ...],
    rows: Sequence[Row],
    key: str,
    updates: tuple[str, ...] | None,
) -> None:
    """What one upsert per row, in order, would leave: new keys inserted (a key given twice
    is inserted once, then updated), existing keys updated."""
    k = cols.index(key)
    if updates is None:
        updates = tuple(c for c in cols if c != key)
    update_at = [cols.index(c) for c in updates]
    latest: dict[Any, Row] = {}
    for row in rows:
        before = latest.get(row[k])
        if before is not None:  # the first row inserts, later ones update some columns
            merged = list(before)
            for i in update_at:
                merged[i] = row[i]
            row = tuple(merged)
        latest[row[k]] = row
    found = _existing(cursor, table, key, list(latest))
    _insert_sqlite(cursor, table, cols, [r for key_, r in latest.items() if key_ not in found])
    old = [r for key_, r in latest.items() if key_ in found]
    if not old or not updates:
        return
    shape = (key, *updates)
    picked = [k, *update_at]
    per = _per_statement(shape)
    for start in range(0, len(old), per):
        part = old[start : start + per]
        sql = update_sql(table, shape, len(part))
        cursor.execute(sql, [row[i] for row in part for i in picked])


def _existing(cursor: Any, table: str, key: str, values: list[Any]) -> set[Any]:
    """The values of ``key`` that ``table`` holds (each a primary-key lookup)."""
    found: set[Any] = set()
    per = 500
    for start in range(0, len(values), per):
        part = values[start : start + per]
        marks = ", ".join("?" * len(part))
        cursor.execute(f"SELECT {key} FROM {table} WHERE {key} IN ({marks})", part)
        found.update(r[0] for r in cursor.fetchall())
    return found


def update_sql(table: str, shape: tuple[str, ...], count: int) -> str:
    """SQLite: update ``count`` rows keyed by ``shape[0]`` with the other columns of
    ``shape``, from one ``VALUES`` list (``OR ROLLBACK``: see the module's docstring)."""
    cache_key = ("update", table, shape, count)
    sql = _SQL.get(cache_key)
    if sql is None:
        group = f"({', '.join('?' * len(shape))})"
        sets = ", ".join(f"{c} = u.column{i}" for i, c in enumerate(shape[1:], 2))
        sql = (
            f"UPDATE OR ROLLBACK {table} SET {sets} FROM (VALUES {', '.join([group] * count)})"
            f" AS u WHERE {table}.{shape[0]} = u.column1"
        )
        _SQL[cache_key] = sql
    return sql


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
        # OR ROLLBACK: see the module's docstring (the upsert clause keeps its own rule)
        verb = "INSERT OR ROLLBACK" if dialect == "sqlite" and keys is None else "INSERT"
        sql = f"{verb} INTO {table} ({', '.join(cols)}) VALUES {', '.join([group] * count)}"
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
