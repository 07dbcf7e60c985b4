"""How the commit writes rows: many per statement, and a resource's indexes only when they move.

These are the ingest commit's shortcuts (``reflow.store.bulk``, ``SqlStore._write_resources``);
each must write exactly what a plain row-by-row upsert would, on both backends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from support import World, qty

from reflow.store import bulk, sqlstore
from reflow.store.database import SQLITE_PAGE_SIZE
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.schema import resources
from reflow.store.sqlstore import SqlStore


def _table(store: SqlStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bulk_t (k VARCHAR(20) PRIMARY KEY, a TEXT, b TEXT)"))


def _rows(store: SqlStore) -> list[tuple[str, str | None, str | None]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT k, a, b FROM bulk_t ORDER BY k"))]


def test_rows_beyond_one_statement_and_a_remainder_are_all_written(store: SqlStore) -> None:
    _table(store)
    n = bulk.ROWS_PER_STATEMENT * 2 + 7  # two full statements and a short one
    rows = [(f"k{i:05}", f"a{i}", None) for i in range(n)]
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), rows)
    assert _rows(store) == rows


def test_an_upsert_replaces_the_rows_whose_key_exists_and_inserts_the_others(
    store: SqlStore,
) -> None:
    _table(store)
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "1", "1"), ("y", "1", "1")])
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("y", "2", "2"), ("z", "2", "2")],
                        keys=("k",))  # fmt: skip
    assert _rows(store) == [("x", "1", "1"), ("y", "2", "2"), ("z", "2", "2")]


def test_an_upsert_limited_to_some_columns_leaves_the_others_as_they_were(
    store: SqlStore,
) -> None:
    _table(store)
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "1", "1")])
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "2", "2"), ("w", "3", "3")],
                        keys=("k",), updates=("a",))  # fmt: skip
    assert _rows(store) == [("w", "3", "3"), ("x", "2", "1")]


def test_a_key_written_twice_in_one_call_ends_as_two_upserts_in_order_would_leave_it(
    store: SqlStore,
) -> None:
    """The first row of a new key inserts it, the later ones update the columns an upsert
    sets; an existing key takes the last row's."""
    _table(store)
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "1", "1")])
        bulk.write_rows(
            conn, "bulk_t", ("k", "a", "b"),
            [("n", "1", "1"), ("x", "2", "2"), ("n", "3", "3"), ("x", "4", "4")],
            keys=("k",), updates=("a",),
        )  # fmt: skip
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("m", "5", "5"), ("m", "6", "6")],
                        keys=("k",), updates=())  # fmt: skip
    assert _rows(store) == [("m", "5", "5"), ("n", "3", "1"), ("x", "4", "1")]


def test_rows_the_caller_knows_are_stored_are_updated_without_a_lookup(store: SqlStore) -> None:
    _table(store)
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "1", "1"), ("y", "1", "1")])
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("y", "2", "2"), ("x", None, "3")],
                        keys=("k",), updates=("a",), stored=True)  # fmt: skip
    assert _rows(store) == [("x", None, "1"), ("y", "2", "1")]


def test_updates_beyond_one_statement_reach_every_row(store: SqlStore) -> None:
    _table(store)
    n = bulk.ROWS_PER_STATEMENT * 2 + 3
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [(f"k{i:04}", "0", "0") for i in range(n)])
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"),
                        [(f"k{i:04}", str(i), "1") for i in range(n)], keys=("k",))  # fmt: skip
    assert _rows(store) == [(f"k{i:04}", str(i), "1") for i in range(n)]


def test_rows_with_different_empty_columns_are_written_as_given(store: SqlStore) -> None:
    """Empty columns are written as NULL in the statement, not bound: rows of every pattern
    of empty columns, many of each, land whole, whatever the mix."""
    _table(store)
    n = bulk.ROWS_PER_STATEMENT + 90  # a full statement and remainders of each size
    patterns = [("a", "b"), (None, "b"), ("a", None), (None, None)]
    rows = [(f"k{i:05}", *patterns[(i * 7) % 4]) for i in range(n)]
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), rows[: n // 2])
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), rows[n // 2 :], keys=("k",))
    assert _rows(store) == rows


def test_an_update_may_empty_a_column_or_fill_it(store: SqlStore) -> None:
    _table(store)
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "1", None), ("y", None, "1")])
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", None, "2"), ("y", "2", None)],
                        keys=("k",))  # fmt: skip
    assert _rows(store) == [("x", None, "2"), ("y", "2", None)]


