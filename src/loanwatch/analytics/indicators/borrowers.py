"""The borrower indicators mart (客户指标): one row per borrower on the book at the as-of date
(a customer with an active loan) and one column per indicator of ``domain.indicators``,
NULL where the data to compute it is missing. The figures are the ones the signals compare
with their thresholds (the signal modules call the same functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, in_force
from loanwatch.analytics.indicators import bureau, collateral, individual, registry, statements
from loanwatch.analytics.indicators.ratio import RATIO, change, ratio, typed
from loanwatch.analytics.indicators.repayment import overdue_record
from loanwatch.analytics.indicators.settlement import (
    complete_months,
    monthly_volumes,
    settlement_accounts,
    settlement_covenants,
    settlement_history,
    settlement_vs_average,
    volume_column,
)
from loanwatch.domain.indicators import INDICATORS, IndicatorKind

TYPES: dict[IndicatorKind, dtypes.DataType] = {
    IndicatorKind.RATIO: RATIO, IndicatorKind.MONEY: MONEY,
    IndicatorKind.COUNT: dtypes.int64, IndicatorKind.FLAG: dtypes.boolean}
# windows METRICS.md and SIGNALS.md fix for the indicators
LENDERS_MONTHS, SHORT_DEBT_MONTHS, SETTLEMENT_BASELINE_MONTHS, KEY_PERSON_MONTHS = 3, 6, 6, 12


@dataclass(frozen=True)
class IndicatorInputs:
    """What the indicators read as of a date: the stored marts of the date (``snapshot``,
    ``repayment_record``) and the input tables (versioned). A table that is None is not
    known, and the indicators computed from it are NULL."""

    snapshot: ir.Table
    repayment_record: ir.Table
    installments: ir.Table
    loans: ir.Table
    customers: ir.Table
    bureau_reports: ir.Table
    registry_events: ir.Table
    financials: ir.Table | None = None
    incomes: ir.Table | None = None
    collaterals: ir.Table | None = None
    collateral_valuations: ir.Table | None = None
    transactions: ir.Table | None = None
    accounts: ir.Table | None = None
    covenants: ir.Table | None = None


Part = Callable[[IndicatorInputs, dt.date], ir.Table | None]


def borrower_indicators(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    """``customer_id, as_of, customer_type`` and every indicator, per borrower on the book."""
    t = _borrowers(x, as_of)
    for n, part in enumerate(PARTS):
        p = part(x, as_of)
        if p is not None:
            p = p.rename(**{f"_k{n}": "customer_id"})
            t = t.left_join(p, t.customer_id == p[f"_k{n}"]).drop(f"_k{n}")
    # the registry is a table every lender delivers: no event there is no change
    t = t.mutate(key_person_changes_12m=t.key_person_changes_12m.coalesce(0))
    values = {i.name: typed(t[i.name], TYPES[i.kind]) if i.name in t.columns
              else ibis.null(TYPES[i.kind]) for i in INDICATORS}
    return t.select("customer_id", as_of=ibis.date(as_of), customer_type=t.customer_type,
                    **values)


def _borrowers(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    s = x.snapshot.filter(x.snapshot.status == "active")
    b = s.select("customer_id").distinct()
    c = x.customers
    c = c.filter(in_force(c, as_of)) if "_valid_from" in c.columns else c
    c = c.select(c_customer_id=c.customer_id, customer_type=c.customer_type)
    return b.left_join(c, b.customer_id == c.c_customer_id).drop("c_customer_id")


def _income_change(x: IndicatorInputs, as_of: dt.date) -> ir.Table | None:
    if x.incomes is None:
        return None
    t = individual.income_change(x.incomes, as_of)
    return t.select("customer_id", income_change=t.change)


def _debt_burden(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = individual.debt_burden(x.customers, x.incomes, x.snapshot, x.bureau_reports, as_of)
    return t.select("customer_id", debt_burden_ratio=t.ratio)


def _repayment_to_income(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = individual.repayment_to_income(x.customers, x.incomes, x.snapshot, x.loans, as_of)
    return t.select("customer_id", repayment_to_income=t.ratio)


def _repayment(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = overdue_record(x.snapshot, x.repayment_record, x.installments, as_of)
    return t.select("customer_id", late_installments_12m=t.late, due_installments_12m=t.due,
                    overdue_rate_12m=t.rate)


def _latest_report(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = bureau.latest_reports(x.bureau_reports, as_of)
    return t.select("customer_id", lenders_count=t.lenders_count, inquiries_3m=t.inquiries_3m,
                    bureau_overdue_amount=t.overdue_amount)


def _lenders_added(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = bureau.lenders_added(x.bureau_reports, as_of, LENDERS_MONTHS)
    return t.select("customer_id", lenders_added_3m=t.added)


def _short_term_growth(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = bureau.short_term_growth(x.bureau_reports, as_of, SHORT_DEBT_MONTHS)
    return t.select("customer_id",
                    short_term_debt_growth_6m=change(t.short_term_balance, t.old_short_term_balance))


def _settlement_vs_covenant(x: IndicatorInputs, as_of: dt.date) -> ir.Table | None:
    """Last complete month's settlement through this bank of the borrowers with an account
    here or a settlement covenant, and the strictest covenant of the loans it applied to."""
    if x.transactions is None or x.accounts is None:
        return None
    (month,) = complete_months(as_of, 1)
    who = settlement_accounts(x.accounts, as_of, own_bank_only=True).select("customer_id")
    if x.covenants is not None:
        cov = settlement_covenants(x.covenants, x.snapshot, x.loans, as_of, month)
        who = who.union(cov.select("customer_id"))
    t = monthly_volumes(settlement_history(x.transactions, x.accounts, as_of), who, [month])
    t = t.rename(volume=volume_column(month))
    if x.covenants is None:
        return t.select("customer_id", settlement_last_month=t.volume)
    c = cov.rename(c_customer_id="customer_id")
    t = t.left_join(c, t.customer_id == c.c_customer_id)
    return t.select("customer_id", settlement_last_month=t.volume,
                    settlement_covenant_min=t.threshold,
                    settlement_to_covenant=ratio(t.volume, t.threshold))


def _settlement_vs_average(x: IndicatorInputs, as_of: dt.date) -> ir.Table | None:
    if x.transactions is None or x.accounts is None:
        return None
    n = SETTLEMENT_BASELINE_MONTHS
    months = complete_months(as_of, n + 1)
    t = settlement_vs_average(settlement_history(x.transactions, x.accounts, as_of, len(months)),
                              months)
    return t.select("customer_id", settlement_avg_6m=(t.base.cast("float64") / n).round(2),
                    settlement_change_vs_avg=change(t.last * n, t.base))


def _revenue_change(x: IndicatorInputs, as_of: dt.date) -> ir.Table | None:
    if x.financials is None:
        return None
    t = statements.revenue_change(x.financials, as_of)
    return t.select("customer_id", revenue_change_yoy=t.change)


def _latest_statement(x: IndicatorInputs, as_of: dt.date) -> ir.Table | None:
    if x.financials is None:
        return None
    d = statements.debt_ratios(x.financials, as_of)
    c = statements.current_ratios(x.financials, as_of).select(c_customer_id="customer_id",
                                                              current_ratio="ratio")
    p = statements.losses(x.financials, as_of)
    p = p.select(p_customer_id=p.customer_id, net_loss=p.net_profit < 0,
                 negative_cash_flow_periods=ibis.ifelse(p.operating_cash_flow.isnull(),
                                                        ibis.null("int64"), p.burning))
    t = d.join(c, d.customer_id == c.c_customer_id).join(p, d.customer_id == p.p_customer_id)
    return t.select("customer_id", "current_ratio", "net_loss", "negative_cash_flow_periods",
                    debt_ratio=t.ratio, debt_ratio_change_ytd=t.rise)


def _collateral(x: IndicatorInputs, as_of: dt.date) -> ir.Table | None:
    if x.collaterals is None:
        return None
    valued = collateral.valued_collaterals(x.collaterals, x.collateral_valuations, x.snapshot,
                                           as_of)
    ltv = collateral.loan_to_value(valued)
    ltv = ltv.group_by(l_customer_id=ltv.customer_id).aggregate(max_ltv=ltv.ltv.max())
    v = valued.group_by("customer_id").aggregate(
        worst_collateral_value_change=valued.value_change.min())
    t = v.left_join(ltv, v.customer_id == ltv.l_customer_id)
    return t.select("customer_id", "max_ltv", "worst_collateral_value_change")


def _key_person_changes(x: IndicatorInputs, as_of: dt.date) -> ir.Table:
    t = registry.key_person_changes(x.registry_events, as_of, KEY_PERSON_MONTHS)
    return t.select("customer_id", key_person_changes_12m=t.changes)


PARTS: tuple[Part, ...] = (
    _income_change, _debt_burden, _repayment_to_income, _repayment, _latest_report,
    _lenders_added, _short_term_growth, _settlement_vs_covenant, _settlement_vs_average,
    _revenue_change, _latest_statement, _collateral, _key_person_changes)
