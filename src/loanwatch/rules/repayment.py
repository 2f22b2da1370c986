"""Group A, repayment behaviour (还款行为): signals read from the loan snapshot."""

from __future__ import annotations

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


def repay_repeat(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """REPAY-REPEAT: ``min_overdues`` or more installments paid late (or still unpaid) among
    those due in the last 12 months (the repayment record; ``window_months`` is 12 there).
    The second rule of SIGNALS.md, twice more than 5 working days late, needs how late each
    was, which the record does not keep yet."""
    if facts.repayment_record is None:
        return no_firings()
    r, s = facts.repayment_record, facts.snapshot
    s = s.filter(s.status == "active").select(s_loan_id=s.loan_id, customer_id=s.customer_id)
    t = r.join(s, r.loan_id == s.s_loan_id)
    t = t.filter(t.late_12m >= policy.params.min_overdues)
    evidence = t.late_12m.cast("string") + " installments late in the last 12 months"
    return firings(t.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


SIGNALS = (
    Signal("REPAY-OVERDUE", "贷款逾期", "Loan overdue", repay_overdue),
    Signal("REPAY-REPEAT", "反复逾期", "Repeatedly late", repay_repeat),
)
