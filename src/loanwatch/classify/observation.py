"""Periods of good behaviour the classification waits for (METRICS.md): the observation
period of a restructured loan (重组观察期) and the upgrade condition out of non-performing.

Both are "the longer of N repayment periods and M months" of payments on time:

- *restructuring*: from the first due date after the restructuring; a missed payment
  restarts it at the first due date after the arrears were made good. The loan is in
  observation until, with nothing in arrears, ``min_periods`` installments due from the
  start were paid on time and ``min_months`` months have passed since the start;
- *upgrade*: the arrears fully paid, then ``min_periods`` installments paid on time and
  ``min_months`` months, counted from the later of the day the loan became non-performing
  and the day its arrears were last made good."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import day, in_force
from loanwatch.analytics.repayment_record import on_time_since


@dataclass(frozen=True)
class Wait:
    """The longer of ``min_periods`` repayment periods and ``min_months`` months."""

    min_periods: int
    min_months: int

    def over(self, start: ir.DateValue, on_time: ir.IntegerValue, in_arrears: ir.BooleanValue,
             as_of: ir.DateValue) -> ir.BooleanValue:
        """True once the wait that began at ``start`` is over at ``as_of``."""
        return (~in_arrears & start.notnull()
                & (start + ibis.interval(months=self.min_months) <= as_of)
                & (on_time.coalesce(0) >= self.min_periods))


def restructuring_observation(restructured: ir.Table, installments: ir.Table, cover: ir.Table,
                              facts: ir.Table, as_of: dt.date, wait: Wait) -> ir.Table:
    """Loans of ``restructured`` (``loan_id, restructured_on`` with ``restructured_on <= as_of``):
    ``observation_start`` (NULL while the start is not yet known) and ``in_observation``."""
    d = day(as_of)
    i = installments.filter(in_force(installments, d))
    i = i.select(i_loan_id=i.loan_id, due_on=i.due_on)
    base = _first_due_after(restructured, i, "restructured_on", "base")
    c = cover.join(base, [cover.loan_id == base.loan_id, cover.due_on >= base.base]
                   ).select(cover.loan_id, cover.late, cover.covered_on)
    missed = c.group_by("loan_id").aggregate(missed_cured=c.covered_on.max(where=c.late))
    t = restructured.left_join(missed, restructured.loan_id == missed.loan_id).drop("loan_id_right")
    t = t.mutate(anchor=ibis.greatest(t.restructured_on, t.missed_cured))
    start = _first_due_after(t, i, "anchor", "observation_start")
    t = t.left_join(start, t.loan_id == start.loan_id).drop("loan_id_right")
    paid = on_time_since(cover, t.select("loan_id", start=t.observation_start))
    t = t.left_join(paid, t.loan_id == paid.loan_id).drop("loan_id_right")
    f = facts.select(f_loan_id=facts.loan_id, in_arrears=facts.in_arrears)
    t = t.left_join(f, t.loan_id == f.f_loan_id)
    over = wait.over(t.observation_start, t.on_time, t.in_arrears.coalesce(False), d)
    return t.select("loan_id", "observation_start", in_observation=~over)


def upgrade_ready(npl: ir.Table, cover: ir.Table, facts: ir.Table, as_of: dt.date,
                  wait: Wait) -> ir.Table:
    """Loans of ``npl`` (``loan_id, npl_since``): ``upgrade_ready`` at ``as_of``."""
    f = facts.select(f_loan_id=facts.loan_id, cured_on=facts.cured_on, in_arrears=facts.in_arrears)
    t = npl.left_join(f, npl.loan_id == f.f_loan_id)
    t = t.select("loan_id", t.in_arrears, start=ibis.greatest(t.npl_since, t.cured_on))
    paid = on_time_since(cover, t.select("loan_id", after=t.start + ibis.interval(days=1)), "after")
    t = t.left_join(paid, t.loan_id == paid.loan_id).drop("loan_id_right")
    ready = wait.over(t.start, t.on_time, t.in_arrears.coalesce(False), day(as_of))
    return t.select("loan_id", upgrade_ready=ready)


def _first_due_after(t: ir.Table, installments: ir.Table, column: str, name: str) -> ir.Table:
    j = t.join(installments, [t.loan_id == installments.i_loan_id,
                              installments.due_on > t[column]])
    return j.group_by(j.loan_id).aggregate(**{name: j.due_on.min()})
