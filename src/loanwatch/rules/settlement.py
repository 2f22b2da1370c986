"""Group F of SIGNALS.md, settlement (结算渠道): how much money flows into a borrower's
accounts, month by month. Settlement is money coming *in*, less the transactions that carry a
``loan_id`` (a disbursement is not business). Every signal is borrower-level (``loan_id``
NULL) and counts complete calendar months before ``as_of``'s own month only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.analytics.expr import in_force, money, zero
from loanwatch.domain.calendar import months_before
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS", "settlement_below_covenant", "settlement_drop", "settlement_vs_revenue"]

COVENANT = "min_monthly_settlement"


def _months(as_of: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` complete months before ``as_of``'s month, oldest first."""
    this_month = as_of.replace(day=1)
    return [months_before(this_month, n) for n in range(count, 0, -1)]


def _month_text(month: ir.DateValue) -> ir.StringValue:
    return month.strftime("%Y-%m")


def _accounts(facts: Facts, *, own_bank_only: bool) -> ir.Table:
    a = facts.accounts
    a = a.filter(in_force(a, facts.as_of), a.customer_id.notnull())
    if own_bank_only:
        a = a.filter(a.is_own_bank)
    return a.select("account_id", "customer_id")


def _settlements(facts: Facts, accounts: ir.Table) -> ir.Table:
    """Money in to ``accounts`` before ``as_of``'s month (``customer_id, day, amount``)."""
    t = facts.transactions
    before = ibis.timestamp(dt.datetime.combine(facts.as_of.replace(day=1), dt.time()))
    t = t.filter(in_force(t, facts.as_of), t.direction == "in", t.loan_id.isnull(),
                 t.occurred_at < before)
    t = t.join(accounts, "account_id")
    return t.select("customer_id", day=t.occurred_at.date(), amount=t.amount)


def _monthly(facts: Facts, customers: ir.Table, months: list[dt.date]) -> ir.Table:
    """Settlement volume through this bank of each of ``customers`` in each of ``months``,
    zero for a month without any (``customer_id, month, volume``)."""
    s = _settlements(facts, _accounts(facts, own_bank_only=True))
    s = s.filter(s.day >= ibis.date(months[0]))
    s = s.mutate(month=s.day.truncate("M")).group_by("customer_id", "month").aggregate(
        volume=money(s.amount.sum()))
    grid = customers.select("customer_id").distinct().cross_join(
        ibis.memtable(pa.table({"month": pa.array(months, pa.date32())})))
    t = grid.left_join(s, ["customer_id", "month"])
    return t.select("customer_id", "month", volume=t.volume.coalesce(zero()))


def _borrower_rows(t: ir.Table, policy: SignalPolicy[Any], evidence: ir.StringValue) -> ir.Table:
    return firings(t.mutate(loan_id=ibis.null("string"), severity=ibis.literal(policy.severity.value),
                            evidence=evidence))


def _covenants(facts: Facts, first_month: dt.date) -> ir.Table:
    """The strictest monthly-settlement covenant of each borrower over its active loans
    disbursed before ``first_month`` (the months before a loan owe nothing to its covenant)."""
    c, s, ln = facts.covenants, facts.snapshot, facts.loans
    c = c.filter(in_force(c, facts.as_of), c.kind == COVENANT)
    ln = ln.filter(in_force(ln, facts.as_of), ln.disbursed_on < ibis.date(first_month))
    c = c.join(s.filter(s.status == "active").select("loan_id", "customer_id"), "loan_id")
    c = c.join(ln.select("loan_id"), "loan_id")
    return c.group_by("customer_id").aggregate(threshold=money(c.threshold.max()))


