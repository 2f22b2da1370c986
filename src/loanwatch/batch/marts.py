"""The marts a run computes and stores, one per analytics function, by export name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis.expr.types as ir

from loanwatch.analytics.concentration import top_borrowers
from loanwatch.analytics.loan_snapshot import Bucket, SnapshotRules, loan_snapshots
from loanwatch.analytics.migration import bucket_migration, previous_month_ends, roll_rates
from loanwatch.analytics.portfolio import Provisioning, overdue_rates
from loanwatch.analytics.vintage import vintage
from loanwatch.batch import alert_marts as am
from loanwatch.batch import classification_marts as cm
from loanwatch.batch import flow_marts as fm
from loanwatch.batch import indicator_marts as im
from loanwatch.batch import model_marts as mm
from loanwatch.batch import model_monitoring as mon
from loanwatch.batch import network_marts as nm
from loanwatch.batch import reconciliation_marts as rm
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import DayCount, FiveClass

DAY_COUNT_DAYS = {DayCount.ACT_360: 360, DayCount.ACT_365: 365}
Stored = Callable[[str], Sequence[dt.date]]


def no_dates(mart: str) -> list[dt.date]:
    return []


@dataclass(frozen=True)
class Mart:
    """A stored result: one row per ``key`` and as-of date, built from the engine's tables."""

    name: str
    key: tuple[str, ...]
    # (engine, dates, policy, stored=StoredDates: mart -> dates already stored) -> rows
    build: Callable[..., ir.Table]
    description: str
    # built from marts stored earlier in the same run (always on the workspace's DuckDB:
    # the heavy per-loan work is done, what is left is a small aggregation)
    reads_marts: bool = False
    # each date reads what the run stored for the date before (path-dependent results)
    one_date_at_a_time: bool = False
    # the marts it reads, computed before it when it is asked for alone
    needs: tuple[str, ...] = ()
    # dates per pass unless the run asks for a width (the loan snapshot reads the schedule
    # once per pass: 12 month ends at 1M loans in one pass, benchmarks/engine_bench.py)
    pass_width: int | None = None
    # DuckDB settings while a pass of several dates runs (see SNAPSHOT_HISTORY_SETTINGS)
    history_settings: tuple[str, ...] = ()


SNAPSHOT_DATES_PER_PASS = 12
# DuckDB cannot tell how many rows an UNNEST makes and takes the 12M (loan, date) sums of a
# history for the smaller side of their join with the loans: it builds its hash table on
# them. Joins then build on the side the query names second, the loans (1.5 s of 29 at 1M
# loans and 12 month ends; one date is faster without: benchmarks/engine_bench.py).
SNAPSHOT_HISTORY_SETTINGS = ("disabled_optimizers = 'build_side_probe_side'",)


def snapshot_rules(policy: Policy) -> SnapshotRules:
    return SnapshotRules(
        buckets=tuple(Bucket(b.name, b.min_dpd, b.max_dpd) for b in policy.buckets),
        materiality=policy.dpd.materiality_threshold,
        penalty_multiplier=policy.penalty.rate_multiplier,
        day_count_days=DAY_COUNT_DAYS[policy.penalty.day_count],
    )


def _loan_snapshot(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                   stored: Stored = no_dates) -> ir.Table:
    return loan_snapshots(engine.table("loans"), engine.table("installments"),
                          engine.table("repayments"), dates, snapshot_rules(policy))


NON_PERFORMING = tuple(c.value for c in FiveClass if c.rank >= FiveClass.SUBSTANDARD.rank)


def overdue_from_dpd(policy: Policy) -> dict[str, int]:
    """M1+ … M4+: the first DPD of the second to fifth buckets of the policy."""
    return {f"m{n}": b.min_dpd for n, b in enumerate(policy.buckets[1:5], start=1)}


