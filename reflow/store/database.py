"""Opening a node's database: SQLite (embedded default) or PostgreSQL, and migrating it.

SQLite runs in WAL mode with full fsync on commit, so an acknowledged record survives a crash of
the process or of the machine; one commit covers a whole batch, which keeps the cost per record
low. PostgreSQL is selected by a ``postgresql://`` URL and used through psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.pool import StaticPool

from reflow.errors import StoreError

DEFAULT_DB_NAME = "reflow.sqlite"


def database_url(value: str | None, data_dir: Path) -> str:
    """The URL to use: the given one, else the SQLite file in the node's data directory."""
    if value:
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value[len("postgresql://") :]
        if value.startswith("postgres://"):
            return "postgresql+psycopg://" + value[len("postgres://") :]
        return value
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / DEFAULT_DB_NAME}"


# A new database gets 16 KiB pages: ingest writes rows under a dozen random-keyed indexes, and
# a commit's cost follows the number of pages it dirties more than their size (measured at
# 100k records: 4 KiB pages 7.4k records/s, 16 KiB 8.0k). Set before WAL mode, which fixes it;
# an existing database keeps the size it was created with.
SQLITE_PAGE_SIZE = 16384
# Pages the WAL may hold before a commit copies them into the database (SQLite's default is
# 1000). Pages written again by later commits are copied once: less than half the checkpoint
# writes, for a WAL of up to 64 MiB.
SQLITE_WAL_AUTOCHECKPOINT = 4000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            kwargs: dict[str, Any] = {}
            if url in ("sqlite://", "sqlite:///:memory:"):
                kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            else:
                kwargs = {"connect_args": {"check_same_thread": False}}
            engine = create_engine(url, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except Exception as exc:  # SQLAlchemy raises many kinds on a bad URL
        raise StoreError(f"cannot open database {url!r}: {exc}", field="database") from exc


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = None
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("records")
