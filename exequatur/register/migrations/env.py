"""Alembic environment: the URL comes from the caller (register.db.migrate) or settings."""

from alembic import context
from sqlalchemy import Connection, create_engine

from exequatur.register.schema import metadata

url = context.config.get_main_option("sqlalchemy.url")
if not url:
    from exequatur.core.settings import get_settings

    url = get_settings().effective_database_url

connectable = context.config.attributes.get("connection") or create_engine(url)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(connectable, "connect") and not hasattr(connectable, "execute"):
    with connectable.connect() as connection:
        _run(connection)
else:
    _run(connectable)
