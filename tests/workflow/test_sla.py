"""Service levels: a person has hours to close an alert, by severity; exactly at the due time
is on time, one second later is a breach."""

from __future__ import annotations

import datetime as dt

import pytest

from loanwatch.policy.vocabulary import Action, Severity
from loanwatch.policy.workflow import SlaPolicy
from loanwatch.workflow.alerts import Alert, Close, Disposition, Fired, Reopen, transition
from loanwatch.workflow.sla import due_at, sla_breached

OPENED = dt.datetime(2026, 6, 1, 7, 0)
SECOND = dt.timedelta(seconds=1)


def alert(severity: Severity) -> Alert:
    opened, _ = transition(None, Fired(
        alert_id="A1", signal_id="REPAY-OVERDUE", customer_id="C1", loan_id="L1",
        manager_id="mgr-wang", as_of=OPENED.date(), at=OPENED, severity=severity,
        evidence="DPD 12", actions=(Action.REMIND,)))
    return opened


def closed(a: Alert, when: dt.datetime) -> Alert:
    after, _ = transition(a, Close(disposition=Disposition.RESOLVED, comment="repaid",
                                   by="mgr-wang", at=when, expected_version=a.version))
    return after


@pytest.mark.parametrize(("severity", "due"), [
    (Severity.CRITICAL, dt.datetime(2026, 6, 2, 7, 0)),
    (Severity.HIGH, dt.datetime(2026, 6, 4, 7, 0)),
    (Severity.MEDIUM, dt.datetime(2026, 6, 8, 7, 0)),
    (Severity.LOW, dt.datetime(2026, 6, 15, 7, 0)),
    (Severity.INFO, None),
])
def test_the_default_due_time_by_severity(severity, due):
    assert due_at(OPENED, severity) == due


def test_a_policy_may_set_its_own_hours():
    strict = SlaPolicy(critical=4, info=720)
    assert due_at(OPENED, Severity.CRITICAL, strict) == OPENED + dt.timedelta(hours=4)
    assert due_at(OPENED, Severity.INFO, strict) == OPENED + dt.timedelta(days=30)


@pytest.mark.parametrize("severity", [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM,
                                      Severity.LOW])
def test_exactly_at_the_due_time_is_on_time_one_second_later_is_a_breach(severity):
    due = due_at(OPENED, severity)
    assert not sla_breached(alert(severity), due)
    assert sla_breached(alert(severity), due + SECOND)


def test_an_info_alert_never_breaches():
    assert not sla_breached(alert(Severity.INFO), OPENED + dt.timedelta(days=3650))


def test_a_closed_alert_is_judged_by_when_it_was_closed():
    due = due_at(OPENED, Severity.CRITICAL)
    later = due + dt.timedelta(days=30)
    assert not sla_breached(closed(alert(Severity.CRITICAL), due), later)
    assert sla_breached(closed(alert(Severity.CRITICAL), due + SECOND), later)


def test_the_clock_restarts_when_the_alert_reopens():
    late = OPENED + dt.timedelta(days=5)
    done = closed(alert(Severity.CRITICAL), OPENED + dt.timedelta(hours=1))
    reopened, _ = transition(done, Reopen(reason="bounced", by="head-zhao", at=late,
                                          expected_version=done.version))
    assert not sla_breached(reopened, late + dt.timedelta(hours=24))
    assert sla_breached(reopened, late + dt.timedelta(hours=24) + SECOND)


def test_a_severity_raised_to_critical_shortens_the_deadline():
    medium = alert(Severity.MEDIUM)
    now = OPENED + dt.timedelta(hours=30)
    assert not sla_breached(medium, now)
    critical, _ = transition(medium, Fired(
        alert_id="A1", signal_id="REPAY-OVERDUE", customer_id="C1", loan_id="L1",
        manager_id="mgr-wang", as_of=dt.date(2026, 6, 2), at=OPENED + dt.timedelta(days=1),
        severity=Severity.CRITICAL, evidence="DPD 13", actions=(Action.REMIND,)))
    assert sla_breached(critical, now)
