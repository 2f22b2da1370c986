"""The portfolio report's figures of the book (贷后风险报告): key figures, delinquency by
segment, five-level classes and their migration, roll rates, vintages and IFRS 9 stages, read
from the marts a run stored. Sums over loans are taken the way the marts count them (active
loans with outstanding principal, as ``portfolio_metrics``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from loanwatch.batch.report_source import MartReader
from loanwatch.policy.vocabulary import FiveClass

Row = dict[str, Any]

KEY_FIGURES = ("loans", "outstanding", "m1_loans", "m1_balance", "m1_rate_count", "m1_rate_balance",
               "m3_loans", "m3_balance", "m3_rate_balance", "m4_loans", "m4_balance",
               "m4_rate_balance", "npl_balance", "npl_ratio", "stage2_balance", "stage3_balance",
               "loss_allowance", "provision_coverage", "provision_ratio", "provision_shortfall")
SEGMENT_COLUMNS = ("segment", "loans", "outstanding", "m1_loans", "m1_rate_count", "m1_rate_balance",
                   "m3_loans", "m3_rate_count", "m3_rate_balance", "m4_loans", "m4_rate_count",
                   "m4_rate_balance", "npl_balance", "npl_ratio")


def whole_book(r: MartReader, day: dt.date | None) -> Row | None:
    """The book's line of ``portfolio_metrics`` at ``day`` (``None``: not stored)."""
    if day is None or not r.has("portfolio_metrics", day):
        return None
    return r.one(f"SELECT {', '.join(KEY_FIGURES)} FROM portfolio_metrics WHERE as_of = ? "
                 "AND dimension = 'all'", [day])


def segments(r: MartReader, day: dt.date, dimension: str, limit: int = 15) -> list[Row]:
    """``portfolio_metrics`` by one dimension, largest balance first (at most ``limit``)."""
    return r.rows(f"SELECT {', '.join(SEGMENT_COLUMNS)} FROM portfolio_metrics WHERE as_of = ? "
                  "AND dimension = ? ORDER BY outstanding DESC, segment LIMIT ?",
                  [day, dimension, limit])


def trend(r: MartReader, day: dt.date, months: int = 13) -> list[Row]:
    """The book's rates at the month-ends stored up to ``day`` (and ``day``), oldest first."""
    return r.rows("""
        SELECT as_of, loans, outstanding, m1_rate_balance, m3_rate_balance, m4_rate_balance,
               npl_ratio FROM portfolio_metrics
        WHERE dimension = 'all' AND as_of <= ?
          AND (as_of = ? OR as_of = last_day(as_of))
        ORDER BY as_of DESC LIMIT ?""", [day, day, months])[::-1]


def class_distribution(r: MartReader, day: dt.date) -> list[Row]:
    """Loans, outstanding principal and ECL by five-level class, best class first; the
    loans counted are those with outstanding principal."""
    found = {x["five_class"]: x for x in r.rows("""
        SELECT five_class, count(*) AS loans, sum(outstanding_principal) AS balance,
               sum(ecl) AS ecl FROM classification
        WHERE as_of = ? AND status = 'active' AND outstanding_principal > 0 GROUP BY 1""", [day])}
    zero = {"loans": 0, "balance": 0, "ecl": 0}
    return [{"five_class": c.value, **{k: v for k, v in found.get(c.value, zero).items()
                                       if k != "five_class"}} for c in FiveClass]


def class_migration(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("SELECT from_class, to_state, loans, balance_before, balance_now "
                  "FROM class_migration WHERE as_of = ?", [day])


def bucket_migration(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("SELECT from_bucket, to_state, loans, balance_before, balance_now "
                  "FROM migration WHERE as_of = ?", [day])


def roll_rates(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("SELECT from_bucket, loans_before::BIGINT AS loans_before, balance_before, "
                  "rolled_forward, cured, roll_rate, cure_rate FROM roll_rates WHERE as_of = ?",
                  [day])


def roll_rate_trend(r: MartReader, day: dt.date, months: int = 13) -> list[Row]:
    """Each stored month-end's roll rate of every bucket, for the trend chart."""
    return r.rows("""
        SELECT as_of, from_bucket, roll_rate FROM roll_rates
        WHERE as_of <= ? AND as_of > ? - INTERVAL (? ) MONTH ORDER BY as_of, from_bucket""",
                  [day, day, months])


def vintage_curves(r: MartReader, day: dt.date, cohorts: int = 12) -> list[Row]:
    """The M1+/M3+ balance rate by months on book of the latest ``cohorts`` disbursement
    months, from every stored date up to ``day`` (each month-end adds one point per cohort)."""
    return r.rows("""
        WITH c AS (SELECT DISTINCT cohort FROM vintage WHERE as_of = ?
                   ORDER BY cohort DESC LIMIT ?)
        SELECT v.cohort, v.mob, v.m1_rate_balance, v.m3_rate_balance, v.write_off_rate
        FROM vintage v JOIN c USING (cohort)
        WHERE v.as_of <= ? AND (v.as_of = last_day(v.as_of) OR v.as_of = ?)
        ORDER BY v.cohort, v.mob""", [day, cohorts, day, day])


def vintage_table(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("SELECT cohort, mob, loans, disbursed, outstanding, m1_rate_balance, "
                  "m3_rate_balance, write_off_rate FROM vintage WHERE as_of = ? "
                  "ORDER BY cohort DESC", [day])


def stages(r: MartReader, day: dt.date) -> list[Row]:
    """Loans, outstanding principal, exposure at default and ECL by IFRS 9 stage, and the
    ECL's share of the stage's outstanding principal."""
    return r.rows("""
        SELECT stage, count(*) AS loans, sum(outstanding_principal) AS balance,
               sum(ead) AS ead, sum(ecl) AS ecl,
               sum(ecl) / nullif(sum(outstanding_principal), 0) AS coverage
        FROM classification
        WHERE as_of = ? AND status = 'active' AND outstanding_principal > 0
        GROUP BY 1 ORDER BY 1""", [day])
