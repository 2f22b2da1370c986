"""Settlement (结算渠道): money coming *in* to a borrower's accounts, month by month, less the
transactions that carry a ``loan_id`` (a disbursement is not business). Only complete calendar
months before the as-of date's own month count.

The transactions are the biggest table of the data contract (tens of millions of rows): the
monthly figures of a date (``settlement_history``) are filtered sums per account over one
pass of the money in (never a group per customer and month), and only those sums are joined
to the accounts and added up per customer. The sums are exact (decimals), so the order of
adding changes nothing."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force, money, zero
from loanwatch.domain.calendar import months_before

COVENANT = "min_monthly_settlement"
HISTORY_MONTHS = 12  # the complete months of settlement history kept per customer


def complete_months(as_of: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` complete months before ``as_of``'s month, oldest first."""
    this_month = as_of.replace(day=1)
    return [months_before(this_month, n) for n in range(count, 0, -1)]


def month_after(month: dt.date) -> dt.date:
    """The first day of the month after ``month``'s."""
    return months_before(month.replace(day=1), -1)


def settlement_accounts(accounts: ir.Table, as_of: dt.date, *, own_bank_only: bool) -> ir.Table:
    """The customers' accounts in force (``account_id, customer_id``), this bank's only if asked."""
    a = accounts.filter(in_force(accounts, as_of), accounts.customer_id.notnull())
    if own_bank_only:
        a = a.filter(a.is_own_bank)
    return a.select("account_id", "customer_id")


def _money_in(transactions: ir.Table, as_of: dt.date) -> ir.Table:
    t = transactions
    before = ibis.timestamp(dt.datetime.combine(as_of.replace(day=1), dt.time()))
    return t.filter(in_force(t, as_of), t.direction == "in", t.loan_id.isnull(),
                    t.occurred_at < before)


def inflows(transactions: ir.Table, as_of: dt.date) -> ir.Table:
    """Money in before ``as_of``'s month, not a loan's (``account_id, day, amount``)."""
    t = _money_in(transactions, as_of)
    return t.select("account_id", day=t.occurred_at.date(), amount=t.amount)


def settlements(transactions: ir.Table, accounts: ir.Table, as_of: dt.date) -> ir.Table:
    """Money in to ``accounts`` before ``as_of``'s month: their columns but ``account_id``,
    with ``day`` and ``amount``.

    A pass over the transactions of its own, joined as they are read: sharing the pass of
    ``settlement_history`` would make an engine keep all the rows for the join to probe."""
    t = _money_in(transactions, as_of).join(accounts, "account_id")
    return t.select(*(c for c in accounts.columns if c != "account_id"),
                    day=t.occurred_at.date(), amount=t.amount)


def volume_column(month: dt.date) -> str:
    """The column of ``settlement_history`` with the volume of ``month``."""
    return f"volume_{month:%Y_%m}"


def settlement_history(transactions: ir.Table, accounts: ir.Table, as_of: dt.date,
                       months: int = HISTORY_MONTHS) -> ir.Table:
    """Per customer settling through this bank before ``as_of``'s month: the day of its
    first settlement (``first``) and its volume in each of the last ``months`` complete
    months (``volume_column(month)``, NULL for a month without any).

    One pass over the money in, summed per account, then per customer over its accounts
    here. Every settlement figure of a date reads this one table (the same expression, which
    an engine computes once per query), so ``months`` is ``HISTORY_MONTHS`` unless a figure
    reaches further back."""
    months = max(months, HISTORY_MONTHS)
    t = inflows(transactions, as_of)
    per_account = t.group_by("account_id").aggregate(first=t.day.min(), **{
        volume_column(m): money(t.amount.sum(where=(t.day >= ibis.date(m))
                                             & (t.day < ibis.date(month_after(m)))))
        for m in complete_months(as_of, months)})
    own = settlement_accounts(accounts, as_of, own_bank_only=True)
    a = own.join(per_account, "account_id")
    return a.group_by("customer_id").aggregate(first=a["first"].min(), **{
        name: money(a[name].sum()) for name in per_account.columns if name.startswith("volume_")})


def monthly_volumes(history: ir.Table, customers: ir.Table,
                    months: Sequence[dt.date]) -> ir.Table:
    """Each of ``customers`` (a table with ``customer_id``) with its settlement volume in
    each of ``months`` (of the ``settlement_history``), zero for a month without any."""
    v = history.rename(v_customer_id="customer_id")
    c = customers.select("customer_id").distinct()
    t = c.left_join(v, c.customer_id == v.v_customer_id)
    return t.select("customer_id", **{volume_column(m): t[volume_column(m)].coalesce(zero())
                                      for m in months})


def settlement_covenants(covenants: ir.Table, snapshot: ir.Table, loans: ir.Table, as_of: dt.date,
                         first_month: dt.date) -> ir.Table:
    """The strictest monthly-settlement covenant (``threshold``) of each borrower over its
    active loans disbursed before ``first_month`` (the months before a loan owe nothing to its
    covenant)."""
    c = covenants.filter(in_force(covenants, as_of), covenants.kind == COVENANT)
    ln = loans.filter(in_force(loans, as_of), loans.disbursed_on < ibis.date(first_month))
    s = snapshot.filter(snapshot.status == "active").select("loan_id", "customer_id")
    c = c.join(s, "loan_id").join(ln.select("loan_id"), "loan_id")
    return c.group_by("customer_id").aggregate(threshold=money(c.threshold.max()))


def settlement_vs_average(history: ir.Table, months: Sequence[dt.date]) -> ir.Table:
    """The volume of the last of ``months`` (``last``) and the total of the months before it
    (``base``), for each customer of the ``settlement_history`` settling here since the
    first of them."""
    t = history.filter(history["first"] < ibis.date(month_after(months[0])))
    volumes = [t[volume_column(m)].coalesce(zero()) for m in months]
    return t.select("customer_id", last=money(volumes[-1]),
                    base=money(functools.reduce(operator.add, volumes[:-1])))
