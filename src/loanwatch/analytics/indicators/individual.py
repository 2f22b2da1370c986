"""Individual indicators (METRICS.md): income change, debt burden ratio and
repayment-to-income ratio of the individual borrowers, from their monthly incomes (full
months before the as-of date's month), declared annual income, loans here (the loan
snapshot) and the latest bureau report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, in_force, money, zero
from loanwatch.analytics.indicators.bureau import latest_reports
from loanwatch.analytics.indicators.ratio import change, ratio
from loanwatch.domain.calendar import months_before


def _current(t: ir.Table, as_of: dt.date) -> ir.Table:
    """The row versions of ``t`` in force at ``as_of`` (all rows if not versioned)."""
    return t.filter(in_force(t, as_of)) if "_valid_from" in t.columns else t


def individuals(customers: ir.Table, as_of: dt.date) -> ir.Table:
    """The individual customers in force (``customer_id, annual_income``)."""
    c = _current(customers, as_of)
    return c.filter(c.customer_type == "individual").select("customer_id", "annual_income")


# the windows of mean monthly income the indicators read, (months, skip): computed together
INCOME_WINDOWS = ((3, 0), (6, 3), (12, 0))


def mean_column(months: int, skip: int = 0) -> str:
    """The column of ``mean_incomes`` with the mean of the window (``months``, ``skip``)."""
    return f"mean_{months}m" + (f"_{skip}m_before" if skip else "")


def mean_incomes(incomes: ir.Table, as_of: dt.date,
                 windows: Iterable[tuple[int, int]] = ()) -> ir.Table:
    """Each customer's mean monthly income in each window (``months``, ``skip``) of
    ``INCOME_WINDOWS`` and ``windows``: over the ``months`` full months before the ``skip``
    months before ``as_of``'s month (``mean_column(months, skip)``, NULL without a month
    there). One pass over the incomes for every window: every figure of a date reads this
    one table (the same expression, which an engine computes once per query)."""
    every = sorted(set(INCOME_WINDOWS).union(windows))
    this_month = as_of.replace(day=1)
    i = _current(incomes, as_of)
    first = min(months_before(this_month, months + skip) for months, skip in every)
    i = i.filter(i.month >= ibis.date(first), i.month < ibis.date(this_month))

    def mean(months: int, skip: int) -> ir.DecimalValue:
        end = months_before(this_month, skip)
        within = (i.month >= ibis.date(months_before(end, months))) & (i.month < ibis.date(end))
        return i.amount.cast("float64").mean(where=within).round(2).cast(MONEY)

    return i.group_by("customer_id").aggregate(**{mean_column(m, s): mean(m, s) for m, s in every})


def mean_income(incomes: ir.Table, as_of: dt.date, months: int, skip: int = 0) -> ir.Table:
    """Each customer's mean monthly income (``mean``) over the ``months`` full months before
    the ``skip`` months before ``as_of``'s month; customers without one there are absent."""
    t = mean_incomes(incomes, as_of, [(months, skip)])
    mean = t[mean_column(months, skip)]
    return t.filter(mean.notnull()).select("customer_id", mean=mean)


def income_change(incomes: ir.Table, as_of: dt.date, recent_months: int = 3,
                  baseline_months: int = 6) -> ir.Table:
    """Mean income of the last ``recent_months`` full months (``mean``) against the
    ``baseline_months`` before those (``base_mean``): ``change`` = mean / base_mean - 1."""
    t = mean_incomes(incomes, as_of, [(recent_months, 0), (baseline_months, recent_months)])
    t = t.select("customer_id", mean=t[mean_column(recent_months)],
                 base_mean=t[mean_column(baseline_months, recent_months)])
    t = t.filter(t.mean.notnull(), t.base_mean.notnull())
    return t.mutate(change=change(t.mean, t.base_mean))


def loans_here(snapshot: ir.Table) -> ir.Table:
    """Per customer with active loans here: outstanding principal (``here``)."""
    s = snapshot.filter(snapshot.status == "active")
    return s.group_by("customer_id").aggregate(here=money(s.outstanding_principal.sum()))


def incomes_of(customers: ir.Table, incomes: ir.Table | None, as_of: dt.date,
               months: int) -> ir.Table:
    """Individuals with ``mean``, their mean income of the last ``months`` full months
    (NULL without incomes), and their declared ``annual_income``."""
    people = individuals(customers, as_of)
    if incomes is None:
        return people.mutate(mean=ibis.null(MONEY))
    m = mean_income(incomes, as_of, months)
    m = m.select(m_customer_id=m.customer_id, m_mean=m.mean)
    t = people.left_join(m, people.customer_id == m.m_customer_id)
    return t.select("customer_id", "annual_income", mean=t.m_mean)


