"""Group J, workflow (贷后任务): the post-loan work the policy's ``inspections`` section asks for
and that is not recorded as done by its deadline.

They read ``facts.tasks``: the work done, one row per record (``customer_id``, ``loan_id`` or
NULL for a borrower-level record, ``kind``: ``first_inspection``, ``debt_confirmation`` or
``rating_refresh``, ``done_on``), from the operational store where people record it (the
workflow issue syncs it into the run). ``None`` means no record is kept at all, and they do
not fire: a missing register is not late work. The deadlines come with the facts
(``facts.deadlines``)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import day, in_force
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.signal import Facts, Signal, firings, no_firings


def _done(facts: Facts, kind: str) -> ir.Table:
    t = facts.tasks
    assert t is not None
    return t.filter(t.kind == kind, t.done_on <= day(facts.as_of))


def _active(facts: Facts) -> ir.Table:
    """Active loans at the date with their disbursement date."""
    s = facts.snapshot.filter(facts.snapshot.status == "active").select("loan_id", "customer_id")
    ln = facts.loans.filter(in_force(facts.loans, facts.as_of))
    ln = ln.select(l_loan_id="loan_id", disbursed_on="disbursed_on")
    return s.join(ln, s.loan_id == ln.l_loan_id).drop("l_loan_id")


def first_inspection_late(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """TASK-FIRST-INSPECTION-LATE: an active loan disbursed more than ``first_inspection_within``
    days before the date with no first inspection recorded for it by the date."""
    if facts.tasks is None:
        return no_firings()
    days = facts.deadlines.first_inspection_within
    a = _active(facts)
    a = a.filter(a.disbursed_on + ibis.interval(days=days) < day(facts.as_of))
    done = _done(facts, "first_inspection").select(d_loan_id="loan_id")
    a = a.anti_join(done, a.loan_id == done.d_loan_id)
    due = (a.disbursed_on + ibis.interval(days=days)).cast("timestamp").date()
    evidence = ("disbursed " + a.disbursed_on.cast("string") + ", no first inspection by "
                + due.cast("string") + f" ({days} days)")
    return firings(a.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


def _borrower_late(facts: Facts, policy: SignalPolicy[Any], kind: str, every: int,
                   what: str) -> ir.Table:
    """Borrowers with an active loan whose latest ``kind`` record — or, with none, their
    earliest active loan's disbursement — is more than ``every`` days before the date."""
    a = _active(facts)
    since = a.group_by("customer_id").aggregate(first_loan=a.disbursed_on.min())
    d = _done(facts, kind)
    last = d.group_by(d_customer="customer_id").aggregate(last_done=d.done_on.max())
    t = since.left_join(last, since.customer_id == last.d_customer)
    start = t.last_done.coalesce(t.first_loan)
    t = t.mutate(start=start).filter(start + ibis.interval(days=every) < day(facts.as_of))
    late = ibis.ifelse(t.last_done.isnull(),
                       f"no {what} since the first loan, disbursed " + t.first_loan.cast("string"),
                       f"last {what} " + t.last_done.cast("string"))
    return firings(t.mutate(loan_id=ibis.null("string"),
                            severity=ibis.literal(policy.severity.value),
                            evidence=late + f" (every {every} days)"))


def confirmation_late(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """TASK-CONFIRMATION-LATE: no debt confirmation (债权核对) with the borrower within
    ``debt_confirmation_every`` days."""
    if facts.tasks is None:
        return no_firings()
    return _borrower_late(facts, policy, "debt_confirmation",
                          facts.deadlines.debt_confirmation_every, "debt confirmation")


def rating_stale(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """TASK-RATING-STALE: no rating refresh (评级更新) of the borrower within
    ``rating_refresh_every`` days."""
    if facts.tasks is None:
        return no_firings()
    return _borrower_late(facts, policy, "rating_refresh", facts.deadlines.rating_refresh_every,
                          "rating refresh")


SIGNALS = (
    Signal("TASK-FIRST-INSPECTION-LATE", "首次贷后检查逾期", "First inspection late",
           first_inspection_late),
    Signal("TASK-CONFIRMATION-LATE", "债权核对逾期", "Debt confirmation late", confirmation_late),
    Signal("TASK-RATING-STALE", "评级未按季更新", "Rating refresh late", rating_stale),
)