def _portfolio_metrics(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                       stored: Stored = no_dates) -> ir.Table:
    snapshot = engine.table("loan_snapshot")
    snapshot = snapshot.filter(snapshot.as_of.isin(list(dates)))
    classes = engine.table("classification")  # stored just before, in the same run
    classes = classes.filter(classes.as_of.isin(list(dates)))
    provisioning = Provisioning(NON_PERFORMING, policy.ecl.coverage_min, policy.ecl.ratio_min)
    return overdue_rates(snapshot, engine.table("customers"), overdue_from_dpd(policy),
                         classes, provisioning)


def _with_month_before(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                       stored: Stored) -> tuple[ir.Table, dict]:
    """Snapshots of ``dates`` and of the month end before each; one not stored yet (the first
    date of a new workspace, say) is computed for the occasion, not stored."""
    previous = previous_month_ends(dates)
    cols = ("loan_id", "as_of", "status", "bucket", "outstanding_principal")
    snapshot = engine.table("loan_snapshot")
    snapshot = snapshot.filter(snapshot.as_of.isin([*dates, *previous.values()])).select(*cols)
    missing = sorted(set(previous.values()) - set(stored("loan_snapshot")) - set(dates))
    if missing:
        snapshot = snapshot.union(_loan_snapshot(engine, missing, policy).select(*cols))
    return snapshot, previous


def _migration(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
               stored: Stored = no_dates) -> ir.Table:
    return bucket_migration(*_with_month_before(engine, dates, policy, stored))


def _roll_rates(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                stored: Stored = no_dates) -> ir.Table:
    migration = engine.table("migration")  # stored just before, in the same run
    migration = migration.filter(migration.as_of.isin(list(dates)))
    return roll_rates(migration, [b.name for b in policy.buckets])


def _vintage(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
             stored: Stored = no_dates) -> ir.Table:
    snapshot = engine.table("loan_snapshot")
    m = overdue_from_dpd(policy)
    return vintage(snapshot.filter(snapshot.as_of.isin(list(dates))), m["m1"], m["m3"])


def _concentration(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                   stored: Stored = no_dates) -> ir.Table:
    snapshot = engine.table("loan_snapshot")
    return top_borrowers(snapshot.filter(snapshot.as_of.isin(list(dates))))


def with_needs(names: Sequence[str]) -> list[str]:
    """``names`` and every mart they read, in run order; unknown names are a ValueError."""
    unknown = sorted(set(names) - set(MARTS))
    if unknown:
        raise ValueError(f"no mart {', '.join(unknown)} (marts: {', '.join(MARTS)})")
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(MARTS[name].needs)
    return [m for m in MARTS if m in wanted]


