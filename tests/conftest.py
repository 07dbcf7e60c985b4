"""Shared fixtures: a store on every backend, fresh for each test, and a node on top of it.

The ``store`` fixture runs each test on SQLite and on PostgreSQL. Each PostgreSQL test gets its
own freshly created database, so runs never see each other's data. Where no PostgreSQL answers,
the PostgreSQL cases are skipped — unless ``REFLOW_REQUIRE_POSTGRES=1`` (set by ``.ci/run``),
which turns that into a failure.
"""

from __future__ import annotations

import os
import uuid

# Before anything imports reflow: the rules' value types are frozen under test, so any code
# that changed a state in place would fail here (see reflow.vf.values).
os.environ["REFLOW_STRICT_VALUES"] = "1"
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support import NETWORK, Chain, World

from reflow.ledger.ledger import Ledger
from reflow.node import Node
from reflow.plugins import load_plugins
from reflow.settings import Settings
from reflow.store.sqlstore import SqlStore

PG_ADMIN_URL = os.environ.get(
    "REFLOW_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

load_plugins()


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection failure means "no server here"
        return str(exc).splitlines()[0]


_PG_PROBLEM = _pg_available()


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator[object]:
    """Makes a fresh, empty PostgreSQL database URL for each call.

    One database is created per test session and each call gets its own schema in it (the URL
    sets ``search_path``), so tests never see each other's data; the database is dropped at
    the end. Schemas are used instead of databases because dropping a database forces a
    checkpoint, which costs seconds each on a busy machine.
    """
    if _PG_PROBLEM is not None:
        if os.environ.get("REFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here but does not answer: {_PG_PROBLEM}")
        pytest.skip(f"no PostgreSQL server: {_PG_PROBLEM}")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    db_name = f"reflow_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name
    session_db = create_engine(db_url, isolation_level="AUTOCOMMIT")

    def make() -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with session_db.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        return f"{db_url}?options=-csearch_path%3D{schema}"

    yield make
    session_db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    factory = request.getfixturevalue("pg_database_factory")
    return factory()  # type: ignore[operator,no-any-return]


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    s = SqlStore.open(database_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    """SQLite only, for the pure-logic tests that need some store but not every backend."""
    s = SqlStore.open(f"sqlite:///{tmp_path / 'test.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def ledger(store: SqlStore) -> Ledger:
    return Ledger(store, NETWORK)


@pytest.fixture
def node(tmp_path: Path, database_url: str) -> Iterator[Node]:
    """A whole node (keystore, ledger, store) on each backend."""
    settings = Settings.from_env({}, data_dir=tmp_path / "node", database_url=database_url)
    n = Node.init(settings, network_name="test")
    yield n
    n.close()


@pytest.fixture
def chain() -> Chain:
    return Chain()


@pytest.fixture
def world(ledger: Ledger) -> World:
    return World(ledger)
