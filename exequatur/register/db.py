"""Engines and migrations: SQLite under var/ by default, PostgreSQL when configured."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text

from exequatur.core.settings import get_settings

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Waits for a writer stay well under the register activity's 15 s timeout, so an
        # attempt Temporal gave up on cannot commit behind the workflow's back.
        engine = create_engine(url, connect_args={"timeout": 8})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:  # sqlite3's connection, as the event gives it
            # WAL lets the API read while the worker writes; the timeout waits out a writer.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=8000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def register_engine() -> Engine:
    """The register this process's settings name: CONSULAR_DATABASE_URL, else SQLite under var/."""
    return engine_for(get_settings().effective_database_url)


def migrate(url: str, revision: str = "head") -> None:
    """Bring the register's schema to a migration, the newest by default (idempotent).

    The worker and the API both migrate at start; a lock keeps two processes starting at once
    from both creating the tables (a file lock for SQLite, an advisory lock for PostgreSQL).
    """
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    engine = engine_for(url)
    with _migration_lock(url), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(7233001)"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
