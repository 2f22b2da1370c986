"""Group G of SIGNALS.md, financial condition (财务): enterprise statements (FIN-*) and
individual incomes and debts (IND-*, METRICS.md "Individual indicators"). Every signal is
borrower-level (``loan_id`` NULL) and reads only rows in force at ``as_of`` and dated on or
before it. The figures are the borrower indicators' (analytics/indicators); ratios are
rounded to six decimals, so a float quotient such as 0.7 / 1.0 - 1 sits exactly on its
threshold."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.indicators import individual, statements
from loanwatch.analytics.indicators.ratio import share
from loanwatch.policy.signals import SignalPolicy
from loanwatch.policy.vocabulary import Severity
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS"]


def _figure(ratio: ir.NumericValue) -> ir.StringValue:
    return ratio.cast("float64").round(2).cast("decimal(18,2)").cast("string")


def _borrower_rows(t: ir.Table, severity: str | ir.StringValue, evidence: ir.StringValue) -> ir.Table:
    return firings(t.mutate(loan_id=ibis.null("string"), evidence=evidence,
                            severity=ibis.literal(severity) if isinstance(severity, str)
                            else severity))


def revenue_drop(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest statement's revenue against the statement dated exactly 12 months before
    it; fires at a drop of at least ``min_drop`` from a positive revenue."""
    if facts.financials is None:
        return no_firings()
    t = statements.revenue_change(facts.financials, facts.as_of)
    t = t.filter(t.change <= -share(policy.params.min_drop))
    evidence = ("revenue " + money_text(t.old_revenue) + " (" + t.old_period_end.cast("string")
                + ") → " + money_text(t.revenue) + " (" + t.period_end.cast("string") + "), "
                + percent_text(t.change))
    return _borrower_rows(t, policy.severity.value, evidence)


