"""Settlement (结算渠道): money coming *in* to a borrower's accounts, month by month, less the
transactions that carry a ``loan_id`` (a disbursement is not business). Only complete calendar
months before the as-of date's own month count."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.analytics.expr import in_force, money, zero
from loanwatch.domain.calendar import months_before

COVENANT = "min_monthly_settlement"


def complete_months(as_of: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` complete months before ``as_of``'s month, oldest first."""
    this_month = as_of.replace(day=1)
    return [months_before(this_month, n) for n in range(count, 0, -1)]


def settlement_accounts(accounts: ir.Table, as_of: dt.date, *, own_bank_only: bool) -> ir.Table:
    """The customers' accounts in force (``account_id, customer_id``), this bank's only if asked."""
    a = accounts.filter(in_force(accounts, as_of), accounts.customer_id.notnull())
    if own_bank_only:
        a = a.filter(a.is_own_bank)
    return a.select("account_id", "customer_id")


def settlements(transactions: ir.Table, accounts: ir.Table, as_of: dt.date) -> ir.Table:
    """Money in to ``accounts`` before ``as_of``'s month (``customer_id, day, amount``)."""
    t = transactions
    before = ibis.timestamp(dt.datetime.combine(as_of.replace(day=1), dt.time()))
    t = t.filter(in_force(t, as_of), t.direction == "in", t.loan_id.isnull(), t.occurred_at < before)
    t = t.join(accounts, "account_id")
    return t.select("customer_id", day=t.occurred_at.date(), amount=t.amount)


def own_bank_settlements(transactions: ir.Table, accounts: ir.Table, as_of: dt.date) -> ir.Table:
    return settlements(transactions, settlement_accounts(accounts, as_of, own_bank_only=True), as_of)


def monthly_settlement(transactions: ir.Table, accounts: ir.Table, as_of: dt.date,
                       customers: ir.Table, months: list[dt.date]) -> ir.Table:
    """Settlement volume through this bank of each of ``customers`` (a table with
    ``customer_id``) in each of ``months``, zero for a month without any (``customer_id,
    month, volume``)."""
    s = own_bank_settlements(transactions, accounts, as_of)
    s = s.filter(s.day >= ibis.date(months[0]))
    s = s.mutate(month=s.day.truncate("M")).group_by("customer_id", "month").aggregate(
        volume=money(s.amount.sum()))
    grid = customers.select("customer_id").distinct().cross_join(
        ibis.memtable(pa.table({"month": pa.array(months, pa.date32())})))
    t = grid.left_join(s, ["customer_id", "month"])
    return t.select("customer_id", "month", volume=t.volume.coalesce(zero()))


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


def first_settlement_months(transactions: ir.Table, accounts: ir.Table, as_of: dt.date) -> ir.Table:
    """The month of each borrower's first settlement through this bank (``first``)."""
    s = own_bank_settlements(transactions, accounts, as_of)
    return s.group_by("customer_id").aggregate(first=s.day.min().truncate("M"))


def settlement_vs_average(transactions: ir.Table, accounts: ir.Table, as_of: dt.date,
                          baseline_months: int) -> ir.Table:
    """Last complete month's settlement through this bank (``last``) and the total of the
    ``baseline_months`` before it (``base``), for each borrower settling here since the
    first of those months."""
    months = complete_months(as_of, baseline_months + 1)
    first = first_settlement_months(transactions, accounts, as_of)
    first = first.filter(first.first <= ibis.date(months[0]))
    m = monthly_settlement(transactions, accounts, as_of, first, months)
    last = m.month == ibis.date(months[-1])
    return m.group_by("customer_id").aggregate(last=money(m.volume.sum(where=last)),
                                               base=money(m.volume.sum(where=~last)))
