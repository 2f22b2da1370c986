"""Alerts (预警): one per signal and subject (a loan, or a borrower) while its condition
lasts, from the firings of each run.

At a date D, against the alerts of the run before: a firing with no open alert opens one
(``opened_on`` D); a firing with an open alert keeps it, with today's severity and evidence
(``last_seen_on`` D); an open alert that no longer fires closes itself (``closed_on`` D).
The alerts stored for D are those open at D and those closed at D. Re-running D reads the
same run before, so it changes nothing. A person's disposition is the workflow's
(operational store), keyed by ``alert_id``."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.analytics.expr import day

# the columns of an alert, as stored for each date
ALERT = pa.schema([
    ("as_of", pa.date32()), ("alert_id", pa.string()), ("signal_id", pa.string()),
    ("group", pa.string()), ("subject", pa.string()), ("customer_id", pa.string()),
    ("loan_id", pa.string()), ("status", pa.string()), ("severity", pa.string()),
    ("evidence", pa.string()), ("actions", pa.list_(pa.string())), ("opened_on", pa.date32()),
    ("last_seen_on", pa.date32()), ("closed_on", pa.date32())])


def subject_of(t: ir.Table) -> ir.StringValue:
    return t.loan_id.coalesce(t.customer_id)


def alert_states(today: ir.Table, previous: ir.Table, as_of: dt.date) -> ir.Table:
    """``today``: firings (``signal_id, group, customer_id, loan_id, severity, evidence,
    actions``); ``previous``: the alerts of the run before (this function's output)."""
    d = day(as_of)
    f = today.mutate(subject=subject_of(today))
    was = previous.filter(previous.status == "open")
    p = was.select(p_signal=was.signal_id, p_subject=was.subject, p_alert=was.alert_id,
                   p_opened=was.opened_on, p_customer=was.customer_id, p_loan=was.loan_id,
                   p_group=was.group, p_severity=was.severity, p_evidence=was.evidence,
                   p_actions=was.actions, p_last=was.last_seen_on)
    t = f.outer_join(p, [f.signal_id == p.p_signal, f.subject == p.p_subject])
    fires = t.signal_id.notnull()
    new_id = t.signal_id.concat(":", t.subject, ":", d.cast("string"))
    return t.select(
        as_of=d,
        alert_id=t.p_alert.coalesce(new_id),
        signal_id=t.signal_id.coalesce(t.p_signal),
        group=t.group.coalesce(t.p_group),
        subject=t.subject.coalesce(t.p_subject),
        customer_id=t.customer_id.coalesce(t.p_customer),
        loan_id=ibis.ifelse(fires, t.loan_id, t.p_loan),
        status=ibis.ifelse(fires, "open", "closed"),
        severity=t.severity.coalesce(t.p_severity),
        evidence=t.evidence.coalesce(t.p_evidence),
        actions=ibis.ifelse(fires, t.actions, t.p_actions),
        opened_on=t.p_opened.coalesce(d),
        last_seen_on=ibis.ifelse(fires, d, t.p_last),
        closed_on=ibis.ifelse(fires, ibis.null("date"), d),
    )