# in the order a run computes them
MARTS: dict[str, Mart] = {
    m.name: m for m in (
        Mart("loan_snapshot", ("loan_id",), _loan_snapshot,
             "借据快照 balances, allocation, DPD and bucket of every loan as of a date",
             pass_width=SNAPSHOT_DATES_PER_PASS, history_settings=SNAPSHOT_HISTORY_SETTINGS),
        Mart("repayment_record", ("loan_id",), cm.repayment_record,
             "还款记录 each loan's installments due in the last 12 months paid late, and more "
             "than N working days late; partial payments in its last due periods",
             reads_marts=True, one_date_at_a_time=True),
        Mart("indicators", ("customer_id",), im.indicators,
             "客户指标 each borrower's indicators: income, debt burden, overdue rate, bureau, "
             "settlement, financial ratios, collateral LTV, key-person changes",
             reads_marts=True, needs=("loan_snapshot", "repayment_record"),
             one_date_at_a_time=True),
        Mart("fund_flows", ("loan_id", "finding"), fm.fund_flows,
             "资金流向 what the traced proceeds of each loan reached: backflow, prohibited use, "
             "cash, unknown holders, one counterparty, entrusted payment against the contract; "
             "amount, share, route and path hop by hop", reads_marts=True,
             one_date_at_a_time=True),
        Mart("reconciliation", ("loan_id",), rm.reconciliation,
             "票款一致性 each loan's contracts, entrusted payments and VAT invoices matched: "
             "amounts, void or mismatched invoices, days without an invoice, contract volume "
             "against revenue, status and reasons", reads_marts=True, one_date_at_a_time=True),
        Mart("scores", ("customer_id",), mm.scores,
             "行为评分 the champion model's PD, score, grade and top factors of every borrower "
             "not in default, and the challenger's beside it (empty until a model is promoted)",
             reads_marts=True, needs=("loan_snapshot", "indicators", "fund_flows",
                                      "reconciliation"), one_date_at_a_time=True),
        Mart("model_monitoring", ("model_id", "measure"), mon.model_monitoring,
             "模型监控 the champion's PSI of the score and CSI of each feature against its "
             "development sample, stability level, drift flag (PSI > 0.25)", reads_marts=True,
             needs=("scores",), one_date_at_a_time=True),
        Mart("ratings", ("customer_id",), cm.ratings,
             "内部评级 each borrower's score card points, grade (1 best) and 12-month PD",
             reads_marts=True, needs=("loan_snapshot", "repayment_record", "scores"),
             one_date_at_a_time=True),
        Mart("classification", ("loan_id",), cm.classification,
             "五级分类 class, ladder grade and reasons of every loan on the book; IFRS 9 stage "
             "and ECL", reads_marts=True, needs=("loan_snapshot", "ratings"),
             one_date_at_a_time=True),
        Mart("class_migration", ("from_class", "to_state"), cm.class_migration_mart,
             "五级分类迁徙 loans and balance by class a month before and state now",
             reads_marts=True, needs=("classification",), one_date_at_a_time=True),
        Mart("class_events", ("loan_id",), cm.class_events,
             "CLASS-DOWNGRADE loans whose class worsened since the run before",
             reads_marts=True, needs=("classification",), one_date_at_a_time=True),
        Mart("networks", ("customer_id",), nm.networks,
             "关联网络 each customer in a related-party group, guarantee circle (担保圈) or chain: "
             "group size, borrowers, exposure and worst class; circle and chain paths; "
             "guarantees given and the exposure they cover", reads_marts=True,
             needs=("loan_snapshot", "classification"), one_date_at_a_time=True),
        Mart("alerts", ("alert_id",), am.alerts,
             "预警 alerts open or closed at the date: signal, subject, severity, evidence, actions",
             reads_marts=True, needs=("classification", "class_events", "ratings",
                                      "repayment_record", "indicators", "fund_flows",
                                      "reconciliation", "networks", "scores"),
             one_date_at_a_time=True),
        Mart("warning_levels", ("customer_id",), am.warning_levels_mart,
             "预警等级 each borrower's warning level from its open alerts, and its guarantees'",
             reads_marts=True, needs=("alerts",), one_date_at_a_time=True),
        Mart("loan_warnings", ("loan_id",), am.loan_warnings_mart,
             "借据预警 each loan's warning: its own alerts, critical when its borrower is",
             reads_marts=True, needs=("warning_levels",), one_date_at_a_time=True),
        Mart("portfolio_metrics", ("dimension", "segment"), _portfolio_metrics,
             "组合指标 overdue rates M1+…M4+ by count and balance, whole book and by segment",
             reads_marts=True, needs=("loan_snapshot", "classification")),
        Mart("migration", ("from_bucket", "to_state"), _migration,
             "迁徙矩阵 loans and balance by bucket a month before and state now", reads_marts=True,
             needs=("loan_snapshot",)),
        Mart("roll_rates", ("from_bucket",), _roll_rates,
             "滚动率 roll rate to the next bucket and cure rate back to M0, month on month",
             reads_marts=True, needs=("migration",)),
        Mart("vintage", ("cohort",), _vintage,
             "账龄分析 each disbursement month's M1+/M3+ and write-off rates at its months on book",
             reads_marts=True, needs=("loan_snapshot",)),
        Mart("concentration", ("rank",), _concentration,
             "集中度 the ten largest borrowers' exposure and share of the book", reads_marts=True,
             needs=("loan_snapshot",)),
    )
}
