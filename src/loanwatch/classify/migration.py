"""Class migration matrix (五级分类迁徙): loans and balances by class at the month end before
and by state now, as for buckets (analytics/migration.py). A loan on the book then is
counted in its class; now it is in a class, ``written_off``, or ``settled`` (no longer on
the book: repaid or otherwise gone)."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import money, zero


def class_migration(before: ir.Table, now: ir.Table, as_of: dt.date) -> ir.Table:
    """Per (from_class, to_state): loans, their balance a month before and now."""
    b = before.filter(before.status == "active", before.outstanding_principal > 0)
    b = b.select("loan_id", from_class=b.five_class, balance_before=b.outstanding_principal)
    n = now.select(n_loan_id=now.loan_id, n_status=now.status, n_class=now.five_class,
                   n_balance=now.outstanding_principal)
    t = b.left_join(n, b.loan_id == n.n_loan_id)
    on_book = (t.n_status == "active") & (t.n_balance > 0)
    to_state = ibis.cases((on_book, t.n_class), (t.n_status == "written_off", "written_off"),
                          else_="settled")
    t = t.mutate(to_state=to_state, balance_now=ibis.ifelse(on_book, t.n_balance, zero()))
    t = t.group_by("from_class", "to_state").aggregate(
        loans=t.count(), balance_before=money(t.balance_before.sum()),
        balance_now=money(t.balance_now.sum()))
    return t.mutate(as_of=ibis.date(as_of)).relocate("as_of")
