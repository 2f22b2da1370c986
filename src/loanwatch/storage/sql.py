"""The store's ports for alerts and the audit trail over SQLAlchemy (see ``storage.connect``
for the store's location and transactions)."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from loanwatch.storage.base import DEFAULT_LIMIT
from loanwatch.storage.connect import Bind, transaction
from loanwatch.storage.kinds import ALERTS
from loanwatch.storage.records import SqlRecords, bulk_insert
from loanwatch.storage.tables import audit_events, sync_runs
from loanwatch.workflow.alerts import Alert, AlertStatus
from loanwatch.workflow.audit import WriteAudit


class SqlAlertRepository(SqlRecords[Alert]):
    """Alerts, every field a column (``tables.alerts``)."""

    def __init__(self, bind: Bind) -> None:
        super().__init__(bind, ALERTS)

    def find(self, signal_id: str, customer_id: str, loan_id: str | None) -> Alert | None:
        found = super().list(limit=1, order_by=_NEWEST_FIRST, signal_id=signal_id,
                             customer_id=customer_id, loan_id=loan_id)
        return found[0] if found else None

    def list(self, status: AlertStatus | None = None, owner: str | None = None,  # type: ignore[override]
             limit: int | None = DEFAULT_LIMIT, **where: Any) -> builtins.list[Alert]:
        """Alerts in a state and/or of an owner (and any other column), newest first."""
        if status is not None:
            where["status"] = status
        if owner is not None:
            where["owner"] = owner
        return super().list(limit=limit, order_by=_NEWEST_FIRST, **where)


_NEWEST_FIRST = ("-live_since",)


# --- audit --------------------------------------------------------------------------------

class SqlAuditLog:
    """The audit trail in ``audit_events``; the adapter has no way to change or remove a row."""

    def __init__(self, bind: Bind) -> None:
        self._bind = bind

    def append(self, row: WriteAudit) -> None:
        self.append_many([row])

    def append_many(self, rows: Sequence[WriteAudit]) -> None:
        """Append ``rows`` in their order (the nightly sync writes thousands at once)."""
        with transaction(self._bind) as conn:
            bulk_insert(conn, audit_events, [
                {"actor": r.actor, "action": r.action, "entity": r.entity,
                 "entity_id": r.entity_id, "at": r.at, "before": r.before, "after": r.after}
                for r in rows])

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        query = (sa.select(audit_events.c.actor, audit_events.c.action, audit_events.c.entity,
                           audit_events.c.entity_id, audit_events.c.at, audit_events.c.before,
                           audit_events.c.after)
                 .where(audit_events.c.entity == entity, audit_events.c.entity_id == entity_id)
                 .order_by(audit_events.c.id))
        with transaction(self._bind) as conn:
            return [WriteAudit(**row) for row in conn.execute(query).mappings()]


# --- synced dates -------------------------------------------------------------------------

class SqlSyncLog:
    """The dates the nightly sync brought into the store, with what it did."""

    def __init__(self, bind: Bind) -> None:
        self._bind = bind

    def latest(self) -> dt.date | None:
        with transaction(self._bind) as conn:
            return conn.execute(sa.select(sa.func.max(sync_runs.c.as_of))).scalar_one()

    def record(self, as_of: dt.date, at: dt.datetime, counts: dict[str, int]) -> None:
        with transaction(self._bind) as conn:
            conn.execute(sync_runs.delete().where(sync_runs.c.as_of == as_of))
            conn.execute(sync_runs.insert().values(as_of=as_of, synced_at=at, counts=counts))

    def counts(self, as_of: dt.date) -> dict[str, int] | None:
        query = sa.select(sync_runs.c.counts).where(sync_runs.c.as_of == as_of)
        with transaction(self._bind) as conn:
            return conn.execute(query).scalar_one_or_none()
