"""Stores for the contract suite: the in-memory double, SQLite on a temporary file and a
throwaway PostgreSQL database (``LOANWATCH_TEST_POSTGRES`` names the server, default the
local one with trust auth). Without a reachable server the PostgreSQL cases fail: CI provides
one, and a skipped contract would hide a store nobody tested."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from loanwatch.storage.base import AlertRepository, AuditLog
from loanwatch.storage.connect import open_engine, store_url
from loanwatch.storage.memory import MemoryAlertRepository, MemoryAuditLog
from loanwatch.storage.migrate import upgrade
from loanwatch.storage.sql import SqlAlertRepository, SqlAuditLog
from loanwatch.storage.tables import metadata

SERVER = os.environ.get("LOANWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _admin() -> sa.Engine:
    return sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[sa.Engine]:
    admin = _admin()
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as error:
        admin.dispose()
        pytest.fail(f"no PostgreSQL server at {SERVER}: {error.orig} (start one, or set "
                    f"LOANWATCH_TEST_POSTGRES to a server the tests may create databases on)")
    yield admin
    admin.dispose()


def _throwaway(admin: sa.Engine) -> Iterator[str]:
    name = f"lw_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return store_url(tmp_path)


@pytest.fixture
def postgres_url(_postgres_server: sa.Engine) -> Iterator[str]:
    """An empty database of its own, dropped after the test."""
    yield from _throwaway(_postgres_server)


@pytest.fixture(scope="session")
def _migrated_postgres(_postgres_server: sa.Engine) -> Iterator[sa.Engine]:
    """One migrated database for the whole contract suite; each test empties its tables."""
    for url in _throwaway(_postgres_server):
        upgrade(url)
        engine = open_engine(url)
        yield engine
        engine.dispose()


@dataclass(frozen=True)
class Store:
    alerts: AlertRepository
    audit: AuditLog


def _emptied(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return engine


@pytest.fixture(params=["sqlite", "postgres"])
def sql_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """A migrated, empty store on each SQL database."""
    return request.getfixturevalue(f"_{request.param}_engine")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Store:
    """The same contract, once per adapter."""
    if request.param == "memory":
        return Store(MemoryAlertRepository(), MemoryAuditLog())
    engine = request.getfixturevalue(f"_{request.param}_engine")
    return Store(SqlAlertRepository(engine), SqlAuditLog(engine))


@pytest.fixture
def _sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    upgrade(sqlite_url)
    engine = open_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def _postgres_engine(_migrated_postgres: sa.Engine) -> sa.Engine:
    return _emptied(_migrated_postgres)


@pytest.fixture
def repo(store: Store) -> AlertRepository:
    return store.alerts
