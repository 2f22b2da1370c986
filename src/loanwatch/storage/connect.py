"""Where the operational store is and how to open it (SQLite by default, PostgreSQL via a
URL; the same code), and the transaction rule every adapter follows: an adapter built on an
``Engine`` runs each call in its own transaction; built on a ``Connection``, it runs in the
caller's transaction instead. That is the unit of work that saves a record and appends its
audit row together or not at all::

    with engine.begin() as conn:
        SqlAlertRepository(conn).save(alert, expected_version)
        SqlAuditLog(conn).append(row)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from loanwatch.workflow.audit import to_json

#: the file of the embedded store inside a workspace
STORE_FILE = "operations.sqlite"

Bind = sa.Engine | sa.Connection


def store_url(workspace_root: Path | str, url: str | None = None) -> str:
    """``url`` when given (``postgresql+psycopg://postgres@127.0.0.1:5432/lw``), else the
    workspace's embedded SQLite file."""
    if url:
        return url
    return f"sqlite:///{Path(workspace_root).resolve() / STORE_FILE}"


def open_engine(url: str) -> sa.Engine:
    """An engine on the store at ``url``. On SQLite, SQLAlchemy rather than the sqlite3
    driver begins transactions, so savepoints and rollbacks work (SQLAlchemy's pysqlite
    recipe); the driver's own handling would commit at the release of a savepoint."""
    engine = sa.create_engine(url, json_serializer=to_json, json_deserializer=orjson.loads)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _driver_leaves_transactions_alone)
        sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def _driver_leaves_transactions_alone(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


@contextlib.contextmanager
def transaction(bind: Bind, *, savepoint: bool = False) -> Iterator[sa.Connection]:
    """Our own transaction on an engine; the caller's on a connection, inside a savepoint if
    asked, so that a failed statement does not doom it (PostgreSQL aborts the transaction)."""
    if isinstance(bind, sa.Connection):
        with bind.begin_nested() if savepoint else contextlib.nullcontext():
            yield bind
    else:
        with bind.begin() as conn:
            yield conn
