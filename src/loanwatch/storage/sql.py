"""The store's ports for alerts and the audit trail over SQLAlchemy (see ``storage.connect``
for the store's location and transactions)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from loanwatch.storage.base import DEFAULT_LIMIT
from loanwatch.storage.connect import Bind, transaction
from loanwatch.storage.records import RecordKind, SqlRecords, chunks
from loanwatch.storage.tables import alerts, audit_events
from loanwatch.workflow.alerts import Alert, AlertStatus
from loanwatch.workflow.audit import WriteAudit

ALERTS = RecordKind("alert", Alert, alerts, "alert_id")


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
            for chunk in chunks(rows):
                conn.execute(audit_events.insert(), [
                    {"actor": r.actor, "action": r.action, "entity": r.entity,
                     "entity_id": r.entity_id, "at": r.at, "before": r.before, "after": r.after}
                    for r in chunk])

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        query = (sa.select(audit_events.c.actor, audit_events.c.action, audit_events.c.entity,
                           audit_events.c.entity_id, audit_events.c.at, audit_events.c.before,
                           audit_events.c.after)
                 .where(audit_events.c.entity == entity, audit_events.c.entity_id == entity_id)
                 .order_by(audit_events.c.id))
        with transaction(self._bind) as conn:
            return [WriteAudit(**row) for row in conn.execute(query).mappings()]
