"""The ports of the operational store: what the workflow services need to keep alerts and
their audit trail, whatever holds them (``Memory*`` doubles, ``Sql*`` adapters)."""

from __future__ import annotations

import builtins
from typing import Protocol

from loanwatch.workflow.alerts import Alert, AlertStatus
from loanwatch.workflow.audit import WriteAudit

#: how many alerts ``list`` returns unless told otherwise
DEFAULT_LIMIT = 100


class AlertRepository(Protocol):
    """Alerts by id, saved with optimistic concurrency on ``Alert.version``."""

    def get(self, alert_id: str) -> Alert | None:
        """The alert, or ``None`` when there is none with that id."""
        ...

    def add(self, alert: Alert) -> None:
        """Store a new alert; ``Conflict`` when one with its id exists (another sync won)."""
        ...

    def save(self, alert: Alert, expected_version: int) -> None:
        """Replace the stored alert if it is still at ``expected_version``, else raise
        ``Conflict`` and change nothing; ``LookupError`` when there is no such alert."""
        ...

    def find(self, signal_id: str, customer_id: str, loan_id: str | None) -> Alert | None:
        """The alert of a signal on a subject (the most recently (re)opened), for the sync to
        update or reopen; ``loan_id`` ``None`` means a customer-level alert."""
        ...

    def list(self, status: AlertStatus | None = None, owner: str | None = None,
             limit: int = DEFAULT_LIMIT) -> builtins.list[Alert]:
        """Alerts in a state and/or of an owner, most recently (re)opened first."""
        ...


class AuditLog(Protocol):
    """The append-only audit trail: rows are added, never changed or removed."""

    def append(self, row: WriteAudit) -> None:
        ...

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        """The rows of one record in the order they were appended."""
        ...
