"""The tables of the operational store (SQLAlchemy Core), portable across SQLite and
PostgreSQL. Migrations create them; this module is what the adapters query and what the
migration test compares the migrated schema with.

Notes and recommended actions travel inside the alert row as JSON, so an alert and its
version change in one UPDATE. Timestamps are naive wall-clock datetimes, the workflow's
convention; an aware one is refused rather than silently shifted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
})


class Moment(sa.TypeDecorator[dt.datetime]):
    """A naive ``DateTime`` that refuses aware values (SQLite would drop their offset)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is not None and value.tzinfo is not None:
            raise ValueError(f"the store keeps naive datetimes; got {value.isoformat()}")
        return value


alerts = sa.Table(
    "alerts", metadata,
    sa.Column("alert_id", sa.String(64), primary_key=True),
    sa.Column("signal_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("loan_id", sa.String(64)),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("actions", sa.JSON, nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("last_seen_on", sa.Date, nullable=False),
    sa.Column("live_since", Moment, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("cleared_on", sa.Date),
    sa.Column("disposition", sa.String(16)),
    sa.Column("closed_by", sa.String(64)),
    sa.Column("closed_at", Moment),
    sa.Column("close_comment", sa.Text),
    sa.Column("notes", sa.JSON, nullable=False),
    sa.Column("reopened_count", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("branch_id", sa.String(64)),  # revision 0002
    sa.Index(None, "signal_id", "customer_id", "loan_id"),
    sa.Index(None, "status", "owner"),
    sa.Index(None, "owner"),
)

audit_events = sa.Table(
    "audit_events", metadata,
    # append order is the order of the trail; SQLite only autoincrements an INTEGER key
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("entity", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("at", Moment, nullable=False),
    sa.Column("before", sa.JSON, nullable=False),
    sa.Column("after", sa.JSON, nullable=False),
    sa.Index(None, "entity", "entity_id", "id"),
)


def _record_table(name: str, key: str, *columns: sa.Column[Any], indexes: tuple[tuple[str, ...], ...]
                  ) -> sa.Table:
    """A workflow record's table: its key, the columns it is filtered and sorted on, its
    version, and the whole record as JSON in ``body`` (storage/records.py)."""
    return sa.Table(
        name, metadata,
        sa.Column(key, sa.String(64), primary_key=True),
        *columns,
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        *(sa.Index(None, *cols) for cols in indexes),
    )


tasks = _record_table(
    "tasks", "task_id",
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("loan_id", sa.String(64)),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("branch_id", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("alert_id", sa.String(64)),
    sa.Column("finished_at", Moment),
    indexes=(("owner", "status", "due_on"), ("branch_id", "status", "due_on"), ("customer_id",)),
)
# most tasks are scheduled, without an alert: only those with one are indexed
sa.Index(None, tasks.c.alert_id, postgresql_where=tasks.c.alert_id.isnot(None),
         sqlite_where=tasks.c.alert_id.isnot(None))

collection_cases = _record_table(
    "collection_cases", "case_id",
    sa.Column("loan_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("bucket", sa.String(16), nullable=False),
    sa.Column("dpd", sa.Integer, nullable=False),
    sa.Column("expected_loss", sa.Numeric(18, 2), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    indexes=(("status", "expected_loss"), ("owner", "status"), ("loan_id",), ("customer_id",)),
)

actions = _record_table(
    "actions", "action_id",
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("loan_id", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("proposed_by", sa.String(64), nullable=False),
    indexes=(("status", "kind"), ("customer_id",), ("loan_id",)),
)

bureau_inquiries = _record_table(
    "bureau_inquiries", "inquiry_id",
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("asked_by", sa.String(64), nullable=False),
    sa.Column("asked_at", Moment, nullable=False),
    indexes=(("customer_id",), ("asked_at",)),
)

# one row per as-of date synced from the marts: what the sync did, and up to which date the
# store reflects the engine (a sync of an older date than the newest is refused)
sync_runs = sa.Table(
    "sync_runs", metadata,
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("synced_at", Moment, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
)


users = _record_table(
    "users", "user_id",
    sa.Column("display_name", sa.String(128), nullable=False),
    sa.Column("branch_id", sa.String(64)),
    sa.Column("manager_id", sa.String(64)),
    sa.Column("active", sa.Boolean, nullable=False),
    indexes=(("branch_id",),),
)

sessions = _record_table(
    "sessions", "session_id",
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("expires_at", Moment, nullable=False),
    indexes=(("user_id",), ("expires_at",)),
)
