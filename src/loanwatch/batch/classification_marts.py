"""Builders of the classification marts: borrower ratings, the five-level classification
with IFRS 9 stage and ECL, class migration and class-downgrade events.

They read the stored loan snapshot of the date and, being path-dependent, what the run
stored for the date before; so they run one date at a time on the workspace's DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.analytics.ecl import expected_credit_loss, loan_security
from loanwatch.analytics.repayment_record import RecordRules, repayment_counts
from loanwatch.batch.dated import Stored, date_before, rows_before, rows_on
from loanwatch.classify.classification import ClassInputs, class_rules, loan_classification
from loanwatch.classify.events import class_downgrades
from loanwatch.classify.migration import class_migration
from loanwatch.classify.rating import RatingRules, borrower_ratings, grade_pd, rating_rules
from loanwatch.classify.staging import ecl_rules, ifrs9_stages, staging_rules
from loanwatch.domain.calendar import months_before, previous_month_end
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy

# what a classification carries from one run to the next (classification.py)
CARRIED = pa.schema([
    ("loan_id", pa.string()), ("as_of", pa.date32()), ("five_class", pa.string()),
    ("npl_since", pa.date32()), ("class_before_restructuring", pa.string()),
    ("origination_grade", pa.int32()), ("origination_pd", pa.decimal128(9, 6))])


def record_rules(policy: Policy) -> RecordRules:
    s = policy.signals
    return RecordRules(policy.dpd.materiality_threshold,
                       s.repay_repeat.params.long_overdue_working_days_above,
                       s.repay_partial.params.last_periods)


def repayment_record(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                     stored: Stored) -> ir.Table:
    """Per loan with installments due in the 12 months to the date: how many were late, how
    many long late (REPAY-REPEAT's working days), and its partial payments in its last due
    periods (REPAY-PARTIAL's)."""
    (day,) = dates
    c = repayment_counts(engine.table("installments"), engine.table("repayments"), day,
                         months_before(day, 12), record_rules(policy))
    return c.select("loan_id", as_of=ibis.date(day), late_12m=c.late, long_late_12m=c.long_late,
                    recent_periods=c.periods, partial_periods=c.partial, partials=c.partials)


def ratings(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
            stored: Stored) -> ir.Table:
    """Borrower ratings (内部评级) at the date, refreshed by every run (``rated_on``)."""
    (day,) = dates
    snapshot = rows_on(engine, "loan_snapshot", day)
    late = rows_on(engine, "repayment_record", day).select(r_loan_id="loan_id", late="late_12m")
    loans = snapshot.left_join(late, snapshot.loan_id == late.r_loan_id).drop("r_loan_id")
    loans = loans.mutate(late_12m=loans.late.coalesce(0))
    rules = rating_rules(policy)
    r = borrower_ratings(loans, engine.table("bureau_reports"), engine.table("registry_events"),
                         day, rules)
    return with_model_grades(r, rows_on(engine, "scores", day), rules).mutate(rated_on=r.as_of)


def with_model_grades(r: ir.Table, scores: ir.Table, rules: RatingRules) -> ir.Table:
    """Once a champion model scores the borrowers (the ``scores`` mart), its grade and the
    grade's PD replace the interim scorecard's; ``pd_source`` says which made the rating and
    ``model_pd`` keeps the model's own calibrated PD. Borrowers the model does not score (in
    default) keep the interim rating."""
    s = scores.select(s_customer="customer_id", s_grade="grade", s_model="model_id",
                      s_pd="pd_12m")
    t = r.left_join(s, r.customer_id == s.s_customer)
    scored = t.s_grade.notnull()
    replaced = {
        "grade": t.s_grade.coalesce(t.grade).cast("int32"),
        "pd_12m": ibis.ifelse(scored, grade_pd(t.s_grade, rules.grade_pds), t.pd_12m)}
    return t.select(*(replaced.get(c, t[c]).name(c) for c in r.columns),
                    pd_source=ibis.ifelse(scored, "model:" + t.s_model, "scorecard"),
                    model_pd=t.s_pd)


def classification(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                   stored: Stored) -> ir.Table:
    (day,) = dates
    previous = rows_before(engine, stored, "classification", day, CARRIED)
    rated = rows_on(engine, "ratings", day)
    x = ClassInputs(
        snapshot=rows_on(engine, "loan_snapshot", day), loans=engine.table("loans"),
        installments=engine.table("installments"), repayments=engine.table("repayments"),
        customers=engine.table("customers"), bureau_reports=engine.table("bureau_reports"),
        registry_events=engine.table("registry_events"), previous=previous,
        overrides=engine.table("lw_class_overrides"), marks=engine.table("lw_technical_marks"),
        ratings=rated)
    t = loan_classification(x, day, class_rules(policy))
    return _with_provision(engine, t, previous, rated, day, policy)


def _with_provision(engine: AnalyticsEngine, t: ir.Table, previous: ir.Table, rated: ir.Table,
                    day: dt.date, policy: Policy) -> ir.Table:
    """IFRS 9 stage and ECL: PD from the rating, origination carried from the first run."""
    r = rated.select(r_customer_id=rated.customer_id, pd_12m=rated.pd_12m)
    t = t.left_join(r, t.customer_id == r.r_customer_id).drop("r_customer_id")
    p = previous.select(p_loan_id=previous.loan_id, p_grade=previous.origination_grade,
                        p_pd=previous.origination_pd)
    t = t.left_join(p, t.loan_id == p.p_loan_id).drop("p_loan_id")
    t = t.mutate(origination_grade=t.p_grade.coalesce(t.rating_grade),
                 origination_pd=t.p_pd.coalesce(t.pd_12m)).drop("p_grade", "p_pd")
    # staging reads the rating grade as ``grade``; the ladder grade keeps its name
    t = t.rename(ladder_grade="grade")
    t = t.mutate(grade=t.rating_grade)
    staged = ifrs9_stages(t, staging_rules(policy))
    staged = staged.drop("grade").rename(grade="ladder_grade")
    sec = loan_security(engine.table("guarantees"), engine.table("collaterals"), day)
    s = sec.select(s_loan_id=sec.loan_id, security=sec.security)
    staged = staged.left_join(s, staged.loan_id == s.s_loan_id).drop("s_loan_id")
    return expected_credit_loss(staged, ecl_rules(policy))


def class_migration_mart(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                         stored: Stored) -> ir.Table:
    """Loans and balances by class at the month end before and state now (a month end not
    classified has no rows)."""
    (day,) = dates
    before = previous_month_end(day)
    now = rows_on(engine, "classification", day)
    if before not in stored("classification"):
        return class_migration(now.limit(0), now, day)
    return class_migration(rows_on(engine, "classification", before), now, day)


def class_events(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                 stored: Stored) -> ir.Table:
    """CLASS-DOWNGRADE events: loans whose class worsened since the run before."""
    (day,) = dates
    now = rows_on(engine, "classification", day)
    before = date_before(stored, "classification", day)
    return class_downgrades(rows_on(engine, "classification", before) if before else now.limit(0),
                            now)