def settlement_below_covenant(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A borrower whose settlement through this bank was below its covenant's monthly
    minimum in each of the last ``min_consecutive_months`` complete months."""
    if facts.covenants is None or facts.transactions is None or facts.accounts is None:
        return no_firings()
    months = _months(facts.as_of, policy.params.min_consecutive_months)
    cov = _covenants(facts, months[0])
    m = _monthly(facts, cov, months).join(cov, "customer_id")
    m = m.mutate(text=money_text(m.volume) + " (" + _month_text(m.month) + ")")
    t = m.group_by("customer_id", "threshold").aggregate(
        below=(m.volume < m.threshold).sum(), text=m.text.group_concat(", ", order_by=m.month))
    t = t.filter(t.below == len(months))
    evidence = ("settlement through this bank " + t.text + " below the covenant "
                + money_text(t.threshold) + " a month")
    return _borrower_rows(t, policy, evidence)


def _first_months(facts: Facts) -> ir.Table:
    """The month of each borrower's first settlement through this bank."""
    s = _settlements(facts, _accounts(facts, own_bank_only=True))
    return s.group_by("customer_id").aggregate(first=s.day.min().truncate("M"))


def settlement_drop(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Last complete month's settlement through this bank against the mean of the
    ``baseline_months`` before it; fires at a drop >= ``min_drop`` from a positive mean, for a
    borrower settling here since the baseline's first month. Exact in decimals:
    base - n x last >= base x min_drop."""
    if facts.transactions is None or facts.accounts is None:
        return no_firings()
    p = policy.params
    months = _months(facts.as_of, p.baseline_months + 1)
    first = _first_months(facts).filter(lambda f: f.first <= ibis.date(months[0]))
    m = _monthly(facts, first, months)
    last = m.month == ibis.date(months[-1])
    t = m.group_by("customer_id").aggregate(last=money(m.volume.sum(where=last)),
                                            base=money(m.volume.sum(where=~last)))
    n = p.baseline_months
    fall = t.base - t.last * n
    t = t.filter(t.base > 0, fall >= t.base * ibis.literal(p.min_drop, "decimal(18,6)"))
    mean = (t.base.cast("float64") / n).cast("decimal(18,2)")
    drop = fall.cast("float64") / t.base.cast("float64")
    evidence = ("settlement through this bank " + money_text(t.last) + " in " + months[-1].strftime("%Y-%m")
                + f" vs {n}-month average " + money_text(mean) + " (" + months[0].strftime("%Y-%m")
                + ".." + months[-2].strftime("%Y-%m") + "), -" + percent_text(drop))
    return _borrower_rows(t, policy, evidence)


def _latest_statements(facts: Facts) -> ir.Table:
    f = facts.financials
    f = f.filter(in_force(f, facts.as_of), f.period_end <= ibis.date(facts.as_of))
    w = ibis.window(group_by=f.customer_id, order_by=ibis.desc(f.period_end))
    f = f.filter(ibis.row_number().over(w) == 0)
    return f.filter(f.revenue > 0).select("customer_id", "period_end", "revenue")


def settlement_vs_revenue(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Settlement at all banks (every account of the borrower known) over the 12 months up
    to the latest statement's ``period_end`` below ``revenue_share_below`` of its revenue.
    A borrower without any known account does not fire: nothing is known of its flows."""
    if facts.financials is None or facts.transactions is None or facts.accounts is None:
        return no_firings()
    accounts = _accounts(facts, own_bank_only=False)
    f = _latest_statements(facts)
    f = f.filter(f.customer_id.isin(accounts.customer_id))
    s = _settlements(facts, accounts).join(f, "customer_id")
    s = s.filter(s.day > s.period_end - ibis.interval(months=12), s.day <= s.period_end)
    v = s.group_by("customer_id").aggregate(volume=money(s.amount.sum()))
    t = f.left_join(v, "customer_id")
    t = t.mutate(volume=t.volume.coalesce(zero()))
    share = ibis.literal(policy.params.revenue_share_below, "decimal(18,6)")
    t = t.filter(t.volume < t.revenue * share)
    ratio = t.volume.cast("float64") / t.revenue.cast("float64")
    evidence = ("settlement at all banks " + money_text(t.volume) + " in the 12 months to "
                + t.period_end.cast("string") + " = " + percent_text(ratio) + " of revenue "
                + money_text(t.revenue))
    return _borrower_rows(t, policy, evidence)


SIGNALS: tuple[Signal, ...] = (
    Signal("SETTLE-BELOW-COVENANT", "本行结算量低于约定", "Settlement through this bank below the covenant",
           settlement_below_covenant),
    Signal("SETTLE-DROP", "结算量大幅下降", "Settlement volume dropping", settlement_drop),
    Signal("SETTLE-VS-REVENUE", "结算量与营业收入不匹配", "Settlement inconsistent with reported revenue",
           settlement_vs_revenue),
)
