"""Settlement (结算渠道): money coming *in* to a borrower's accounts, month by month, less the
transactions that carry a ``loan_id`` (a disbursement is not business). Only complete calendar
months before the as-of date's own month count.

The transactions are the biggest table of the data contract: one pass over them (``settlements``)
serves every consumer, each month's volume is a filtered sum per customer
(``settlement_by_month``), never a group per customer and month."""

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


def settlements(transactions: ir.Table, accounts: ir.Table, as_of: dt.date) -> ir.Table:
    """Money in to the customers' accounts in force, before ``as_of``'s month (``customer_id,
    day, amount``, and ``own``: to an account at this bank)."""
    t = transactions
    before = ibis.timestamp(dt.datetime.combine(as_of.replace(day=1), dt.time()))
    t = t.filter(in_force(t, as_of), t.direction == "in", t.loan_id.isnull(), t.occurred_at < before)
    a = accounts.filter(in_force(accounts, as_of), accounts.customer_id.notnull())
    t = t.join(a.select("account_id", "customer_id", own=a.is_own_bank), "account_id")
    return t.select("customer_id", "own", day=t.occurred_at.date(), amount=t.amount)


def own_bank_settlements(transactions: ir.Table, accounts: ir.Table, as_of: dt.date) -> ir.Table:
    """``settlements`` through this bank (the same pass over the transactions)."""
    s = settlements(transactions, accounts, as_of)
    return s.filter(s.own)


def volume_column(month: dt.date) -> str:
    """The column of ``settlement_by_month`` with the volume of ``month``."""
    return f"volume_{month:%Y_%m}"


def settlement_by_month(settled: ir.Table, months: Sequence[dt.date]) -> ir.Table:
    """Per customer of ``settled`` (``settlements`` rows): the day of its first settlement
    there (``first``) and its volume in each of ``months`` (``volume_column(month)``, NULL
    for a month without any)."""
    s = settled
    volumes = {volume_column(m): money(s.amount.sum(where=(s.day >= ibis.date(m))
                                                    & (s.day < ibis.date(month_after(m)))))
               for m in months}
    return s.group_by("customer_id").aggregate(first=s.day.min(), **volumes)


def monthly_settlement(by_month: ir.Table, customers: ir.Table,
                       months: Sequence[dt.date]) -> ir.Table:
    """Settlement volume of each of ``customers`` (a table with ``customer_id``) in each of
    ``months`` (columns of ``by_month``), zero for a month without any (``customer_id, month,
    volume``)."""
    v = by_month.rename(v_customer_id="customer_id")
    c = customers.select("customer_id").distinct()
    t = c.left_join(v, c.customer_id == v.v_customer_id)
    return ibis.union(*(t.select("customer_id", month=ibis.date(m),
                                 volume=money(t[volume_column(m)].coalesce(zero())))
                        for m in months))


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


def settlement_vs_average(by_month: ir.Table, months: Sequence[dt.date]) -> ir.Table:
    """The volume of the last of ``months`` (``last``) and the total of the months before it
    (``base``), for each customer of ``by_month`` settling there since the first of them."""
    t = by_month.filter(by_month["first"] < ibis.date(month_after(months[0])))
    volumes = [t[volume_column(m)].coalesce(zero()) for m in months]
    return t.select("customer_id", last=money(volumes[-1]),
                    base=money(functools.reduce(operator.add, volumes[:-1])))
