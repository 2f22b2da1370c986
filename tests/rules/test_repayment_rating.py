"""Group A (REPAY-OVERDUE) and group I (CLASS-DOWNGRADE, RATING-DOWNGRADE): facts in,
firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.rating import class_downgrade, rating_downgrade, score_deterioration
from loanwatch.rules.repayment import repay_overdue, repay_repeat
from loanwatch.rules.signal import Facts

ON, BEFORE = dt.date(2026, 6, 30), dt.date(2026, 5, 31)
POLICY = load_default_policy()
EMPTY = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string())}))


def facts(**tables: ibis.Table) -> Facts:
    names = ("snapshot", "classification", "class_events", "ratings", "previous_ratings",
             "loans", "customers", "bureau_reports", "registry_events")
    return Facts(as_of=ON, **{n: tables.get(n, EMPTY) for n in names})


def run(calc, signal_id: str, f: Facts) -> dict[str, tuple[str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, POLICY.signals[signal_id])).to_pylist()
    return {r["loan_id"] or r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


def snapshot(*loans: tuple[str, str, int]) -> ibis.Table:
    """loans: (loan_id, status, dpd)."""
    money = pa.array([Decimal("100.00")] * len(loans), pa.decimal128(18, 2))
    return ibis.memtable(pa.table({
        "loan_id": [x[0] for x in loans], "customer_id": ["C"] * len(loans),
        "status": [x[1] for x in loans], "dpd": pa.array([x[2] for x in loans], pa.int32()),
        "overdue_principal": money, "overdue_interest": money,
        "overdue_installments": pa.array([1] * len(loans), pa.int32())}))


@pytest.mark.parametrize("dpd, severity", [
    (0, None), (1, "low"), (30, "low"), (31, "medium"), (60, "medium"), (61, "high"),
    (90, "high"), (91, "critical")])
def test_repay_overdue_steps_up_with_days_past_due(dpd, severity):
    got = run(repay_overdue, "REPAY-OVERDUE", facts(snapshot=snapshot(("L", "active", dpd))))
    assert got.get("L", (None,))[0] == severity
    if severity:
        assert got["L"][1].startswith(f"DPD {dpd}, overdue principal 100.00")


def test_a_written_off_loan_is_not_an_overdue_alert():
    got = run(repay_overdue, "REPAY-OVERDUE", facts(snapshot=snapshot(("L", "written_off", 400))))
    assert got == {}


@pytest.mark.parametrize("was, now, severity", [
    ("special_mention", "substandard", "critical"), ("normal", "special_mention", "high"),
    ("substandard", "doubtful", "high")])
def test_class_downgrade_is_critical_from_special_mention_to_substandard(was, now, severity):
    events = ibis.memtable(pa.table({
        "loan_id": ["L"], "customer_id": ["C"], "previous_as_of": pa.array([BEFORE], pa.date32()),
        "from_class": [was], "to_class": [now],
        "reasons": pa.array([["DPD-90"]], pa.list_(pa.string()))}))
    got = run(class_downgrade, "CLASS-DOWNGRADE", facts(class_events=events))
    assert got == {"L": (severity, f"class {was} on {BEFORE} → {now} (DPD-90)")}


def ratings(as_of: dt.date, grades: dict[str, int]) -> ibis.Table:
    return ibis.memtable(pa.table({
        "as_of": pa.array([as_of] * len(grades), pa.date32()), "customer_id": list(grades),
        "grade": pa.array(list(grades.values()), pa.int32()),
        "rating_reasons": pa.array([["MAX-DPD"]] * len(grades), pa.list_(pa.string()))}))


def test_rating_downgrade_fires_at_two_notches_down_since_the_run_before():
    f = facts(ratings=ratings(ON, {"A": 3, "B": 4, "C": 1, "D": 7}),
              previous_ratings=ratings(BEFORE, {"A": 1, "B": 3, "C": 4}))
    # A 1 -> 3 fires; B one notch, C better, D first rated today: no
    assert run(rating_downgrade, "RATING-DOWNGRADE", f) == {
        "A": ("medium", f"rating grade 1 on {BEFORE} → 3 (MAX-DPD)")}


def test_repay_repeat_fires_at_three_late_installments_in_twelve_months():
    record = ibis.memtable(pa.table({"loan_id": ["A", "B", "C"],
                                     "late_12m": pa.array([2, 3, 5], pa.int32())}))
    f = facts(snapshot=snapshot(("A", "active", 0), ("B", "active", 0), ("C", "settled", 0)))
    f = Facts(**{**f.__dict__, "repayment_record": record})
    # B: 3 late; A only 2; C is settled
    assert run(repay_repeat, "REPAY-REPEAT", f) == {
        "B": ("high", "3 installments late in the last 12 months")}


def pds(as_of: dt.date, values: dict[str, str]) -> ibis.Table:
    return ibis.memtable(pa.table({
        "as_of": pa.array([as_of] * len(values), pa.date32()), "customer_id": list(values),
        "pd_12m": pa.array([Decimal(v) for v in values.values()], pa.decimal128(9, 6))}))


def test_score_deterioration_needs_the_pd_doubled_and_above_five_percent():
    f = facts(ratings=pds(ON, {"A": "0.120000", "B": "0.060000", "C": "0.040000",
                               "D": "0.119999"}),
              previous_ratings=pds(BEFORE, {"A": "0.060000", "B": "0.030000", "C": "0.010000",
                                            "D": "0.060000"}))
    # A 0.06 -> 0.12 (x2, > 5%) and B 0.03 -> 0.06 fire; C stays below 5%; D not doubled
    assert run(score_deterioration, "SCORE-DETERIORATION", f) == {
        "A": ("medium", f"PD 0.060000 on {BEFORE} → 0.120000"),
        "B": ("medium", f"PD 0.030000 on {BEFORE} → 0.060000")}
