"""Repayment record (还款记录) as of a date: when each installment was covered, which were
paid late, and the loan facts the classification and the rating read from them.

Repayments fill installments in order (DATA_CONTRACT.md), so installment i is covered on the
first day the money received reaches what the schedule asks up to and including i
(``cum_due_before + due``), less the materiality threshold: an as-of join of the schedule on
the running total of repayments, no loop. Money received by D never changes later, so the
date an installment was covered at D is the same at every later date.

An installment is *late* when it was covered after its due date, or is still not covered
after it (on its due date it is not late yet, as for DPD).

The running total is a sort of the repayments and the as-of join a sort of both; over a whole
book that is the cost of this module. So the record with dates is for some loans
(``loans``), and a whole book's count of late installments (``late_since``) takes one sort
of installments and repayments together."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, day, in_force, money, zero


def installment_cover(installments: ir.Table, repayments: ir.Table, as_of: dt.date,
                      materiality: Decimal = Decimal("0.00"), *,
                      loans: ir.Table | None = None) -> ir.Table:
    """Installments of the schedule in force at ``as_of`` due by then (of ``loans``, a table
    with ``loan_id``, when given): ``loan_id, seq, due_on, covered_on`` (NULL if not covered
    by ``as_of``) and ``late``."""
    d = day(as_of)
    i = installments.filter(in_force(installments, d), installments.due_on <= d)
    r = repayments.filter(in_force(repayments, d), repayments.paid_on <= d)
    if loans is not None:
        # Ibis cannot as-of join a semi-join on the left: an inner join on distinct ids
        a = loans.select(a_loan_id=loans.loan_id).distinct()
        i = i.join(a, i.loan_id == a.a_loan_id).drop("a_loan_id")
        r = r.semi_join(loans, "loan_id")
    due = money(i.principal_due + i.interest_due + i.fee_due)
    i = i.select("loan_id", "seq", "due_on", need=money(i.cum_due_before + due
                                                         - ibis.literal(materiality, type=MONEY)))
    j = i.asof_join(received := _received(r), on=i.need <= received.received,
                    predicates=[i.loan_id == received.r_loan_id])
    # an installment asking for nothing (beyond the threshold) is covered when it falls due
    covered = ibis.ifelse(j.need <= 0, j.due_on, j.paid_on)
    j = j.select("loan_id", "seq", "due_on", covered_on=covered)
    late = ibis.ifelse(j.covered_on.isnull(), j.due_on < d, j.covered_on > j.due_on)
    return j.mutate(late=late)


def _received(r: ir.Table) -> ir.Table:
    """Per loan and day money came in: the money received in all by the end of that day."""
    r = r.group_by("loan_id", "paid_on").aggregate(amount=money(r.amount.sum()))
    w = ibis.window(group_by=r.loan_id, order_by=r.paid_on, rows=(None, 0))
    return r.select(r_loan_id=r.loan_id, paid_on=r.paid_on, received=money(r.amount.sum().over(w)))


def late_since(installments: ir.Table, repayments: ir.Table, as_of: dt.date, since: dt.date,
               materiality: Decimal = Decimal("0.00")) -> ir.Table:
    """Per loan with installments due after ``since`` and by ``as_of``: how many of them were
    ``late``, without the dates: installments and repayments in one stream per loan, by day
    (a day's repayments before its installments), whose running sum of money received is
    what was paid by each due date — one sort, no join. The money received by ``since`` is
    one opening amount per loan."""
    d, s = day(as_of), day(since)
    i = installments.filter(in_force(installments, d), installments.due_on <= d,
                            installments.due_on > s)
    due = money(i.cum_due_before + i.principal_due + i.interest_due + i.fee_due)
    i = i.select("loan_id", on=i.due_on, k=ibis.literal(1, "int8"),
                 need=money(due - ibis.literal(materiality, type=MONEY)), amount=zero())
    r = repayments.filter(in_force(repayments, d), repayments.paid_on <= d)
    before = r.filter(r.paid_on <= s)
    opening = before.group_by("loan_id").aggregate(amount=money(before.amount.sum()))
    paid = ibis.union(
        opening.select("loan_id", on=s, k=ibis.literal(0, "int8"), need=ibis.null(MONEY),
                       amount="amount"),
        r.filter(r.paid_on > s).select("loan_id", on=r.paid_on, k=ibis.literal(0, "int8"),
                                       need=ibis.null(MONEY), amount=r.amount))
    e = ibis.union(i, paid)
    w = ibis.window(group_by=e.loan_id, order_by=[e.on, e.k], rows=(None, 0))
    e = e.mutate(paid=money(e.amount.sum().over(w)))
    e = e.filter(e.k == 1)
    late = (e.on < d) & (e.paid < e.need)
    return e.group_by("loan_id").aggregate(late=late.cast("int32").sum().cast("int32"))


def repayment_facts(cover: ir.Table, as_of: dt.date, window_months: int = 12) -> ir.Table:
    """Per loan with an installment due by ``as_of``: ``late_12m`` (installments due in the
    last ``window_months`` months that were late), ``cured_on`` (the day the last late
    installment was made good: arrears last fully paid) and ``in_arrears`` (a late one is
    still uncovered)."""
    d = day(as_of)
    since = d - ibis.interval(months=window_months)
    c = cover
    return c.group_by("loan_id").aggregate(
        late_12m=(c.late & (c.due_on > since)).cast("int32").sum().cast("int32"),
        cured_on=c.covered_on.max(where=c.late),
        in_arrears=(c.late & c.covered_on.isnull()).any())


def on_time_since(cover: ir.Table, starts: ir.Table, column: str = "start") -> ir.Table:
    """Per loan of ``starts`` (``loan_id`` and a date ``column``): how many installments due
    from that date on were paid on time, and the due date of the first of them."""
    s = starts.select(s_loan_id=starts.loan_id, s_start=starts[column])
    c = cover.join(s, [cover.loan_id == s.s_loan_id, cover.due_on >= s.s_start])
    c = c.filter(~c.late)
    return c.group_by("loan_id").aggregate(on_time=c.count().cast("int32"),
                                           first_due=c.due_on.min())
