"""Repayment here (还款记录) per borrower: installments due in the last 12 months and how many
of them were paid late (METRICS.md: overdue rate = overdue / due installments, 12 months)."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force
from loanwatch.analytics.indicators.ratio import ratio
from loanwatch.domain.calendar import months_before

WINDOW_MONTHS = 12


def due_installments(installments: ir.Table, as_of: dt.date,
                     months: int = WINDOW_MONTHS) -> ir.Table:
    """Per loan: installments of the schedule in force due in (as_of - ``months``, as_of]
    (``due``), the window of the ``repayment_record`` mart's ``late_12m``."""
    d = ibis.date(as_of)
    i = installments.filter(in_force(installments, d), installments.due_on <= d,
                            installments.due_on > ibis.date(months_before(as_of, months)))
    return i.group_by("loan_id").aggregate(due=i.count())


def overdue_record(snapshot: ir.Table, repayment_record: ir.Table, installments: ir.Table,
                   as_of: dt.date) -> ir.Table:
    """Per borrower with installments due in the last 12 months on any of its loans in the
    snapshot: ``due``, ``late`` (``late_12m`` of the repayment record) and ``rate``."""
    loans = snapshot.select("loan_id", "customer_id")
    due = due_installments(installments, as_of)
    late = repayment_record.select(r_loan_id="loan_id", late="late_12m")
    t = loans.join(due, "loan_id")
    t = t.left_join(late, t.loan_id == late.r_loan_id)
    t = t.group_by("customer_id").aggregate(due=t.due.sum(), late=t.late.coalesce(0).sum())
    return t.mutate(rate=ratio(t.late, t.due))
