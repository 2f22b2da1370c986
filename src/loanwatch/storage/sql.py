"""The store's ports over SQLAlchemy (SQLite by default, PostgreSQL via a URL; the same code).

Transactions: an adapter built on an ``Engine`` runs each call in its own transaction. Built
on a ``Connection``, it runs in the caller's transaction instead; that is the unit of work
that saves an alert and appends its audit row together or not at all::

    with engine.begin() as conn:
        SqlAlertRepository(conn).save(alert, expected_version)
        SqlAuditLog(conn).append(row)
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from loanwatch.policy.vocabulary import Action, Severity
from loanwatch.storage.base import DEFAULT_LIMIT
from loanwatch.storage.tables import alerts, audit_events
from loanwatch.workflow.alerts import Alert, AlertStatus, Disposition, Note
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import Conflict

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
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _driver_leaves_transactions_alone)
        sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


def _driver_leaves_transactions_alone(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


@contextlib.contextmanager
def _transaction(bind: Bind, *, savepoint: bool = False) -> Iterator[sa.Connection]:
    """Our own transaction on an engine; the caller's on a connection, inside a savepoint if
    asked, so that a failed statement does not doom it (PostgreSQL aborts the transaction)."""
    if isinstance(bind, sa.Connection):
        with bind.begin_nested() if savepoint else contextlib.nullcontext():
            yield bind
    else:
        with bind.begin() as conn:
            yield conn


# --- alerts -------------------------------------------------------------------------------

def _row(alert: Alert) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id, "signal_id": alert.signal_id,
        "customer_id": alert.customer_id, "loan_id": alert.loan_id,
        "severity": alert.severity.value, "evidence": alert.evidence,
        "actions": [a.value for a in alert.actions], "owner": alert.owner,
        "opened_on": alert.opened_on, "last_seen_on": alert.last_seen_on,
        "live_since": alert.live_since, "status": alert.status.value,
        "cleared_on": alert.cleared_on,
        "disposition": alert.disposition.value if alert.disposition else None,
        "closed_by": alert.closed_by, "closed_at": alert.closed_at,
        "close_comment": alert.close_comment,
        "notes": [{"by": n.by, "at": n.at.isoformat(), "text": n.text} for n in alert.notes],
        "reopened_count": alert.reopened_count, "version": alert.version,
    }


def _alert(row: sa.RowMapping) -> Alert:
    fields = dict(row)
    return Alert(**{
        **fields,
        "severity": Severity(row["severity"]),
        "actions": tuple(Action(a) for a in row["actions"]),
        "status": AlertStatus(row["status"]),
        "disposition": Disposition(row["disposition"]) if row["disposition"] else None,
        "notes": tuple(Note(by=n["by"], at=dt.datetime.fromisoformat(n["at"]), text=n["text"])
                       for n in row["notes"]),
    })


_NEWEST_FIRST = (alerts.c.live_since.desc(), alerts.c.alert_id)


class SqlAlertRepository:
    def __init__(self, bind: Bind) -> None:
        self._bind = bind

    def get(self, alert_id: str) -> Alert | None:
        with _transaction(self._bind) as conn:
            row = conn.execute(alerts.select().where(alerts.c.alert_id == alert_id)).mappings()
            found = row.one_or_none()
        return _alert(found) if found else None

    def add(self, alert: Alert) -> None:
        try:
            with _transaction(self._bind, savepoint=True) as conn:
                conn.execute(alerts.insert().values(_row(alert)))
        except sa.exc.IntegrityError:
            current = self._version(alert.alert_id)
            if current is None:
                raise
            raise Conflict("alert", alert.alert_id, 0, current) from None

    def save(self, alert: Alert, expected_version: int) -> None:
        update = (alerts.update().values(_row(alert))
                  .where(alerts.c.alert_id == alert.alert_id,
                         alerts.c.version == expected_version))
        with _transaction(self._bind) as conn:
            if conn.execute(update).rowcount == 1:
                return
        current = self._version(alert.alert_id)
        if current is None:
            raise LookupError(f"there is no alert {alert.alert_id} to save")
        raise Conflict("alert", alert.alert_id, expected_version, current)

    def find(self, signal_id: str, customer_id: str, loan_id: str | None) -> Alert | None:
        query = (alerts.select()
                 .where(alerts.c.signal_id == signal_id, alerts.c.customer_id == customer_id,
                        alerts.c.loan_id.is_(None) if loan_id is None
                        else alerts.c.loan_id == loan_id)
                 .order_by(*_NEWEST_FIRST).limit(1))
        with _transaction(self._bind) as conn:
            found = conn.execute(query).mappings().first()
        return _alert(found) if found else None

    def list(self, status: AlertStatus | None = None, owner: str | None = None,
             limit: int = DEFAULT_LIMIT) -> builtins.list[Alert]:
        query = alerts.select().order_by(*_NEWEST_FIRST).limit(limit)
        if status is not None:
            query = query.where(alerts.c.status == status.value)
        if owner is not None:
            query = query.where(alerts.c.owner == owner)
        with _transaction(self._bind) as conn:
            return [_alert(row) for row in conn.execute(query).mappings()]

    def _version(self, alert_id: str) -> int | None:
        query = sa.select(alerts.c.version).where(alerts.c.alert_id == alert_id)
        with _transaction(self._bind) as conn:
            return conn.execute(query).scalar_one_or_none()


# --- audit --------------------------------------------------------------------------------

class SqlAuditLog:
    """The audit trail in ``audit_events``; the adapter has no way to change or remove a row."""

    def __init__(self, bind: Bind) -> None:
        self._bind = bind

    def append(self, row: WriteAudit) -> None:
        with _transaction(self._bind) as conn:
            conn.execute(audit_events.insert().values(
                actor=row.actor, action=row.action, entity=row.entity, entity_id=row.entity_id,
                at=row.at, before=row.before, after=row.after))

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        query = (sa.select(audit_events.c.actor, audit_events.c.action, audit_events.c.entity,
                           audit_events.c.entity_id, audit_events.c.at, audit_events.c.before,
                           audit_events.c.after)
                 .where(audit_events.c.entity == entity, audit_events.c.entity_id == entity_id)
                 .order_by(audit_events.c.id))
        with _transaction(self._bind) as conn:
            return [WriteAudit(**row) for row in conn.execute(query).mappings()]
