"""In-memory doubles of the store's ports, for services' tests and demos; they behave as the
SQL adapters do (the contract suite in tests/storage runs against both)."""

from __future__ import annotations

import builtins

from loanwatch.storage.base import DEFAULT_LIMIT
from loanwatch.workflow.alerts import Alert, AlertStatus
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import Conflict


class MemoryAlertRepository:
    """Alerts in a dict; frozen dataclasses, so what callers hold cannot change the store."""

    def __init__(self) -> None:
        self._alerts: dict[str, Alert] = {}

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def add(self, alert: Alert) -> None:
        if (current := self._alerts.get(alert.alert_id)) is not None:
            raise Conflict("alert", alert.alert_id, 0, current.version)
        self._alerts[alert.alert_id] = alert

    def save(self, alert: Alert, expected_version: int) -> None:
        current = self._alerts.get(alert.alert_id)
        if current is None:
            raise LookupError(f"there is no alert {alert.alert_id} to save")
        if current.version != expected_version:
            raise Conflict("alert", alert.alert_id, expected_version, current.version)
        self._alerts[alert.alert_id] = alert

    def find(self, signal_id: str, customer_id: str, loan_id: str | None) -> Alert | None:
        found = [a for a in self._alerts.values() if (a.signal_id, a.customer_id, a.loan_id)
                 == (signal_id, customer_id, loan_id)]
        return _newest_first(found)[0] if found else None

    def list(self, status: AlertStatus | None = None, owner: str | None = None,
             limit: int = DEFAULT_LIMIT) -> builtins.list[Alert]:
        found = [a for a in self._alerts.values() if (status is None or a.status == status)
                 and (owner is None or a.owner == owner)]
        return _newest_first(found)[:limit]


def _newest_first(alerts: builtins.list[Alert]) -> builtins.list[Alert]:
    """Most recently (re)opened first; the id breaks ties, as ``ORDER BY`` does in SQL."""
    by_id = sorted(alerts, key=lambda a: a.alert_id)
    return sorted(by_id, key=lambda a: a.live_since, reverse=True)


class MemoryAuditLog:
    def __init__(self) -> None:
        self._rows: list[WriteAudit] = []

    def append(self, row: WriteAudit) -> None:
        self._rows.append(row)

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        return [r for r in self._rows if (r.entity, r.entity_id) == (entity, entity_id)]
