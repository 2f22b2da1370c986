"""Individual indicators (METRICS.md): income change, debt burden ratio and
repayment-to-income ratio of the individual borrowers, from their monthly incomes (full
months before the as-of date's month), declared annual income, loans here (the loan
snapshot) and the latest bureau report."""

from __future__ import annotations

import datetime as dt

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


def mean_income(incomes: ir.Table, as_of: dt.date, months: int, skip: int = 0) -> ir.Table:
    """Each customer's mean monthly income (``mean``) over the ``months`` full months before
    the ``skip`` months before ``as_of``'s month; customers without a month there are absent."""
    end = months_before(as_of.replace(day=1), skip)
    i = _current(incomes, as_of)
    i = i.filter(i.month >= ibis.date(months_before(end, months)), i.month < ibis.date(end))
    mean = i.amount.cast("float64").mean().round(2).cast(MONEY)
    return i.group_by("customer_id").aggregate(mean=mean)


def income_change(incomes: ir.Table, as_of: dt.date, recent_months: int = 3,
                  baseline_months: int = 6) -> ir.Table:
    """Mean income of the last ``recent_months`` full months (``mean``) against the
    ``baseline_months`` before those (``base_mean``): ``change`` = mean / base_mean - 1."""
    recent = mean_income(incomes, as_of, recent_months)
    base = mean_income(incomes, as_of, baseline_months, recent_months)
    base = base.select(base_customer_id=base.customer_id, base_mean=base.mean)
    t = recent.join(base, recent.customer_id == base.base_customer_id)
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