def test_a_log_of_rows_is_numbered_in_the_order_given(store: SqlStore) -> None:
    """A table whose rows are numbered as inserted (the log) gets them in order, however their
    empty columns alternate."""
    numbered = "INTEGER PRIMARY KEY" if store.dialect == "sqlite" else "SERIAL PRIMARY KEY"
    with store.engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE bulk_log (n {numbered}, k TEXT, v TEXT)"))
        rows = [(f"k{i:04}", None if i % 3 else "v") for i in range(600)]
        bulk.write_rows(conn, "bulk_log", ("k", "v"), rows)
    with store.engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(text("SELECT k, v FROM bulk_log ORDER BY n"))]
    assert got == rows


def test_a_row_that_breaks_a_constraint_fails_the_whole_transaction(store: SqlStore) -> None:
    """Not just its statement: the commit is all or nothing (and on SQLite no statement is
    journalled to be undone alone)."""
    _table(store)
    with store.engine.begin() as conn:
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("x", "1", "1")])
    with pytest.raises(Exception), store.engine.begin() as conn:  # noqa: B017 (driver's own)
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("y", "2", "2")], keys=("k",))
        bulk.write_rows(conn, "bulk_t", ("k", "a", "b"), [("z", "3", "3"), ("x", "3", "3")])
    assert _rows(store) == [("x", "1", "1")]


def _row(world: World, rid: str) -> dict[str, object]:
    with world.ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return dict(conn.execute(select(resources).where(resources.c.id == rid)).one()._mapping)


def test_a_resource_is_written_whole_whether_its_indexed_columns_move_or_not(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quantity change leaves the indexed columns out of the write; a custody change moves
    them; and with a cold cache the store does not guess what the row held."""
    limited: list[int] = []
    write = bulk.write_rows

    def spy(conn: Any, table: str, cols: Any, rows: Any, **kw: Any) -> None:
        if table == "economic_resources" and kw.get("updates") is not None and rows:
            limited.append(len(rows))
        write(conn, table, cols, rows, **kw)

    monkeypatch.setattr(sqlstore, "write_rows", spy)
    ann, bob = world.agent("Ann"), world.agent("Bob")
    spec, here, there = world.spec(ann, "cotton"), world.place(ann, "here"), world.place(ann, "x")
    rid = world.event(ann, {"name": "bale"}, action="raise", provider=ann, receiver=ann,
                      resourceConformsTo=spec, resourceQuantity=qty(10),
                      toLocation=here)["EconomicResource"]  # fmt: skip
    world.event(ann, action="consume", provider=ann, receiver=ann, resourceInventoriedAs=rid,
                resourceQuantity=qty(3))  # fmt: skip
    assert limited == [1]  # only quantities and the breadcrumb changed
    assert _row(world, rid)["onhand_quantity"] == "7"

    haul = world.process(ann, "haul")
    world.event(ann, action="pickup", provider=ann, receiver=bob, inputOf=haul,
                resourceInventoriedAs=rid, resourceQuantity=qty(7))  # fmt: skip
    assert limited == [1]  # custody moved: the whole row
    assert (_row(world, rid)["custodian"], _row(world, rid)["primary_accountable"]) == (bob, ann)

    world.ledger.store.clear_cache()  # type: ignore[attr-defined]
    world.event(bob, action="dropoff", provider=bob, receiver=bob, outputOf=haul,
                resourceInventoriedAs=rid, resourceQuantity=qty(7),
                toLocation=there)  # fmt: skip
    row = _row(world, rid)
    assert (row["custodian"], row["current_location"], row["onhand_quantity"]) == (bob, there, "7")
    before = state_digest(world.ledger.store)  # type: ignore[arg-type]
    rebuild(world.ledger.store, world.ledger.network)  # type: ignore[arg-type]
    assert state_digest(world.ledger.store) == before  # type: ignore[arg-type]


def test_a_new_sqlite_database_gets_the_larger_page(tmp_path: Path) -> None:
    store = SqlStore.open(f"sqlite:///{tmp_path / 'p.sqlite'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == SQLITE_PAGE_SIZE
    store.close()
