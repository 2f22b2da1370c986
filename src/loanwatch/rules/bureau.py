"""Group D of SIGNALS.md, borrowing elsewhere (多头借贷): what the credit-bureau reports say
about a borrower's debt at other lenders. Every signal is borrower-level (``loan_id`` NULL)
and reads the reports in force at ``as_of`` dated on or before it."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.indicators.bureau import latest_reports, lenders_added, short_term_growth
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings

__all__ = ["SIGNALS", "money_text", "percent_text"]


def _latest(facts: Facts) -> ir.Table:
    return latest_reports(facts.bureau_reports, facts.as_of)


def _borrower_rows(t: ir.Table, policy: SignalPolicy[Any], evidence: ir.StringValue) -> ir.Table:
    return firings(t.mutate(loan_id=ibis.null("string"), severity=ibis.literal(policy.severity.value),
                            evidence=evidence))


def _on(t: ir.Table, prefix: str) -> ir.StringValue:
    return " on " + t[f"{prefix}reported_on"].cast("string")


def short_debt_growth(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest report's short-term balance against the oldest report of the window
    (as_of - window_months, as_of]; fires at growth >= min_growth from a positive balance.
    Compared exactly in decimals (new - old >= old x min_growth), so 50.00% fires."""
    p = policy.params
    t = short_term_growth(facts.bureau_reports, facts.as_of, p.window_months)
    t = t.filter(t.rise >= t.old_short_term_balance * ibis.literal(p.min_growth, "decimal(18,6)"))
    growth = t.rise.cast("float64") / t.old_short_term_balance.cast("float64")
    evidence = ("short-term debt elsewhere " + money_text(t.old_short_term_balance) + _on(t, "old_")
                + " → " + money_text(t.short_term_balance) + _on(t, "")
                + " (+" + percent_text(growth) + ")")
    return _borrower_rows(t, policy, evidence)


def new_lenders(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Lenders in the latest report less those in the latest report on or before
    as_of - window_months; a borrower without such a baseline report does not fire."""
    p = policy.params
    t = lenders_added(facts.bureau_reports, facts.as_of, p.window_months)
    t = t.filter(t.added >= p.min_new_lenders)
    evidence = ("lenders " + t.old_lenders_count.cast("string") + _on(t, "old_") + " → "
                + t.lenders_count.cast("string") + _on(t, "") + " (+" + t.added.cast("string") + ")")
    return _borrower_rows(t, policy, evidence)


def inquiry_spike(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest report's hard inquiries (the bureau counts its own last 3 months, so
    ``window_months`` documents that window and selects nothing) above the threshold."""
    t = _latest(facts)
    t = t.filter(t.inquiries_3m > policy.params.inquiries_above)
    evidence = (t.inquiries_3m.cast("string") + " hard inquiries by other lenders in the 3 months to "
                + t.reported_on.cast("string"))
    return _borrower_rows(t, policy, evidence)


def overdue_elsewhere(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest report shows an amount overdue at another lender above the threshold."""
    t = _latest(facts)
    t = t.filter(t.overdue_amount > ibis.literal(policy.params.amount_above, "decimal(18,2)"))
    evidence = "overdue elsewhere " + money_text(t.overdue_amount) + _on(t, "")
    return _borrower_rows(t, policy, evidence)


SIGNALS: tuple[Signal, ...] = (
    Signal("BUREAU-SHORT-DEBT-GROWTH", "他行短期负债快速增长", "Short-term debt elsewhere growing fast",
           short_debt_growth),
    Signal("BUREAU-NEW-LENDERS", "新增授信机构", "New lenders", new_lenders),
    Signal("BUREAU-INQUIRY-SPIKE", "征信查询激增", "Spike in credit inquiries", inquiry_spike),
    Signal("BUREAU-OVERDUE-ELSEWHERE", "他行出现逾期", "Overdue at another lender", overdue_elsewhere),
)
