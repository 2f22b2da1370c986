"""Alembic's entry point: migrate over the connection ``migrate.upgrade`` hands over, or
over a fresh engine on ``config.attributes["url"]`` (online mode only)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from loanwatch.storage.connect import open_engine
from loanwatch.storage.tables import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _online() -> None:
    config = context.config
    if (connection := config.attributes.get("connection")) is not None:
        _run(connection)
        return
    engine = open_engine(config.attributes.get("url") or config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the operational store migrates online only: use loanwatch.storage.migrate")
_online()
