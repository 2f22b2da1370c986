"""Borrower internal rating (内部评级): a transparent points scorecard.

Every borrower starts at 100 points; each factor of the policy costs points for one
indicator (its worst DPD here, late installments, its latest bureau report, adverse
registry events). The score (floored at 0) falls in a grade band (1 best), and the grade
carries a 12-month PD. A rating keeps the ids of the factors that cost points, so anyone can
redo it by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from loanwatch.analytics.expr import day, in_force, known_by, latest_by, money, zero
from loanwatch.policy import Policy

ON_BOOK = ("active", "written_off")
# a written-off loan counts as the worst DPD there is, so it reaches the top MAX-DPD band
WRITTEN_OFF_DPD = 2**31 - 1
ADVERSE_MONTHS = 12
BUREAU_INDICATORS = ("inquiries_3m", "lenders_count", "new_loans_3m")
PD = dtypes.Decimal(9, 6)


@dataclass(frozen=True)
class Factor:
    """Points lost for one indicator: the highest of ``bands`` (min value, points) reached,
    or ``points_each`` per unit; at most ``cap``."""

    id: str
    indicator: str
    bands: tuple[tuple[Decimal, int], ...] = ()
    points_each: int | None = None
    cap: int | None = None


@dataclass(frozen=True)
class RatingRules:
    factors: tuple[Factor, ...]
    adverse_kinds: tuple[str, ...]
    grade_min_scores: tuple[int, ...]  # grade g from score grade_min_scores[g - 1] on
    grade_pds: tuple[Decimal, ...]  # the 12-month PD of grade 1, 2, ...


def rating_rules(policy: Policy) -> RatingRules:
    r = policy.rating
    factors = tuple(Factor(f.id, f.indicator.value, tuple((b.min, b.points) for b in f.bands),
                           f.points_each, f.cap) for f in r.factors)
    return RatingRules(factors, r.adverse_registry_kinds, r.grade_min_scores, r.grade_pds)


def borrower_ratings(loans: ir.Table, bureau_reports: ir.Table, registry_events: ir.Table,
                     as_of: dt.date, rules: RatingRules) -> ir.Table:
    """One row per customer with an active or written-off loan in ``loans`` (one row per loan
    at ``as_of``: ``customer_id, status, dpd, late_12m``): ``as_of, customer_id, score,
    grade, pd_12m, rating_reasons``. No bureau report or registry event costs no points."""
    t = borrower_indicators(loans, bureau_reports, registry_events, as_of, rules.adverse_kinds)
    points = [_points(f, t[f.indicator]) for f in rules.factors]
    score = ibis.greatest(100 - sum(points, ibis.literal(0, "int64")), 0).cast("int32")
    t = t.mutate(score=score)
    grade = _grade(t.score, rules.grade_min_scores)
    reasons = ibis.array([ibis.ifelse(p > 0, f.id, ibis.null("string"))
                          for f, p in zip(rules.factors, points, strict=True)])
    return t.select(as_of=ibis.literal(as_of, "date"), customer_id=t.customer_id,
                    score=t.score, grade=grade, pd_12m=grade_pd(grade, rules.grade_pds),
                    rating_reasons=reasons.filter(lambda r: r.notnull()))


def borrower_indicators(loans: ir.Table, bureau_reports: ir.Table, registry_events: ir.Table,
                        as_of: dt.date, adverse_kinds: tuple[str, ...]) -> ir.Table:
    """One row per customer on the book with every indicator a factor can read."""
    book = loans.filter(loans.status.isin(ON_BOOK))
    dpd = ibis.ifelse(book.status == "written_off", WRITTEN_OFF_DPD, book.dpd.cast("int64"))
    t = book.group_by("customer_id").aggregate(
        max_dpd=dpd.max(), late_12m=book.late_12m.cast("int64").sum().coalesce(0))
    b = latest_bureau(bureau_reports, as_of)
    t = t.left_join(b, t.customer_id == b.b_customer_id).drop("b_customer_id")
    e = adverse_events(registry_events, as_of, adverse_kinds)
    t = t.left_join(e, t.customer_id == e.e_customer_id).drop("e_customer_id")
    return t.mutate(
        bureau_overdue_amount=t.bureau_overdue_amount.coalesce(zero()),
        adverse_registry_12m=t.adverse_registry_12m.coalesce(0),
        **{name: t[name].coalesce(0) for name in BUREAU_INDICATORS})


def latest_bureau(bureau_reports: ir.Table, as_of: dt.date) -> ir.Table:
    """Each customer's latest bureau report dated by ``as_of``."""
    b = latest_by(known_by(bureau_reports, "reported_on", as_of), "customer_id", "reported_on")
    return b.select(b_customer_id=b.customer_id,
                    bureau_overdue_amount=money(b.overdue_amount),
                    **{name: b[name].cast("int64") for name in BUREAU_INDICATORS})


def adverse_events(registry_events: ir.Table, as_of: dt.date,
                   kinds: tuple[str, ...]) -> ir.Table:
    """Per customer, its registry events of an adverse kind in the 12 months to ``as_of``."""
    d = day(as_of)
    e = registry_events
    e = e.filter(in_force(e, d), e.kind.isin(list(kinds) or [""]), e.occurred_on <= d,
                 e.occurred_on > d - ibis.interval(months=ADVERSE_MONTHS))
    return e.group_by(e_customer_id=e.customer_id).aggregate(adverse_registry_12m=e.count())


def _points(f: Factor, value: ir.NumericValue) -> ir.IntegerValue:
    if f.points_each is not None:
        points = value * f.points_each
    else:
        points = ibis.cases(*((value >= ibis.literal(m, "decimal(18,2)"), p)
                              for m, p in reversed(f.bands)), else_=0)
    if f.cap is not None:
        points = ibis.least(points, f.cap)
    return points.coalesce(0).cast("int64")


def _grade(score: ir.IntegerValue, min_scores: tuple[int, ...]) -> ir.IntegerValue:
    worst = len(min_scores) + 1
    return ibis.cases(*((score >= m, g) for g, m in enumerate(min_scores, start=1)),
                      else_=worst).cast("int32")


def grade_pd(grade: ir.IntegerValue, pds: tuple[Decimal, ...]) -> ir.DecimalValue:
    return ibis.cases(*((grade == g, ibis.literal(pd, PD)) for g, pd in enumerate(pds, start=1)),
                      else_=ibis.null(PD))
