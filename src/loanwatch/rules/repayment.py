"""Group A, repayment behaviour (还款行为): signals read from the loan snapshot."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.signal import Facts, Signal, firings


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


SIGNALS = (
    Signal("REPAY-OVERDUE", "贷款逾期", "Loan overdue", repay_overdue),
)
