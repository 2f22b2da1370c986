"""Alembic from an empty database to head, on SQLite and PostgreSQL: it makes the tables
``tables.py`` describes, and a second run changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loanwatch.storage.connect import STORE_FILE, open_engine, store_url
from loanwatch.storage.kinds import ALERTS
from loanwatch.storage.migrate import upgrade
from loanwatch.storage.records import to_row
from loanwatch.storage.sql import SqlAlertRepository
from loanwatch.storage.tables import alerts, metadata
from tests.storage.test_alert_repository import an_alert

HEAD = "0004_lighter_task_indexes"


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
    assert _tables(empty_url) == {*metadata.tables, "alembic_version"}
    assert _schema(empty_url) == (HEAD, [])


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    upgrade(empty_url)
    upgrade(empty_url)
    assert _schema(empty_url) == (HEAD, [])


def test_upgrading_from_the_previous_revision_keeps_the_alerts(empty_url: str) -> None:
    upgrade(empty_url, "0001_alerts_and_audit")
    assert _tables(empty_url) == {"alerts", "audit_events", "alembic_version"}
    engine = open_engine(empty_url)
    try:
        # written as revision 0001's code wrote it: without a branch
        row = {k: v for k, v in to_row(ALERTS, an_alert("A1")).items() if k != "branch_id"}
        with engine.begin() as conn:
            conn.execute(alerts.insert().values(row))
        upgrade(empty_url)
        assert _schema(empty_url) == (HEAD, [])
        assert SqlAlertRepository(engine).get("A1") == an_alert("A1")
        assert {t for t in _tables(empty_url)} >= {"tasks", "collection_cases", "actions",
                                                   "bureau_inquiries", "sync_runs"}
    finally:
        engine.dispose()


def test_the_store_defaults_to_a_file_in_the_workspace(tmp_path) -> None:
    assert store_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / STORE_FILE}"
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/lw"
    assert store_url(tmp_path, url) == url


def test_only_tasks_with_an_alert_are_in_the_alert_index(empty_url: str) -> None:
    """Revision 0004: most tasks are scheduled, without an alert, and a go-live plans a
    million of them; the index on the alert keeps only those with one."""
    upgrade(empty_url)
    engine = sa.create_engine(empty_url)
    try:
        found = {i["name"]: i for i in sa.inspect(engine).get_indexes("tasks")}
        with engine.connect() as conn:
            sql = (conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                        "'ix_tasks_alert_id'")) if engine.dialect.name ==
                   "postgresql" else conn.execute(sa.text(
                       "SELECT sql FROM sqlite_master WHERE name = 'ix_tasks_alert_id'"))
                   ).scalar_one()
    finally:
        engine.dispose()
    assert "ix_tasks_kind_customer_id" not in found and found["ix_tasks_alert_id"]
    assert "alert_id IS NOT NULL" in sql
