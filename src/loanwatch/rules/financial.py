"""Group G of SIGNALS.md, financial condition (财务): enterprise statements (FIN-*) and
individual incomes and debts (IND-*, METRICS.md "Individual indicators"). Every signal is
borrower-level (``loan_id`` NULL) and reads only rows in force at ``as_of`` and dated on or
before it. Ratios are compared rounded to six decimals, so a float quotient such as
0.7 / 1.0 - 1 sits exactly on its threshold."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force, known_by, latest_by, money, zero
from loanwatch.domain.calendar import months_before
from loanwatch.policy.signals import SignalPolicy
from loanwatch.policy.vocabulary import Severity
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS"]


def _current(t: ir.Table, as_of: dt.date) -> ir.Table:
    """The row versions of ``t`` in force at ``as_of`` (all rows if not versioned)."""
    return t.filter(in_force(t, as_of)) if "_valid_from" in t.columns else t


def _dated(t: ir.Table, column: str, as_of: dt.date) -> ir.Table:
    t = _current(t, as_of)
    return t.filter(t[column] <= ibis.date(as_of))


def _ranked(facts: Facts) -> ir.Table:
    """Statements by as_of, ``rank`` 0 for each customer's newest."""
    f = _dated(facts.financials, "period_end", facts.as_of)
    w = ibis.window(group_by=f.customer_id, order_by=ibis.desc(f.period_end))
    return f.mutate(rank=ibis.row_number().over(w))


def _latest(facts: Facts) -> ir.Table:
    f = _ranked(facts)
    return f.filter(f["rank"] == 0)


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.DecimalValue:
    """``num / den`` rounded to six decimals; NULL unless ``den`` is positive."""
    q = (num.cast("float64") / den.cast("float64")).round(6).cast("decimal(18,6)")
    return ibis.ifelse(den > 0, q, ibis.null("decimal(18,6)"))


def _share(value: float) -> ir.DecimalScalar:
    return ibis.literal(value, "decimal(18,6)")


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
    f = _ranked(facts)
    new = f.filter(f["rank"] == 0)
    old = f.rename(lambda c: f"old_{c}")
    t = new.join(old, (new.customer_id == old.old_customer_id)
                 & (old.old_period_end == new.period_end - ibis.interval(months=12)))
    change = _ratio(t.revenue, t.old_revenue) - 1
    t = t.mutate(change=change).filter(lambda s: s.change <= -_share(policy.params.min_drop))
    evidence = ("revenue " + money_text(t.old_revenue) + " (" + t.old_period_end.cast("string")
                + ") → " + money_text(t.revenue) + " (" + t.period_end.cast("string") + "), "
                + percent_text(t.change))
    return _borrower_rows(t, policy.severity.value, evidence)


def _year_start_ratio(facts: Facts) -> ir.Table:
    """Each customer's debt ratio on its latest statement on or before Dec 31 last year."""
    f = _ranked(facts)
    f = latest_by(f.filter(f.period_end <= ibis.date(dt.date(facts.as_of.year - 1, 12, 31))),
                  "customer_id", "period_end")
    return f.select(base_customer_id=f.customer_id, base_period_end=f.period_end,
                    base_ratio=_ratio(f.total_liabilities, f.total_assets))


