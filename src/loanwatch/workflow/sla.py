"""Service levels of alerts: how long a person has, by severity, to close an alert with a
disposition, and whether that time has passed. Pure: the caller passes ``now``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loanwatch.policy.vocabulary import Severity
from loanwatch.workflow.alerts import Alert, AlertStatus


@dataclass(frozen=True)
class SlaHours:
    """Hours to close an alert, by severity; ``None`` means no deadline."""

    critical: int | None = 24
    high: int | None = 72
    medium: int | None = 7 * 24
    low: int | None = 14 * 24
    info: int | None = None

    def hours(self, severity: Severity) -> int | None:
        return getattr(self, severity.value)


DEFAULT_SLA = SlaHours()


def due_at(opened_at: dt.datetime, severity: Severity,
           hours_by_severity: SlaHours = DEFAULT_SLA) -> dt.datetime | None:
    """When an alert opened at ``opened_at`` must be closed; ``None`` if never.

    >>> due_at(dt.datetime(2026, 6, 1, 9), Severity.CRITICAL)
    datetime.datetime(2026, 6, 2, 9, 0)
    """
    hours = hours_by_severity.hours(severity)
    return None if hours is None else opened_at + dt.timedelta(hours=hours)


def sla_breached(alert: Alert, now: dt.datetime, hours_by_severity: SlaHours = DEFAULT_SLA) -> bool:
    """Whether the alert is past its due time at its current severity: a live one at ``now``,
    a closed one when it was closed. Closing exactly at the due time is on time. The clock
    restarts when the alert reopens."""
    due = due_at(alert.live_since, alert.severity, hours_by_severity)
    if due is None:
        return False
    until = alert.closed_at if alert.status is AlertStatus.CLOSED and alert.closed_at else now
    return until > due
