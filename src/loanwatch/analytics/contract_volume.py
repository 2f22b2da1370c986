"""Contracted volume against reported revenue, per borrower (CONTRACT-IMPLAUSIBLE): is what a
borrower buys with our loans plausible for the business it reports?

``contract_volume`` is the total of the borrower's purchase contracts dated (signed, else
disbursed) in the ``months`` up to D, of loans disbursed by D. ``revenue_reference`` is the
revenue of its statements known at D and ending in the ``months`` up to its latest one; each
statement covers the months since the one before (a first one: the borrower's shortest gap
between statements, 12 months for a lone one), and when they cover less than ``months`` the
revenue is scaled up to the full window, so a young borrower is not held to a short history."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, known_by, money, month_number
from loanwatch.domain.calendar import months_before

__all__ = ["contract_volumes", "revenue_references"]

LONE_STATEMENT_MONTHS = 12  # the period assumed for a borrower's only statement


def revenue_references(financials: ir.Table, as_of: dt.date, months: int) -> ir.Table:
    """``customer_id, revenue_reference`` (DECIMAL, scaled to ``months``)."""
    f = known_by(financials, "period_end", as_of)
    w = ibis.window(group_by=f.customer_id, order_by=f.period_end)
    f = f.mutate(gap=month_number(f.period_end) - month_number(f.period_end.lag().over(w)),
                 last=month_number(f.period_end).max().over(group_by=f.customer_id))
    f = f.mutate(gap=f.gap.coalesce(f.gap.min().over(group_by=f.customer_id))
                 .coalesce(LONE_STATEMENT_MONTHS))
    f = f.filter(month_number(f.period_end) > f["last"] - months)
    t = f.group_by("customer_id").aggregate(revenue=money(f.revenue.sum()), covered=f.gap.sum())
    covered = ibis.least(t.covered, months)
    # exact: whole cents scaled by months / covered, rounded down
    cents = (t.revenue * 100).cast("int64") * months // covered
    scaled = money(cents.cast(MONEY) * ibis.literal("0.01", "decimal(3,2)"))
    return t.select("customer_id", revenue_reference=ibis.ifelse(covered >= months, t.revenue, scaled))


def contract_volumes(contracts: ir.Table, financials: ir.Table | None, as_of: dt.date,
                     months: int) -> ir.Table:
    """Per borrower of ``contracts`` (``reconciliation.known_contracts``): ``contract_volume``,
    ``volume_contracts`` (how many) and ``revenue_reference`` (NULL without statements)."""
    start = ibis.date(months_before(as_of, months))
    c = contracts.filter(contracts.dated_on > start, contracts.dated_on <= ibis.date(as_of))
    v = c.group_by("customer_id").aggregate(contract_volume=money(c.contract_amount.sum()),
                                            volume_contracts=c.count())
    if financials is None:
        return v.mutate(revenue_reference=ibis.null(MONEY))
    r = revenue_references(financials, as_of, months)
    return v.left_join(r, v.customer_id == r.customer_id).drop("customer_id_right")