def leverage(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest debt ratio (liabilities / assets) above ``debt_ratio_above``, or up at
    least ``min_rise_since_year_start`` against the latest statement of last year."""
    if facts.financials is None:
        return no_firings()
    p = policy.params
    t = statements.debt_ratios(facts.financials, facts.as_of)
    t = t.filter((t.ratio > share(p.debt_ratio_above))
                 | (t.rise >= share(p.min_rise_since_year_start)).fill_null(False))
    rise = (ibis.ifelse(t.rise >= 0, "+", "") + _figure(t.rise * 100) + " pp")
    since = (" (" + percent_text(t.base_ratio) + " on " + t.base_period_end.cast("string")
             + ", " + rise + ")")
    evidence = ("debt ratio " + percent_text(t.ratio) + " on " + t.period_end.cast("string")
                + ibis.ifelse(t.base_ratio.isnull(), "", since))
    return _borrower_rows(t, policy.severity.value, evidence)


def liquidity(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest current ratio (current assets / current liabilities) below the threshold."""
    if facts.financials is None:
        return no_firings()
    t = statements.current_ratios(facts.financials, facts.as_of)
    t = t.filter(t.ratio < share(policy.params.current_ratio_below))
    evidence = ("current ratio " + _figure(t.ratio) + " on " + t.period_end.cast("string")
                + " (current assets " + money_text(t.current_assets) + " / current liabilities "
                + money_text(t.current_liabilities) + ")")
    return _borrower_rows(t, policy.severity.value, evidence)


def loss(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A net loss on the latest statement, or a negative operating cash flow on each of the
    last ``min_negative_cash_flow_periods`` statements."""
    if facts.financials is None:
        return no_firings()
    n = policy.params.min_negative_cash_flow_periods
    t = statements.losses(facts.financials, facts.as_of)
    t = t.mutate(is_burn=(t.burning >= n).fill_null(False)).filter(lambda s: s.is_loss | s.is_burn)
    on = " on " + t.period_end.cast("string")
    loss_text = ibis.ifelse(t.is_loss, "net loss " + money_text(t.net_profit) + on, "")
    burn_text = ibis.ifelse(t.is_burn, f"operating cash flow negative {n} periods running, "
                            + money_text(t.operating_cash_flow) + on, "")
    evidence = loss_text + ibis.ifelse(t.is_loss & t.is_burn, "; ", "") + burn_text
    return _borrower_rows(t, policy.severity.value, evidence)


def income_drop(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Individuals' mean income of the last ``recent_months`` full months against the
    ``baseline_months`` before those; fires at a change of ``-min_drop`` or worse."""
    if facts.incomes is None:
        return no_firings()
    p = policy.params
    t = individual.income_change(facts.incomes, facts.as_of, p.recent_months, p.baseline_months)
    people = individual.individuals(facts.customers, facts.as_of).select(p_customer_id="customer_id")
    t = t.join(people, t.customer_id == people.p_customer_id)
    t = t.filter(t.change <= -share(p.min_drop))
    evidence = (f"income {p.recent_months}-month mean " + money_text(t.mean)
                + f" vs {p.baseline_months}-month mean " + money_text(t.base_mean)
                + " (" + percent_text(t.change) + ")")
    return _borrower_rows(t, policy.severity.value, evidence)


def debt_burden(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Individuals' total debt (active loans here + latest bureau loans balance) over annual
    income (12 x the mean of the last 12 months of incomes, else the declared annual
    income, standing in for disposable income) above ``ratio_above``."""
    t = individual.debt_burden(facts.customers, facts.incomes, facts.snapshot,
                               facts.bureau_reports, facts.as_of)
    t = t.filter(t.ratio > share(policy.params.ratio_above))
    source = ibis.ifelse(t.from_incomes, "12 x 12-month mean", "declared")
    bureau = ("bureau " + money_text(t.bureau)
              + ibis.ifelse(t.reported_on.isnull(), "", " on " + t.reported_on.cast("string")))
    evidence = ("total debt " + money_text(t.debt) + " (here " + money_text(t.here) + " + "
                + bureau + ") / annual income " + money_text(t.annual) + " (" + source
                + ") = " + _figure(t.ratio))
    return _borrower_rows(t, policy.severity.value, evidence)


def repay_to_income(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Individuals' contractual monthly payments (月供) on their active loans here over monthly income (mean
    of the last 3 months of incomes, else declared annual income / 12): above
    ``ratio_above`` with the policy severity, above ``high_ratio_above`` high. Payments to
    other lenders are not in the data contract (bureau reports carry balances only), so
    the ratio counts this lender's payments alone."""
    p = policy.params
    t = individual.repayment_to_income(facts.customers, facts.incomes, facts.snapshot,
                                       facts.loans, facts.as_of)
    t = t.filter(t.ratio > share(p.ratio_above))
    severity = ibis.ifelse(t.ratio > share(p.high_ratio_above),
                           ibis.literal(Severity.HIGH.value), ibis.literal(policy.severity.value))
    source = ibis.ifelse(t.from_incomes, "3-month mean", "declared annual income / 12")
    evidence = ("monthly payments " + money_text(t.due) + " / monthly income "
                + money_text(t.monthly) + " (" + source + ") = " + percent_text(t.ratio))
    return _borrower_rows(t, severity, evidence)


SIGNALS: tuple[Signal, ...] = (
    Signal("FIN-REVENUE-DROP", "营业收入同比大幅下降", "Revenue down year on year", revenue_drop),
    Signal("FIN-LEVERAGE", "资产负债率过高或快速上升", "Debt ratio high or rising", leverage),
    Signal("FIN-LIQUIDITY", "流动比率过低", "Current ratio low", liquidity),
    Signal("FIN-LOSS", "亏损或经营现金流持续为负", "Net loss or negative operating cash flow", loss),
    Signal("IND-INCOME-DROP", "个人收入下降", "Individual income down", income_drop),
    Signal("IND-DEBT-BURDEN", "债务负担比过高", "Debt burden ratio high", debt_burden),
    Signal("IND-REPAY-TO-INCOME", "还款能力比过高", "Repayment-to-income ratio high",
           repay_to_income),
)
