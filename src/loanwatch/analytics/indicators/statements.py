"""Financial condition (财务) from the enterprise statements known by the as-of date (in
force then, ``period_end`` on or before it): revenue year on year, debt ratio and its change
since the year start, current ratio, losses and negative operating cash flow."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import known_by, latest_by
from loanwatch.analytics.indicators.ratio import RATIO, change, ratio, typed


def ranked_statements(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """Statements known by ``as_of``, ``rank`` 0 for each customer's newest."""
    f = known_by(financials, "period_end", as_of)
    w = ibis.window(group_by=f.customer_id, order_by=ibis.desc(f.period_end))
    return f.mutate(rank=ibis.row_number().over(w))


def latest_statements(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """Each customer's newest statement known by ``as_of``."""
    f = ranked_statements(financials, as_of)
    return f.filter(f["rank"] == 0)


def revenue_change(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """The newest statement against the one dated exactly 12 months before it (its columns
    prefixed ``old_``): ``change`` = revenue / old revenue - 1 (NULL from a revenue <= 0)."""
    f = ranked_statements(financials, as_of)
    new = f.filter(f["rank"] == 0)
    old = f.rename(lambda c: f"old_{c}")
    t = new.join(old, (new.customer_id == old.old_customer_id)
                 & (old.old_period_end == new.period_end - ibis.interval(months=12)))
    return t.mutate(change=change(t.revenue, t.old_revenue))


def _year_start_ratios(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """Each customer's debt ratio on its latest statement on or before Dec 31 last year."""
    f = known_by(financials, "period_end", as_of)
    f = f.filter(f.period_end <= ibis.date(dt.date(as_of.year - 1, 12, 31)))
    f = latest_by(f, "customer_id", "period_end")
    return f.select(base_customer_id=f.customer_id, base_period_end=f.period_end,
                    base_ratio=ratio(f.total_liabilities, f.total_assets))


def debt_ratios(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """The newest statement with its debt ratio (liabilities / assets, ``ratio``), the ratio
    on the latest statement of last year (``base_ratio``, ``base_period_end``; NULL without
    one) and ``rise`` = ratio - base_ratio."""
    new = latest_statements(financials, as_of)
    base = _year_start_ratios(financials, as_of)
    t = new.left_join(base, new.customer_id == base.base_customer_id)
    t = t.mutate(ratio=ratio(t.total_liabilities, t.total_assets))
    return t.mutate(rise=typed(t.ratio - t.base_ratio, RATIO))


def current_ratios(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """The newest statement with its current ratio (current assets / current liabilities)."""
    t = latest_statements(financials, as_of)
    return t.mutate(ratio=ratio(t.current_assets, t.current_liabilities))


def losses(financials: ir.Table, as_of: dt.date) -> ir.Table:
    """The newest statement with ``is_loss`` (a net loss on it) and ``burning``: how many
    statements running, the newest back, show a negative operating cash flow."""
    f = ranked_statements(financials, as_of)
    negative = (f.operating_cash_flow < 0).fill_null(False)
    runs = f.group_by(b_customer_id=f.customer_id).aggregate(
        burning=f["rank"].min(where=~negative).coalesce(f.count()))
    t = f.filter(f["rank"] == 0)
    t = t.left_join(runs, t.customer_id == runs.b_customer_id)
    return t.mutate(is_loss=(t.net_profit < 0).fill_null(False), burning=t.burning.cast("int64"))
