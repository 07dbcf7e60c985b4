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

Binding is the part of a SQLite write that holds the GIL, and a ``None`` is its dearest value:
the driver looks for an adapter for it (a tuple, a dict lookup, two attribute lookups), where a
string is bound straight away. Most columns of an event's or a resource's row are empty, so on
SQLite the rows of one statement share their empty columns, written as ``NULL`` in the SQL, and
only the others are bound (measured on rows of 28 columns, 17 empty: 6-8 µs a row bound whole,
1.4-2.3 µs so).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
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
    stored: bool = False,
) -> None:
    """Insert ``rows`` (tuples in ``cols`` order) into ``table``, in the transaction of
    ``conn``. With ``keys``, a row whose key exists updates the columns ``updates`` (default:
    all but the key; none: the row is skipped). ``stored``: the caller knows every key is in
    the table (its cache mirrors it), so SQLite skips looking them up."""
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
            _upsert_sqlite(cursor, table, cols, rows, keys[0], updates, stored)
        else:  # composite keys: only small service tables have them; one row per statement
            cursor.executemany(insert_sql(dialect, table, cols, keys, updates), rows)
    finally:
        cursor.close()


def _per_statement(bound: int) -> int:
    """Rows per statement when each row binds ``bound`` values."""
    return max(1, min(ROWS_PER_STATEMENT, SQLITE_MAX_PARAMS // max(1, bound)))


# A statement's rows come in a few sizes (a full statement, then a remainder cut into these),
# so that every commit reuses the same few statements the driver has prepared.
_REMAINDER_SIZES = (64, 16, 4, 1)
Shape = int  # bit i set: the rows of a statement bind a value in column i (else NULL)


def _shape(row: Row) -> Shape:
    shape, bit = 0, 1
    for value in row:
        if value is not None:
            shape |= bit
        bit <<= 1
    return shape


def _by_shape(rows: Sequence[Row], *, in_order: bool) -> Iterator[tuple[Shape, list[Row]]]:
    """The rows grouped by which of their columns are empty. ``in_order``: runs of consecutive
    rows, for a table whose rows are numbered as they are inserted (the log); else one group
    per shape (a keyed table: its rows' order means nothing)."""
    if in_order:
        run: list[Row] = []
        current: Shape | None = None
        for row in rows:
            shape = _shape(row)
            if shape != current:
                if run:
                    yield current, run  # type: ignore[misc]
                run, current = [], shape
            run.append(row)
        if run:
            yield current, run  # type: ignore[misc]
        return
    groups: dict[Shape, list[Row]] = {}
    for row in rows:
        shape = _shape(row)
        group = groups.get(shape)
        if group is None:
            groups[shape] = [row]
        else:
            group.append(row)
    yield from groups.items()


def _pieces(rows: list[Row], per: int) -> Iterator[list[Row]]:
    """``rows`` in statements of ``per`` rows, the remainder in ``_REMAINDER_SIZES``."""
    start, n = 0, len(rows)
    while n - start >= per:
        yield rows[start : start + per]
        start += per
    for size in _REMAINDER_SIZES:
        while size < per and n - start >= size:
            yield rows[start : start + size]
            start += size


def _bound(shape: Shape, rows: list[Row]) -> list[Any]:
    """The values the statement binds: the rows' non-empty columns, row after row."""
    at = [i for i in range(len(rows[0])) if shape >> i & 1]
    values: list[Any] = []
    for row in rows:
        for i in at:
            values.append(row[i])
    return values


def _insert_sqlite(
    cursor: Any, table: str, cols: tuple[str, ...], rows: Sequence[Row], *, in_order: bool = True
) -> None:
    for shape, group in _by_shape(rows, in_order=in_order):
        for part in _pieces(group, _per_statement(shape.bit_count())):
            sql = insert_sql("sqlite", table, cols, count=len(part), shape=shape)
            cursor.execute(sql, _bound(shape, part))


def _upsert_sqlite(
    cursor: Any,
    table: str,
    cols: tuple[str, ...],
    rows: Sequence[Row],
    key: str,
    updates: tuple[str, ...] | None,
    stored: bool = False,
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
    found = set(latest) if stored else _existing(cursor, table, key, list(latest))
    new = [r for key_, r in latest.items() if key_ not in found]
    _insert_sqlite(cursor, table, cols, new, in_order=False)
    if not updates or len(new) == len(latest):
        return
    picked = [k, *update_at]
    take = itemgetter(*picked)
    old = [take(r) for key_, r in latest.items() if key_ in found]
    columns = (key, *updates)
    for shape, group in _by_shape(old, in_order=False):
        for part in _pieces(group, _per_statement(shape.bit_count())):
            sql = update_sql(table, columns, len(part), shape)
            cursor.execute(sql, _bound(shape, part))


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


def _group(shape: Shape | None, width: int, mark: str = "?") -> str:
    """One row's ``VALUES`` group: a parameter per bound column, ``NULL`` for the others."""
    if shape is None:
        return f"({', '.join([mark] * width)})"
    return f"({', '.join(mark if shape >> i & 1 else 'NULL' for i in range(width))})"


def update_sql(table: str, columns: tuple[str, ...], count: int, shape: Shape | None = None) -> str:
    """SQLite: update ``count`` rows keyed by ``columns[0]`` with the other columns, from one
    ``VALUES`` list (``OR ROLLBACK``: see the module's docstring)."""
    cache_key = ("update", table, columns, count, shape)
    sql = _SQL.get(cache_key)
    if sql is None:
        group = _group(shape, len(columns))
        sets = ", ".join(f"{c} = u.column{i}" for i, c in enumerate(columns[1:], 2))
        sql = (
            f"UPDATE OR ROLLBACK {table} SET {sets} FROM (VALUES {', '.join([group] * count)})"
            f" AS u WHERE {table}.{columns[0]} = u.column1"
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
    shape: Shape | None = None,
) -> str:
    """The INSERT (or upsert) of ``count`` rows, built once per shape (``shape``: which columns
    are bound, the others ``NULL``; default all)."""
    cache_key = (dialect, table, cols, keys, updates, count, shape)
    sql = _SQL.get(cache_key)
    if sql is None:
        mark = param_mark(dialect)
        group = _group(shape, len(cols), mark)
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
