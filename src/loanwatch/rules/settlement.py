"""Group F of SIGNALS.md, settlement (结算渠道): how much money flows into a borrower's
accounts, month by month. Settlement is money coming *in*, less the transactions that carry a
``loan_id`` (a disbursement is not business). Every signal is borrower-level (``loan_id``
NULL) and counts complete calendar months before ``as_of``'s own month only."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import money, zero
from loanwatch.analytics.indicators.settlement import (
    complete_months,
    monthly_volumes,
    settlement_accounts,
    settlement_covenants,
    settlement_history,
    settlement_vs_average,
    settlements,
    volume_column,
)
from loanwatch.analytics.indicators.statements import ranked_statements
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS", "settlement_below_covenant", "settlement_drop", "settlement_vs_revenue"]


def _borrower_rows(t: ir.Table, policy: SignalPolicy[Any], evidence: ir.StringValue) -> ir.Table:
    return firings(t.mutate(loan_id=ibis.null("string"), severity=ibis.literal(policy.severity.value),
                            evidence=evidence))


def settlement_below_covenant(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A borrower whose settlement through this bank was below its covenant's monthly
    minimum in each of the last ``min_consecutive_months`` complete months."""
    if facts.covenants is None or facts.transactions is None or facts.accounts is None:
        return no_firings()
    months = complete_months(facts.as_of, policy.params.min_consecutive_months)
    cov = settlement_covenants(facts.covenants, facts.snapshot, facts.loans, facts.as_of, months[0])
    history = settlement_history(facts.transactions, facts.accounts, facts.as_of, len(months))
    m = monthly_volumes(history, cov, months).join(cov, "customer_id")
    m = m.filter(*(m[volume_column(month)] < m.threshold for month in months))
    each = [money_text(m[volume_column(month)]) + f" ({month:%Y-%m})" for month in months]
    evidence = ("settlement through this bank " + ibis.literal(", ").join(each)
                + " below the covenant " + money_text(m.threshold) + " a month")
    return _borrower_rows(m, policy, evidence)


def settlement_drop(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Last complete month's settlement through this bank against the mean of the
    ``baseline_months`` before it; fires at a drop >= ``min_drop`` from a positive mean, for a
    borrower settling here since the baseline's first month. Exact in decimals:
    base - n x last >= base x min_drop."""
    if facts.transactions is None or facts.accounts is None:
        return no_firings()
    p = policy.params
    months = complete_months(facts.as_of, p.baseline_months + 1)
    history = settlement_history(facts.transactions, facts.accounts, facts.as_of, len(months))
    t = settlement_vs_average(history, months)
    n = p.baseline_months
    fall = t.base - t.last * n
    t = t.filter(t.base > 0, fall >= t.base * ibis.literal(p.min_drop, "decimal(18,6)"))
    mean = (t.base.cast("float64") / n).cast("decimal(18,2)")
    drop = fall.cast("float64") / t.base.cast("float64")
    evidence = ("settlement through this bank " + money_text(t.last) + " in " + months[-1].strftime("%Y-%m")
                + f" vs {n}-month average " + money_text(mean) + " (" + months[0].strftime("%Y-%m")
                + ".." + months[-2].strftime("%Y-%m") + "), -" + percent_text(drop))
    return _borrower_rows(t, policy, evidence)


def settlement_vs_revenue(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Settlement at all banks (every account of the borrower known) over the period of the
    latest statement known — from the statement before it, or 12 months for a first one —
    below ``revenue_share_below`` of that statement's revenue. Only a borrower whose flows
    were seen from the period's start is judged: before its first transaction seen, nothing
    is known of its flows (a new customer's accounts show only from onboarding)."""
    if facts.financials is None or facts.transactions is None or facts.accounts is None:
        return no_firings()
    r = ranked_statements(facts.financials, facts.as_of)
    f = r.filter(r["rank"] == 0, r.revenue > 0).select("customer_id", "period_end", "revenue")
    before = r.filter(r["rank"] == 1).select(b_customer="customer_id", b_end="period_end")
    f = f.left_join(before, f.customer_id == before.b_customer)
    # (DuckDB's date - interval is a timestamp, which Ibis types as a date: make it one)
    year_before = (f.period_end - ibis.interval(months=12)).cast("timestamp").date()
    f = f.select("customer_id", "period_end", "revenue", period_start=f.b_end.coalesce(year_before))
    # the flows into every account of these borrowers, at any bank: when they were first seen
    # and their volume over the period
    accounts = settlement_accounts(facts.accounts, facts.as_of, own_bank_only=False)
    s = settlements(facts.transactions, accounts.join(f, "customer_id"), facts.as_of)
    within = (s.day > s.period_start) & (s.day <= s.period_end)
    t = s.group_by("customer_id", "period_start", "period_end", "revenue").aggregate(
        first_seen=s.day.min(), volume=money(s.amount.sum(where=within)))
    t = t.filter(t.first_seen <= t.period_start)
    t = t.mutate(volume=t.volume.coalesce(zero()))
    share = ibis.literal(policy.params.revenue_share_below, "decimal(18,6)")
    t = t.filter(t.volume < t.revenue * share)
    ratio = t.volume.cast("float64") / t.revenue.cast("float64")
    evidence = ("settlement at all banks " + money_text(t.volume) + " from "
                + t.period_start.cast("string") + " to " + t.period_end.cast("string") + " = "
                + percent_text(ratio) + " of the revenue of that period " + money_text(t.revenue))
    return _borrower_rows(t, policy, evidence)


SIGNALS: tuple[Signal, ...] = (
    Signal("SETTLE-BELOW-COVENANT", "本行结算量低于约定", "Settlement through this bank below the covenant",
           settlement_below_covenant),
    Signal("SETTLE-DROP", "结算量大幅下降", "Settlement volume dropping", settlement_drop),
    Signal("SETTLE-VS-REVENUE", "结算量与营业收入不匹配", "Settlement inconsistent with reported revenue",
           settlement_vs_revenue),
)
