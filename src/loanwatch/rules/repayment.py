"""Group A, repayment behaviour (还款行为): signals read from the loan snapshot, the
repayment record (late, long-late and partly paid installments) and the ratings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.signal import Facts, Signal, firings, no_firings


def repay_overdue(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """REPAY-OVERDUE: a loan at least ``min_dpd`` days past due; the severity steps up with
    DPD (low, then medium, high and critical from the policy's thresholds)."""
    p = policy.params
    s = facts.snapshot
    s = s.filter(s.status == "active", s.dpd >= p.min_dpd)
    severity = ibis.cases((s.dpd >= p.critical_min_dpd, "critical"),
                          (s.dpd >= p.high_min_dpd, "high"),
                          (s.dpd >= p.medium_min_dpd, "medium"), else_=policy.severity.value)
    evidence = ("DPD " + s.dpd.cast("string") + ", overdue principal "
                + s.overdue_principal.cast("string") + ", interest "
                + s.overdue_interest.cast("string") + " (" + s.overdue_installments.cast("string")
                + " installments overdue)")
    return firings(s.mutate(severity=severity, evidence=evidence))


def repay_partial(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """REPAY-PARTIAL: partial payments (money received by the end of the due date, but not
    all the installment asked) in ``min_partial_periods`` or more of the loan's last
    ``last_periods`` installments due. The repayment record counts them with the policy's
    ``last_periods``, within its 12 months."""
    if facts.repayment_record is None:
        return no_firings()
    t = _active(facts.repayment_record, facts.snapshot)
    t = t.filter(t.partial_periods >= policy.params.min_partial_periods)
    each = t.partials.map(lambda p: "#" + p.seq.cast("string") + " due " + p.due_on.cast("string")
                          + ", received " + p.received.cast("string") + " of "
                          + p.due.cast("string"))
    evidence = ("partial payments in " + t.partial_periods.cast("string") + " of the last "
                + t.recent_periods.cast("string") + " installments: " + each.join("; "))
    return firings(t.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


def repay_repeat(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """REPAY-REPEAT: among the installments due in the last 12 months (the repayment record;
    ``window_months`` is 12 there), ``min_overdues`` or more late (paid late or still unpaid),
    or ``min_long_overdues`` or more late by more than ``long_overdue_working_days_above``
    working days (Monday to Friday; the record counts them with the policy's number). The
    evidence names the rules that fired."""
    if facts.repayment_record is None:
        return no_firings()
    p = policy.params
    t = _active(facts.repayment_record, facts.snapshot)
    many, long = t.late_12m >= p.min_overdues, t.long_late_12m >= p.min_long_overdues
    t = t.filter(many | long)
    n_late, n_long = t.late_12m.cast("string"), t.long_late_12m.cast("string")
    late = " installments late in the last 12 months"
    long_late = f"more than {p.long_overdue_working_days_above} working days late"
    evidence = ibis.cases((many & long, n_late + late + "; " + n_long + " " + long_late),
                          (many, n_late + late),
                          else_=n_long + " installments " + long_late + " in the last 12 months")
    return firings(t.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


def repay_due_soon_risk(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """REPAY-DUE-SOON-RISK: an active loan's next installment falls due within
    ``due_within_days`` days after the date (not on it: at its end that one is missed, not
    due soon) and its borrower's PD is in the worst ``worst_share`` of the borrowers with an
    active loan: at or above the cut-off, the PD of the borrower ranked there, ties included
    (so with the few PDs of a rating scale the share can be larger)."""
    p = policy.params
    s = facts.snapshot
    s = s.filter(s.status == "active")
    d = ibis.date(facts.as_of)
    soon = s.filter(s.next_due_on > d, s.next_due_on <= d + ibis.interval(days=p.due_within_days))
    w = _worst_pds(facts.ratings.semi_join(s, "customer_id"), p.worst_share)
    t = soon.join(w, soon.customer_id == w.w_customer_id)
    share = f"{(p.worst_share * 100).normalize():f}%"
    evidence = ("installment due " + t.next_due_on.cast("string") + ", "
                + t.next_due_amount.cast("string") + " to pay; PD " + t.pd_12m.cast("string")
                + f" in the worst {share} (cut-off " + t.cutoff.cast("string") + ")")
    return firings(t.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


def _active(record: ir.Table, snapshot: ir.Table) -> ir.Table:
    """The repayment record of the active loans, with their borrower."""
    s = snapshot.filter(snapshot.status == "active")
    s = s.select(s_loan_id=s.loan_id, customer_id=s.customer_id)
    return record.join(s, record.loan_id == s.s_loan_id)


def _worst_pds(ratings: ir.Table, share: Decimal) -> ir.Table:
    """The borrowers of ``ratings`` whose PD is among the worst ``share`` of them: fewer than
    ``share`` of all have a strictly higher PD, so ties at the cut-off are all in. Columns
    ``w_customer_id, pd_12m, cutoff`` (the lowest PD in)."""
    r = ratings.filter(ratings.pd_12m.notnull())
    r = r.mutate(worse=ibis.rank().over(order_by=ibis.desc(r.pd_12m)),
                 rated=r.customer_id.count().over())
    # worse < rated x share, in integers: exact for any share and book size
    num, den = share.as_integer_ratio()
    r = r.filter(r.worse.cast("int64") * den < r.rated.cast("int64") * num)
    return r.select(w_customer_id=r.customer_id, pd_12m=r.pd_12m,
                    cutoff=r.pd_12m.min().over())


SIGNALS = (
    Signal("REPAY-OVERDUE", "贷款逾期", "Loan overdue", repay_overdue),
    Signal("REPAY-PARTIAL", "部分还款", "Partial payments", repay_partial),
    Signal("REPAY-REPEAT", "反复逾期", "Repeatedly late", repay_repeat),
    Signal("REPAY-DUE-SOON-RISK", "高风险客户即将到期", "Due soon, high-risk borrower",
           repay_due_soon_risk),
)