def debts(snapshot: ir.Table, reports: ir.Table, as_of: dt.date) -> ir.Table:
    """Per customer with active loans here or a bureau report: outstanding principal here
    (``here``) and the latest bureau loans balance (``bureau``, on ``reported_on``)."""
    here = loans_here(snapshot).rename(l_customer_id="customer_id")
    r = latest_reports(reports, as_of)
    r = r.select(r_customer_id=r.customer_id, reported_on=r.reported_on, bureau=r.loans_balance)
    t = here.outer_join(r, here.l_customer_id == r.r_customer_id)
    return t.select(customer_id=t.l_customer_id.coalesce(t.r_customer_id),
                    here=t.here.coalesce(zero()), bureau=t.bureau.coalesce(zero()),
                    reported_on=t.reported_on)


def debt_burden(customers: ir.Table, incomes: ir.Table | None, snapshot: ir.Table,
                reports: ir.Table, as_of: dt.date) -> ir.Table:
    """Individuals' total ``debt`` (active loans here + latest bureau loans balance) over
    ``annual`` income (12 x the mean of the last 12 months of incomes, ``from_incomes``, else
    the declared annual income, standing in for disposable income): ``ratio``."""
    income = incomes_of(customers, incomes, as_of, 12)
    d = debts(snapshot, reports, as_of).rename(d_customer_id="customer_id")
    t = income.join(d, income.customer_id == d.d_customer_id)
    annual = (t.mean.cast("float64") * 12).round(2).cast(MONEY).coalesce(t.annual_income)
    t = t.mutate(annual=annual, debt=money(t.here + t.bureau), from_incomes=t.mean.notnull())
    return t.mutate(ratio=ratio(t.debt, t.annual))


def monthly_payments(loans: ir.Table, snapshot: ir.Table, as_of: dt.date) -> ir.Table:
    """Per customer with active loans: the contractual monthly payment (月供) of its loans
    (``due``), from the loan terms in force: equal installments the annuity of the principal
    over the term; equal principal the principal / term plus a month's interest on the
    outstanding principal; interest-first a month's interest; bullet the principal / term
    plus a month's interest (what the borrower must set aside). Not the next amount due,
    which a prepayment or a balloon makes a multiple of it."""
    ln = _current(loans, as_of).select(
        l_loan_id="loan_id", principal="principal", annual_rate="annual_rate",
        method="repayment_method", disbursed_on="disbursed_on", maturity_on="maturity_on")
    s = snapshot.filter(snapshot.status == "active")
    t = s.join(ln, s.loan_id == ln.l_loan_id)
    months = ((t.maturity_on.year() - t.disbursed_on.year()) * 12
              + t.maturity_on.month() - t.disbursed_on.month())
    n = ibis.greatest(months, 1).cast("float64")
    r = t.annual_rate.cast("float64") / 12
    p = t.principal.cast("float64")
    annuity = ibis.ifelse(r > 0, p * r / (1 - (1 + r) ** (-n)), p / n)
    interest = t.outstanding_principal.cast("float64") * r
    due = ibis.cases((t.method == "equal_installment", annuity),
                     (t.method == "interest_first", interest),
                     else_=p / n + interest)
    t = t.mutate(due=due)
    return t.group_by("customer_id").aggregate(due=t.due.sum().round(2).cast(MONEY))


def repayment_to_income(customers: ir.Table, incomes: ir.Table | None, snapshot: ir.Table,
                        loans: ir.Table, as_of: dt.date) -> ir.Table:
    """Individuals' contractual monthly payments on their active loans here (``due``, see
    ``monthly_payments``) over ``monthly`` income (mean of the last 3 months of incomes,
    ``from_incomes``, else declared annual income / 12): ``ratio``. Payments to other
    lenders are not in the data contract (bureau reports carry balances only), so the ratio
    counts this lender's payments alone."""
    income = incomes_of(customers, incomes, as_of, 3)
    pay = monthly_payments(loans, snapshot, as_of).rename(l_customer_id="customer_id")
    t = income.join(pay, income.customer_id == pay.l_customer_id)
    declared = (t.annual_income.cast("float64") / 12).round(2).cast(MONEY)
    t = t.mutate(monthly=t.mean.coalesce(declared), from_incomes=t.mean.notnull())
    return t.mutate(ratio=ratio(t.due, t.monthly))
