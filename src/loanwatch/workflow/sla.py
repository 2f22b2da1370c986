"""Service levels of alerts: how long a person has, by severity, to close an alert with a
disposition, and whether that time has passed. Pure: the caller passes ``now``."""

from __future__ import annotations

import datetime as dt

from loanwatch.policy.vocabulary import Severity
from loanwatch.policy.workflow import SlaPolicy
from loanwatch.workflow.alerts import Alert, AlertStatus

DEFAULT_SLA = SlaPolicy()


def due_at(opened_at: dt.datetime, severity: Severity,
           hours_by_severity: SlaPolicy = DEFAULT_SLA) -> dt.datetime | None:
    """When an alert opened at ``opened_at`` must be closed; ``None`` if never.

    >>> due_at(dt.datetime(2026, 6, 1, 9), Severity.CRITICAL)
    datetime.datetime(2026, 6, 2, 9, 0)
    """
    hours = getattr(hours_by_severity, severity.value)
    return None if hours is None else opened_at + dt.timedelta(hours=hours)


def sla_breached(alert: Alert, now: dt.datetime, hours_by_severity: SlaPolicy = DEFAULT_SLA) -> bool:
    """Whether the alert is past its due time at its current severity: a live one at ``now``,
    a closed one when it was closed. Closing exactly at the due time is on time. The clock
    restarts when the alert reopens."""
    due = due_at(alert.live_since, alert.severity, hours_by_severity)
    if due is None:
        return False
    until = alert.closed_at if alert.status is AlertStatus.CLOSED and alert.closed_at else now
    return until > due