def leverage(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """The latest debt ratio (liabilities / assets) above ``debt_ratio_above``, or up at
    least ``min_rise_since_year_start`` against the latest statement of last year."""
    if facts.financials is None:
        return no_firings()
    p = policy.params
    new, base = _latest(facts), _year_start_ratio(facts)
    t = new.left_join(base, new.customer_id == base.base_customer_id)
    t = t.mutate(ratio=_ratio(t.total_liabilities, t.total_assets))
    t = t.mutate(rise=t.ratio - t.base_ratio)
    t = t.filter((t.ratio > _share(p.debt_ratio_above))
                 | (t.rise >= _share(p.min_rise_since_year_start)).fill_null(False))
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
    t = _latest(facts)
    t = t.mutate(ratio=_ratio(t.current_assets, t.current_liabilities))
    t = t.filter(t.ratio < _share(policy.params.current_ratio_below))
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
    f = _ranked(facts)
    recent = f.filter(f["rank"] < n)
    burn = recent.group_by(b_customer_id=recent.customer_id).aggregate(
        burning=recent.count(where=recent.operating_cash_flow < 0))
    t = _latest(facts)
    t = t.left_join(burn, t.customer_id == burn.b_customer_id)
    t = t.mutate(is_loss=(t.net_profit < 0).fill_null(False),
                 is_burn=(t.burning >= n).fill_null(False)).filter(lambda s: s.is_loss | s.is_burn)
    on = " on " + t.period_end.cast("string")
    loss_text = ibis.ifelse(t.is_loss, "net loss " + money_text(t.net_profit) + on, "")
    burn_text = ibis.ifelse(t.is_burn, f"operating cash flow negative {n} periods running, "
                            + money_text(t.operating_cash_flow) + on, "")
    evidence = loss_text + ibis.ifelse(t.is_loss & t.is_burn, "; ", "") + burn_text
    return _borrower_rows(t, policy.severity.value, evidence)


def _individuals(facts: Facts) -> ir.Table:
    c = _current(facts.customers, facts.as_of)
    return c.filter(c.customer_type == "individual").select("customer_id", "annual_income")


def _mean_income(facts: Facts, months: int, skip: int = 0, prefix: str = "") -> ir.Table:
    """Each customer's mean monthly income over the ``months`` full months before the
    ``skip`` months before as_of's month; customers without a month there are absent."""
    end = months_before(facts.as_of.replace(day=1), skip)
    i = _current(facts.incomes, facts.as_of)
    i = i.filter(i.month >= ibis.date(months_before(end, months)), i.month < ibis.date(end))
    mean = i.amount.cast("float64").mean().round(2).cast("decimal(18,2)")
    return i.group_by(**{f"{prefix}customer_id": i.customer_id}).aggregate(
        **{f"{prefix}mean": mean})


def income_drop(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Individuals' mean income of the last ``recent_months`` full months against the
    ``baseline_months`` before those; fires at a change of ``-min_drop`` or worse."""
    if facts.incomes is None:
        return no_firings()
    p = policy.params
    recent = _mean_income(facts, p.recent_months)
    base = _mean_income(facts, p.baseline_months, p.recent_months, "base_")
    people = _individuals(facts).select(p_customer_id="customer_id")
    t = recent.join(base, recent.customer_id == base.base_customer_id)
    t = t.join(people, t.customer_id == people.p_customer_id)
    t = t.mutate(change=_ratio(t.mean, t.base_mean) - 1)
    t = t.filter(t.change <= -_share(p.min_drop))
    evidence = (f"income {p.recent_months}-month mean " + money_text(t.mean)
                + f" vs {p.baseline_months}-month mean " + money_text(t.base_mean)
                + " (" + percent_text(t.change) + ")")
    return _borrower_rows(t, policy.severity.value, evidence)


def _active_loans(facts: Facts) -> ir.Table:
    """Outstanding principal and next payment due of each customer's active loans here."""
    s = facts.snapshot.filter(facts.snapshot.status == "active")
    return s.group_by(l_customer_id=s.customer_id).aggregate(
        here=money(s.outstanding_principal.sum()), due=money(s.next_due_amount.sum()))


def _income(facts: Facts, months: int) -> ir.Table:
    """Individuals with ``mean``, their mean income of the last ``months`` full months
    (NULL without incomes), and their declared ``annual_income``."""
    people = _individuals(facts)
    if facts.incomes is None:
        return people.mutate(mean=ibis.null("decimal(18,2)"))
    m = _mean_income(facts, months, prefix="m_")
    t = people.left_join(m, people.customer_id == m.m_customer_id)
    return t.select("customer_id", "annual_income", mean=t.m_mean)


def _debts(facts: Facts) -> ir.Table:
    """Active loans here and the latest bureau loans balance, per customer."""
    here = _active_loans(facts)
    r = latest_by(known_by(facts.bureau_reports, "reported_on", facts.as_of), "customer_id",
                  "reported_on")
    r = r.select(r_customer_id=r.customer_id, reported_on=r.reported_on, bureau=r.loans_balance)
    t = here.outer_join(r, here.l_customer_id == r.r_customer_id)
    return t.mutate(d_customer_id=t.l_customer_id.coalesce(t.r_customer_id),
                    here=t.here.coalesce(zero()), bureau=t.bureau.coalesce(zero()))


def debt_burden(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Individuals' total debt (active loans here + latest bureau loans balance) over annual
    income (12 x the mean of the last 12 months of incomes, else the declared annual
    income, standing in for disposable income) above ``ratio_above``."""
    income = _income(facts, 12)
    debts = _debts(facts)
    t = income.join(debts, income.customer_id == debts.d_customer_id)
    annual = (t.mean.cast("float64") * 12).round(2).cast("decimal(18,2)").coalesce(t.annual_income)
    t = t.mutate(annual=annual, debt=money(t.here + t.bureau), from_incomes=t.mean.notnull())
    t = t.mutate(ratio=_ratio(t.debt, t.annual))
    t = t.filter(t.ratio > _share(policy.params.ratio_above))
    source = ibis.ifelse(t.from_incomes, "12 x 12-month mean", "declared")
    bureau = ("bureau " + money_text(t.bureau)
              + ibis.ifelse(t.reported_on.isnull(), "", " on " + t.reported_on.cast("string")))
    evidence = ("total debt " + money_text(t.debt) + " (here " + money_text(t.here) + " + "
                + bureau + ") / annual income " + money_text(t.annual) + " (" + source
                + ") = " + _figure(t.ratio))
    return _borrower_rows(t, policy.severity.value, evidence)


def repay_to_income(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Individuals' payments next due on their active loans here over monthly income (mean
    of the last 3 months of incomes, else declared annual income / 12): above
    ``ratio_above`` with the policy severity, above ``high_ratio_above`` high. Payments to
    other lenders are not in the data contract (bureau reports carry balances only), so
    the ratio counts this lender's payments alone."""
    p = policy.params
    income, loans = _income(facts, 3), _active_loans(facts)
    t = income.join(loans, income.customer_id == loans.l_customer_id)
    declared = (t.annual_income.cast("float64") / 12).round(2).cast("decimal(18,2)")
    t = t.mutate(monthly=t.mean.coalesce(declared), from_incomes=t.mean.notnull())
    t = t.mutate(ratio=_ratio(t.due, t.monthly)).filter(lambda s: s.ratio > _share(p.ratio_above))
    severity = ibis.ifelse(t.ratio > _share(p.high_ratio_above),
                           ibis.literal(Severity.HIGH.value), ibis.literal(policy.severity.value))
    source = ibis.ifelse(t.from_incomes, "3-month mean", "declared annual income / 12")
    evidence = ("monthly payments due " + money_text(t.due) + " / monthly income "
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
