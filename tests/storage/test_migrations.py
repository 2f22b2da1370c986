"""Alembic from an empty database to head, on SQLite and PostgreSQL: it makes the tables
``tables.py`` describes, and a second run changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loanwatch.storage.migrate import upgrade
from loanwatch.storage.sql import STORE_FILE, store_url
from loanwatch.storage.tables import metadata


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _schema(url: str) -> tuple[str | None, list]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            return context.get_current_revision(), compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_makes_the_tables_the_code_expects(empty_url: str) -> None:
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _tables(empty_url) == {"alerts", "audit_events", "alembic_version"}
    assert _schema(empty_url) == ("0001_alerts_and_audit", [])


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
    assert _schema(empty_url) == ("0001_alerts_and_audit", [])


def test_the_store_defaults_to_a_file_in_the_workspace(tmp_path) -> None:
    assert store_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / STORE_FILE}"
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/lw"
    assert store_url(tmp_path, url) == url
