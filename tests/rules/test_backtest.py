"""Backtest measures on a hand-made history: recall and lead, precision, base rate and lift,
volume, and which alerts count as early warnings."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from loanwatch.rules.backtest import (
    ALL_EARLY,
    HIGH_EARLY,
    NAIVE,
    Window,
    alert_flags,
    case_detection,
    defaults,
    dpd_flags,
    measures,
    months_table,
    recall_by,
)
from loanwatch.rules.warning_level import Escalation

D = dt.date
MONTHS = [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31),
          D(2024, 6, 30)]
WINDOW = Window(earliest_days=365, latest_days=30, outcome_months=3)
LOANS = ibis.memtable(pa.table({"loan_id": ["L1", "L2", "L3", "L4"],
                                "customer_id": ["C1", "C2", "C3", "C4"]}))
# first misses 91 days before: L1 2024-03-16, L2 2024-03-30, L3 2023-12-01 (too early to warn)
TRUTH = ibis.memtable(pa.table({
    "loan_id": ["L1", "L2", "L3", "L4"],
    "first_90dpd_on": pa.array([D(2024, 6, 15), D(2024, 6, 29), D(2024, 3, 1), None], pa.date32())}))


def flags(*rows: tuple[dt.date, str, str]) -> ibis.Table:
    return ibis.memtable(pa.table({"as_of": pa.array([r[0] for r in rows], pa.date32()),
                                   "customer_id": [r[1] for r in rows],
                                   "rule": [r[2] for r in rows]}))


def snapshots(dpd: dict[tuple[dt.date, str], int] | None = None) -> ibis.Table:
    rows = [(m, f"L{i}", f"C{i}") for m in MONTHS for i in range(1, 5)]
    return ibis.memtable(pa.table({
        "as_of": pa.array([r[0] for r in rows], pa.date32()), "loan_id": [r[1] for r in rows],
        "customer_id": [r[2] for r in rows], "status": ["active"] * len(rows),
        "dpd": pa.array([(dpd or {}).get((r[0], r[1]), 0) for r in rows], pa.int32())}))


def by_rule(f: ibis.Table) -> dict[str, dict]:
    d = defaults(TRUTH, LOANS, WINDOW)
    rows = measures(f, snapshots(), d, MONTHS, D(2024, 6, 30), WINDOW).to_pyarrow().to_pylist()
    return {r["rule"]: r for r in rows}


def test_defaults_take_the_first_miss_91_days_before_the_first_90_dpd():
    rows = defaults(TRUTH, LOANS, WINDOW).order_by("loan_id").to_pyarrow().to_pylist()
    assert [(r["loan_id"], r["customer_id"], r["first_miss_on"]) for r in rows] == [
        ("L1", "C1", D(2024, 3, 16)), ("L2", "C2", D(2024, 3, 30)), ("L3", "C3", D(2023, 12, 1))]


def test_a_given_first_miss_is_kept():
    truth = TRUTH.mutate(first_miss_on=ibis.literal(D(2024, 2, 1)))
    rows = defaults(truth, LOANS, WINDOW).to_pyarrow().to_pylist()
    assert {r["first_miss_on"] for r in rows} == {D(2024, 2, 1)}


@pytest.fixture(scope="module")
def result() -> dict[str, dict]:
    return by_rule(flags(
        (D(2024, 1, 31), "C1", "A"), (D(2024, 2, 29), "C1", "A"),  # 45 days before L1's miss
        (D(2024, 3, 31), "C2", "A"),  # after L2's miss - 30 days: too late
        (D(2024, 1, 31), "C4", "A"), (D(2024, 2, 29), "C4", "A"), (D(2024, 3, 31), "C4", "A"),
        (D(2024, 2, 29), "C2", "B"),  # exactly 30 days before L2's first miss: counts
    ))


def test_recall_counts_defaults_warned_in_the_window_and_the_lead(result):
    a, b = result["A"], result["B"]
    # L3's window closed before the history began: two defaults count
    assert (a["defaults"], a["warned"], a["recall"], a["median_lead_days"]) == (2, 1, 0.5, 45)
    assert (b["defaults"], b["warned"], b["recall"], b["median_lead_days"]) == (2, 1, 0.5, 30)


def test_precision_base_rate_and_lift(result):
    a, b = result["A"], result["B"]
    # months with a complete 3-month outcome: Jan, Feb, Mar; C2 flagged in March defaults in June
    assert (a["flagged"], a["flagged_defaulting"]) == (6, 1)
    assert a["precision"] == pytest.approx(1 / 6)
    # borrower-months not yet in default: 4 + 4 + 3 (C3 defaulted in March), 1 + 1 + 2 default
    assert a["base_rate"] == pytest.approx(4 / 11)
    assert a["lift"] == pytest.approx((1 / 6) / (4 / 11))
    assert (b["flagged"], b["flagged_defaulting"], b["precision"], b["lift"]) == (1, 0, 0.0, 0.0)


def test_volume_counts_borrowers_newly_flagged_per_thousand_loans(result):
    # Feb-Jun: 20 loan-months; A is new only for C2 in March, B for C2 in February
    assert (result["A"]["new_per_1000"], result["A"]["open_per_1000"]) == (50.0, 200.0)
    assert (result["B"]["new_per_1000"], result["B"]["open_per_1000"]) == (50.0, 50.0)


def test_months_table_keeps_month_ends():
    rows = months_table(MONTHS[:2], 12).to_pyarrow().to_pylist()
    assert [(r["prev_as_of"], r["outcome_until"]) for r in rows] == [
        (None, D(2025, 1, 31)), (D(2024, 1, 31), D(2025, 2, 28))]


def alerts(*rows: tuple[str, str, str, str, str]) -> ibis.Table:
    """rows: (customer_id, signal_id, group, severity, status) at 2024-01-31."""
    col = lambda i: [r[i] for r in rows]  # noqa: E731
    return ibis.memtable(pa.table({
        "as_of": pa.array([MONTHS[0]] * len(rows), pa.date32()), "customer_id": col(0),
        "signal_id": col(1), "group": col(2), "severity": col(3), "status": col(4)}))


def test_early_warnings_leave_out_the_overdue_signal_and_combine_levels():
    a = alerts(("C1", "REPAY-OVERDUE", "A", "critical", "open"),
               ("C1", "REG-X", "E", "medium", "open"), ("C1", "SETTLE-Y", "F", "medium", "open"),
               ("C2", "BUREAU-Z", "D", "low", "open"),
               ("C3", "REPAY-OVERDUE", "A", "critical", "open"),
               ("C4", "REG-X", "E", "critical", "closed"))
    got = alert_flags(a, (Escalation(2, "medium", True, "high"),)).to_pyarrow().to_pylist()
    assert sorted((r["customer_id"], r["rule"]) for r in got) == [
        ("C1", ALL_EARLY), ("C1", HIGH_EARLY), ("C1", "REG-X"), ("C1", "SETTLE-Y"),
        ("C2", ALL_EARLY), ("C2", "BUREAU-Z")]


def test_the_naive_rule_flags_borrowers_with_a_loan_past_due():
    s = snapshots({(MONTHS[1], "L2"): 1, (MONTHS[2], "L2"): 0, (MONTHS[3], "L4"): 40})
    got = dpd_flags(s).to_pyarrow().to_pylist()
    assert sorted((r["as_of"], r["customer_id"], r["rule"]) for r in got) == [
        (MONTHS[1], "C2", NAIVE), (MONTHS[3], "C4", NAIVE)]


def test_recall_by_scenario_counts_each_kind_of_failure():
    truth = TRUTH.mutate(scenario=ibis.cases((TRUTH.loan_id == "L1", "multi_lending"),
                                             else_=ibis.null("string")))
    d = defaults(truth, LOANS, WINDOW)
    f = flags((D(2024, 1, 31), "C1", "A"), (D(2024, 2, 29), "C2", "B"))
    rows = recall_by(f, d, "scenario", ["A", "B"], MONTHS[0], MONTHS[-1], WINDOW)
    got = {(r["rule"], r["scenario"]): (r["defaults"], r["warned"])
           for r in rows.to_pyarrow().to_pylist()}
    # L3 cannot be warned within the history; L2 has no scenario
    assert got == {("A", "multi_lending"): (1, 1), ("A", None): (1, 0),
                   ("B", "multi_lending"): (1, 0), ("B", None): (1, 1)}


def _alerts(*rows: tuple[dt.date, str, str, str]) -> ibis.Table:
    return ibis.memtable(pa.table({
        "as_of": pa.array([r[0] for r in rows], pa.date32()), "customer_id": [r[1] for r in rows],
        "signal_id": [r[2] for r in rows], "group": [r[3] for r in rows],
        "status": ["open"] * len(rows)}))


def test_case_detection_counts_real_cases_and_look_alikes_per_group():
    cases = ibis.memtable(pa.table({
        "loan_id": ["L1", "L2", "L3", "L4"], "customer_id": ["C1", "C2", "C3", "C4"],
        "scenario": ["backflow"] * 4, "role": ["real", "real", "benign", "benign"],
        "trace_on": pa.array([D(2024, 2, 10), D(2024, 2, 10), D(2024, 2, 10), D(2024, 2, 10)]),
        "default_onset_on": pa.array([D(2024, 6, 1), D(2024, 3, 1), None, None], pa.date32())}))
    alerts = _alerts(
        (D(2024, 2, 29), "C1", "FLOW-BACKFLOW", "fund_flow"),  # detected
        (D(2024, 3, 31), "C2", "FLOW-BACKFLOW", "fund_flow"),  # after its default began
        (D(2024, 2, 29), "C2", "REPAY-OVERDUE", "repayment"),  # no early warning
        (D(2024, 4, 30), "C3", "SETTLE-DROP", "settlement"),  # a look-alike flagged elsewhere
        (D(2024, 1, 31), "C4", "FLOW-BACKFLOW", "fund_flow"))  # before its trace
    got = {(r["role"], r["group"]): (r["cases"], r["flagged"]) for r in ibis.duckdb.connect()
           .to_pyarrow(case_detection(alerts, cases, MONTHS[0], MONTHS[-1])).to_pylist()}
    assert got[("real", "fund_flow")] == (2, 1)
    assert got[("real", "any")] == (2, 1)
    assert got[("benign", "fund_flow")] == (2, 0)
    assert got[("benign", "settlement")] == (2, 1)
    assert ("real", "repayment") not in got
