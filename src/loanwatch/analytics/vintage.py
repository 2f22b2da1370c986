"""Vintage (账龄分析): each disbursement month's delinquency and write-offs at its current
months on book, one point of each cohort's curve per as-of date.

Rates are over what the cohort disbursed (the usual vintage denominator): M1+ and M3+
balance of its active loans, and the principal still outstanding on its written-off loans
(charge-offs less what was recovered since); count rates over its loans."""

from __future__ import annotations

import ibis.expr.types as ir

from loanwatch.analytics.expr import money, zero


def vintage(snapshot: ir.Table, m1_dpd: int, m3_dpd: int) -> ir.Table:
    s = snapshot.filter(snapshot.status != "not_started")
    s = s.mutate(cohort=s.disbursed_on.strftime("%Y-%m"))
    active = s.status == "active"
    t = s.group_by("as_of", "cohort", "mob").aggregate(
        loans=s.count(),
        disbursed=money(s.principal.sum()),
        outstanding=money(s.outstanding_principal.sum(where=active).coalesce(zero())),
        m1_loans=s.count(where=active & (s.dpd >= m1_dpd)),
        m1_balance=money(s.outstanding_principal.sum(where=active & (s.dpd >= m1_dpd)).coalesce(zero())),
        m3_loans=s.count(where=active & (s.dpd >= m3_dpd)),
        m3_balance=money(s.outstanding_principal.sum(where=active & (s.dpd >= m3_dpd)).coalesce(zero())),
        written_off_loans=s.count(where=s.status == "written_off"),
        written_off_balance=money(s.outstanding_principal.sum(where=s.status == "written_off")
                                  .coalesce(zero())),
    )
    base, n = t.disbursed.cast("float64").nullif(0), t.loans.cast("float64")
    return t.mutate(m1_rate_balance=t.m1_balance.cast("float64") / base,
                    m3_rate_balance=t.m3_balance.cast("float64") / base,
                    m1_rate_count=t.m1_loans.cast("float64") / n,
                    m3_rate_count=t.m3_loans.cast("float64") / n,
                    write_off_rate=t.written_off_balance.cast("float64") / base)
