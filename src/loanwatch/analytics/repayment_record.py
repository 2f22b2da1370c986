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
(``loans``), and a whole book's counts (late, long late, partly paid: ``repayment_counts``)
take one sort of installments and repayments together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, day, in_force, money, zero
from loanwatch.domain.calendar import WORKING_WEEK_START, last_day_within


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


@dataclass(frozen=True)
class RecordRules:
    """What the policy decides for a whole book's record (``repayment_counts``)."""

    materiality: Decimal = Decimal("0.00")
    # an installment covered more than this many working days after its due date (or still
    # uncovered that long after it) is *long late*
    long_late_working_days: int = 5
    # partial payments count in the loan's last this many installments due
    recent_periods: int = 3


def repayment_counts(installments: ir.Table, repayments: ir.Table, as_of: dt.date,
                     since: dt.date, rules: RecordRules = RecordRules()) -> ir.Table:
    """Per loan with installments due after ``since`` and by ``as_of``, what a whole book
    needs without the dates of ``installment_cover``:

    - ``late``: how many of them were ``late``;
    - ``long_late``: how many were covered more than ``rules.long_late_working_days``
      working days (Monday to Friday, domain/calendar) after their due date, or are still
      uncovered that long after it;
    - ``periods``: how many of the loan's last ``rules.recent_periods`` installments due by
      ``as_of`` (by ``seq``) are among them: the record sees no further back than ``since``;
    - ``partial``: how many of those had, at the end of their due date, received money but
      not all they asked (less the materiality threshold); ``partials``: each of them,
      ``seq, due_on, received, due`` in ``seq`` order (NULL when there are none).

    Installments and repayments are one stream per loan ordered by day (``_events``). The
    running sum of money received up to a due date, that day's repayments included (a RANGE
    frame), says whether the installment was late or partly paid; the sum up to the last day
    it could be covered without being long late (a RANGE frame reaching that many days
    further, per row) says whether it was long late: one sort, no join."""
    d = day(as_of)
    e = _events(installments, repayments, d, day(since), rules)
    by_day = ibis.window(group_by=e.loan_id, order_by=e.on, range=(None, 0))
    by_grace = ibis.window(group_by=e.loan_id, order_by=e.on, range=(None, e.grace))
    e = e.mutate(paid=money(e.amount.sum().over(by_day)),
                 paid_in_grace=money(e.amount.sum().over(by_grace)))
    e = e.filter(e.seq.notnull())
    late = (e.on < d) & (e.paid < e.need)
    long_late = late & ((e.on + e.grace.as_interval("D")) < d) & (e.paid_in_grace < e.need)
    partial = (e.paid > e.start) & (e.paid < e.need)
    part = ibis.struct({"seq": e.seq, "due_on": e.on, "received": money(e.paid - e.start),
                        "due": e.due})
    a = e.group_by("loan_id").aggregate(
        late=_count(late), long_late=_count(long_late), last_seq=e.seq.max(),
        due_count=e.count(), partly=part.collect(where=partial))
    recent = a.partly.filter(lambda p: p.seq > a.last_seq - rules.recent_periods).sort()
    return a.select(
        "loan_id", "late", "long_late",
        periods=ibis.least(a.due_count, rules.recent_periods).cast("int32"),
        partial=recent.length().coalesce(0).cast("int32"),
        partials=ibis.ifelse(recent.length() > 0, recent, ibis.null(recent.type())))


def _events(installments: ir.Table, repayments: ir.Table, d: ir.DateValue, s: ir.DateValue,
            rules: RecordRules) -> ir.Table:
    """The installments due in (``s``, ``d``] (``seq`` set; ``grace``: calendar days from the
    due date to the last day within the long-late working days) and the money received by
    ``d`` (``amount``; what came by ``s`` as one opening amount dated ``s``)."""
    i = installments.filter(in_force(installments, d), installments.due_on <= d,
                            installments.due_on > s)
    due = money(i.principal_due + i.interest_due + i.fee_due)
    n = _day_number(i.due_on)
    grace = (last_day_within(n, rules.long_late_working_days) - n).cast("int32")
    need = money(i.cum_due_before + due - ibis.literal(rules.materiality, type=MONEY))
    i = i.select("loan_id", on=i.due_on, seq=i.seq.cast("int32"), grace=grace,
                 start=i.cum_due_before, due=due, need=need, amount=zero())
    r = repayments.filter(in_force(repayments, d), repayments.paid_on <= d)
    before = r.filter(r.paid_on <= s)
    opening = before.group_by("loan_id").aggregate(amount=money(before.amount.sum()))
    none = dict(seq=ibis.null("int32"), grace=ibis.literal(0, "int32"), start=ibis.null(MONEY),
                due=ibis.null(MONEY), need=ibis.null(MONEY))
    return ibis.union(
        i, opening.select("loan_id", on=s, **none, amount="amount"),
        r.filter(r.paid_on > s).select("loan_id", on=r.paid_on, **none, amount=r.amount))


def _count(condition: ir.BooleanValue) -> ir.IntegerValue:
    return condition.cast("int32").sum().cast("int32")


def _day_number(d: ir.DateValue) -> ir.IntegerValue:
    """Days since ``WORKING_WEEK_START``, the day numbers of domain/calendar."""
    return d.delta(ibis.date(WORKING_WEEK_START), unit="day")


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
