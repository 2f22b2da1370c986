"""Borrowing elsewhere (多头借贷) from the credit-bureau reports known by the as-of date:
the latest report, lenders added since a baseline report, short-term debt growth."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import known_by, money
from loanwatch.domain.calendar import months_before


def known_reports(reports: ir.Table, as_of: dt.date) -> ir.Table:
    return known_by(reports, "reported_on", as_of)


def first_reports(reports: ir.Table, *, newest: bool) -> ir.Table:
    """Each customer's newest (or oldest) report of ``reports``."""
    order = ibis.desc(reports.reported_on) if newest else reports.reported_on
    w = ibis.window(group_by=reports.customer_id, order_by=order)
    return reports.filter(ibis.row_number().over(w) == 0)


def latest_reports(reports: ir.Table, as_of: dt.date) -> ir.Table:
    """Each customer's latest report known by ``as_of``."""
    return first_reports(known_reports(reports, as_of), newest=True)


def lenders_added(reports: ir.Table, as_of: dt.date, months: int) -> ir.Table:
    """The latest report against the latest one on or before ``as_of`` - ``months`` (its
    columns prefixed ``old_``), with ``added`` = lenders now - lenders then; a customer
    without such a baseline report is absent."""
    known = known_reports(reports, as_of)
    base = known.filter(known.reported_on <= ibis.date(months_before(as_of, months)))
    new = first_reports(known, newest=True)
    old = first_reports(base, newest=True).rename(lambda c: f"old_{c}")
    t = new.join(old, new.customer_id == old.old_customer_id)
    return t.mutate(added=t.lenders_count.cast("int64") - t.old_lenders_count.cast("int64"))


def short_term_growth(reports: ir.Table, as_of: dt.date, months: int) -> ir.Table:
    """The latest report against the oldest of the window (as_of - ``months``, as_of] (its
    columns prefixed ``old_``), when that one is older and shows a positive short-term
    balance: ``rise`` = short-term balance now - then, exact."""
    known = known_reports(reports, as_of)
    window = known.filter(known.reported_on > ibis.date(months_before(as_of, months)))
    new = first_reports(known, newest=True)
    old = first_reports(window, newest=False).rename(lambda c: f"old_{c}")
    t = new.join(old, new.customer_id == old.old_customer_id)
    t = t.filter(t.old_reported_on < t.reported_on, t.old_short_term_balance > 0)
    return t.mutate(rise=money(t.short_term_balance - t.old_short_term_balance))
